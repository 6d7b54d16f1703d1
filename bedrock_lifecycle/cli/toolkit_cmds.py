"""``compare``: test a replacement model side by side with the one it replaces.

    bedrock-lifecycle compare --baseline MODEL_OR_ALIAS --candidate MODEL_OR_ALIAS \\
        --prompts prompts.jsonl [--concurrency 4] [--report out.html] [--json] [--prices p.toml]
    bedrock-lifecycle compare --shadow-log shadow.jsonl [--alias NAME] [--report out.html] [--json]

This module is the I/O half: reading files, calling Bedrock through
``bedrock_lifecycle.client()`` (so aliases, fallbacks, the lifecycle policy and
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` all apply), the progress line and the output.
The statistics are :mod:`bedrock_lifecycle.compare`, the HTML :mod:`bedrock_lifecycle.report`.
Prompts and answers are never logged: they appear only in the ``--report`` file and the
``--json`` document the user asked for.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, TextIO

from bedrock_lifecycle.cli._common import CliError, non_negative_int, print_json, print_table
from bedrock_lifecycle.compare import (
    DEFAULT_THRESHOLD,
    TOP_N,
    CompareInputError,
    Outcome,
    Pair,
    Prompt,
    pairs_from_shadow_log,
    parse_prices,
    parse_prompts,
    summarise,
)
from bedrock_lifecycle.observe.events import converse_text

MAX_CONCURRENCY = 64


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="run prompts against two models side by side, or summarise recorded shadow traffic",
        description=(
            "Run every prompt of a JSONL file against a baseline and a candidate model (or alias) "
            "and compare latency, errors, tokens, cost and how similar the answers are; or build "
            "the same summary from a shadow-traffic log. See docs/compare.md."
        ),
    )
    p.add_argument("--baseline", metavar="MODEL_OR_ALIAS", help="the model in use now (model ID or configured alias)")
    p.add_argument("--candidate", metavar="MODEL_OR_ALIAS", help="its proposed replacement")
    p.add_argument("--prompts", metavar="FILE.jsonl", help="one Converse request a line (messages, system, inferenceConfig, id)")
    p.add_argument("--shadow-log", metavar="FILE.jsonl", help="summarise recorded shadow pairs instead (primary = baseline)")
    p.add_argument("--alias", metavar="NAME", help="with --shadow-log: only this alias's records")
    p.add_argument("--concurrency", type=_concurrency, default=4, metavar="N",
                   help=f"calls in flight at once (default 4, at most {MAX_CONCURRENCY})")
    p.add_argument("--threshold", type=_fraction, default=DEFAULT_THRESHOLD, metavar="X",
                   help=f"similarity at or above which two answers agree (default {DEFAULT_THRESHOLD})")
    p.add_argument("--top", type=non_negative_int, default=TOP_N, metavar="N",
                   help=f"how many most-different prompts to list (default {TOP_N})")
    p.add_argument("--report", metavar="OUT.html", help="write a self-contained HTML report")
    p.add_argument("--json", action="store_true", help="print the summary as JSON (for CI)")
    p.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)")
    p.add_argument("--prices", metavar="FILE", help='JSON or TOML {"model-id": {"input_per_1k": x, "output_per_1k": y}} in USD')
    p.set_defaults(func=cmd_compare)


def _concurrency(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if not 1 <= n <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"expected 1 to {MAX_CONCURRENCY}, got {n}")
    return n


def _fraction(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {value!r}") from None
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {value}")
    return x


# ------------------------------------------------------------------------------ inputs


def _read_lines(path: str, flag: str) -> list[str]:
    if path == "-":
        return list(sys.stdin)
    try:
        with open(path, encoding="utf-8") as f:
            return list(f)  # splits on \n / \r\n only, never inside a JSON string
    except FileNotFoundError:
        raise CliError(f"{flag} {path}: no such file", 2) from None
    except IsADirectoryError:
        raise CliError(f"{flag} {path}: is a directory", 2) from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{flag} {path}: not UTF-8 text (byte {exc.start})", 2) from None
    except OSError as exc:
        raise CliError(f"{flag} {path}: cannot read: {exc.strerror or exc}", 2) from None


def _load_prices(path: str | None) -> dict[str, dict[str, float]] | None:
    if path is None:
        return None
    from pathlib import Path

    from bedrock_lifecycle.config import parse_document
    from bedrock_lifecycle.errors import ConfigError

    p = Path(path).expanduser()
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CliError(f"--prices {path}: cannot read: {exc.strerror or exc}", 2) from None
    try:
        data = parse_document(raw, name=path, suffix=p.suffix.lower())
        return parse_prices(data, path)
    except (ConfigError, CompareInputError) as exc:
        raise CliError(f"--prices {exc}", 2) from None


def _check_args(args: argparse.Namespace) -> None:
    if args.shadow_log is not None:
        extra = [f for f, v in (("--baseline", args.baseline), ("--candidate", args.candidate),
                                ("--prompts", args.prompts)) if v is not None]
        if extra:
            raise CliError(f"--shadow-log summarises recorded pairs: it takes no {', '.join(extra)}", 2)
        return
    if args.alias is not None:
        raise CliError("--alias filters a --shadow-log; with --prompts name the models with --baseline/--candidate", 2)
    missing = [f for f, v in (("--baseline", args.baseline), ("--candidate", args.candidate),
                              ("--prompts", args.prompts)) if not v]
    if missing:
        raise CliError(
            f"missing {', '.join(missing)} (give --baseline, --candidate and --prompts, or --shadow-log)", 2
        )
    if args.report is not None:
        _check_report_path(args.report)


def _check_report_path(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CliError(f"--report {path}: directory {directory} does not exist", 2)
    if os.path.isdir(path):
        raise CliError(f"--report {path}: is a directory", 2)


# ------------------------------------------------------------------------------ the runner


class _WarningCollector(logging.Handler):
    """Lifecycle warnings (and any other library warning) seen during the run, each once,
    in order: shown once in the summary instead of interleaved with the progress line."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: dict[str, None] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.setdefault(record.getMessage(), None)
        except Exception:  # a bad log call never breaks the comparison
            self.handleError(record)


@contextlib.contextmanager
def collect_warnings() -> Iterator[_WarningCollector]:
    """Collect ``bedrock_lifecycle`` log warnings and silence the Python warnings the client
    issues for Legacy / retiring models (they are the same messages)."""
    from bedrock_lifecycle.errors import ModelLifecycleWarning

    logger = logging.getLogger("bedrock_lifecycle")
    handler = _WarningCollector()
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModelLifecycleWarning)
            yield handler
    finally:
        logger.removeHandler(handler)


@contextlib.contextmanager
def _quiet_in_thread() -> Iterator[None]:
    # With context-aware warnings (free-threaded builds, 3.14+) a filter set by the main
    # thread does not reach pool threads: set it again there (thread-local then, so safe).
    if not getattr(sys.flags, "context_aware_warnings", False):
        yield
        return
    from bedrock_lifecycle.errors import ModelLifecycleWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelLifecycleWarning)
        yield


def _wire_attempts(attempts: Sequence[dict[str, Any]]) -> tuple[int, tuple[str, ...]]:
    """(attempts sent, codes of the failed ones): refusals and skips never left the client."""
    sent = [a for a in attempts if a.get("outcome") not in ("refused", "skipped")]
    codes = tuple(str(a["error_code"]) for a in attempts if a.get("outcome") != "ok" and a.get("error_code"))
    return len(sent), codes


def call_one(client: Any, model: str, request: dict[str, Any]) -> Outcome:
    """One Converse call; never raises (an exception becomes the outcome's error code).
    Latency is the wall-clock time the caller waits, retries and fallbacks included."""
    from bedrock_lifecycle.core.classify import error_code
    from bedrock_lifecycle.core.flow import META_KEY

    params = copy.deepcopy(request)
    params["modelId"] = model
    with _quiet_in_thread():
        t0 = time.perf_counter()
        try:
            resp = client.converse(**params)
        except Exception as exc:
            ms = (time.perf_counter() - t0) * 1000.0
            code = error_code(exc)[0] or type(exc).__name__
            attempts = getattr(exc, "attempts", None) or []
            sent, codes = _wire_attempts(attempts)
            last = attempts[-1].get("model") if attempts else None
            return Outcome(
                model=str(last or model), latency_ms=ms, error_code=code,
                attempts=sent, attempt_errors=codes or (code,),
            )
        ms = (time.perf_counter() - t0) * 1000.0
    meta = (resp.get("ResponseMetadata") or {}).get(META_KEY) or {}
    usage = resp.get("usage") or {}
    sent, codes = _wire_attempts(meta.get("attempts") or [])
    return Outcome(
        model=str(meta.get("model_id") or model),
        latency_ms=ms,
        input_tokens=usage.get("inputTokens"),
        output_tokens=usage.get("outputTokens"),
        stop_reason=resp.get("stopReason"),
        text=converse_text(resp),
        attempts=sent or 1,
        attempt_errors=codes,
    )


class Progress:
    """A progress bar on ``stream`` when it is a terminal (redrawn at most 10 times a
    second); otherwise nothing until :meth:`finish`'s one plain line."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.started = time.monotonic()
        self._drawn = 0.0

    def update(self, done: int, errors: int) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if done < self.total and now - self._drawn < 0.1:
            return
        self._drawn = now
        width = 30
        filled = round(width * done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        err = f", {errors} failed" if errors else ""
        self.stream.write(f"\rcomparing [{bar}] {done}/{self.total} calls{err}   ")
        self.stream.flush()

    def finish(self, line: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K")
        self.stream.write(line + "\n")
        self.stream.flush()


def run_prompts(
    client: Any,
    baseline: str,
    candidate: str,
    prompts: Sequence[Prompt],
    *,
    concurrency: int = 4,
    progress: Progress | None = None,
) -> list[Pair]:
    """Every prompt against both models, at most ``concurrency`` calls in flight; the
    two calls of a prompt are queued next to each other so both see similar conditions."""
    outcomes: dict[tuple[int, int], Outcome] = {}
    errors = 0
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bedrock-compare")
    try:
        futures: dict[Future[Outcome], tuple[int, int]] = {}
        for i, prompt in enumerate(prompts):
            for side, model in enumerate((baseline, candidate)):
                futures[pool.submit(call_one, client, model, prompt.request)] = (i, side)
        for done, fut in enumerate(as_completed(futures), 1):
            out = fut.result()
            outcomes[futures[fut]] = out
            errors += 0 if out.ok else 1
            if progress is not None:
                progress.update(done, errors)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: drop what has not started
        raise
    pool.shutdown(wait=True)
    return [
        Pair(p.id, outcomes[(i, 0)], outcomes[(i, 1)], prompt_excerpt=p.excerpt)
        for i, p in enumerate(prompts)
    ]


def make_client(baseline: str, candidate: str, region: str, concurrency: int) -> Any:
    """A drop-in client from the user's configuration; the two names must be configured
    aliases or model IDs. Shadow copies of the two aliases are turned off for the run
    (a comparison must not double its own cost nor write synthetic pairs to the log)."""
    import bedrock_lifecycle
    from bedrock_lifecycle.config import sources
    from bedrock_lifecycle.errors import ConfigError
    from bedrock_lifecycle.ids import ModelIdError, parse_model_id

    try:
        config, _ = sources.initial(os.environ)
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    overrides: dict[str, Any] = {}
    for flag, name in (("--baseline", baseline), ("--candidate", candidate)):
        found = config.alias(name)
        if found is None:
            try:
                parse_model_id(name)
            except ModelIdError as exc:
                known = ", ".join(sorted(config.aliases)) or "none configured"
                raise CliError(f"{flag}: {exc}; nor is it a configured alias (aliases: {known})", 2) from None
        elif found[1].shadow is not None:
            overrides.setdefault("aliases", {})[found[0]] = {"shadow": None}
    from botocore.config import Config as BotoConfig

    try:
        return bedrock_lifecycle.client(
            region_name=region,
            config=overrides or None,
            botocore_config=BotoConfig(max_pool_connections=max(10, concurrency)),
        )
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    except Exception as exc:
        raise CliError(f"cannot create the bedrock-runtime client: {exc}", 1) from None


# ------------------------------------------------------------------------------ output


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f} ms"


def _errors(side: dict[str, Any]) -> str:
    if not side["errors"]:
        return "0"
    n = sum(side["errors"].values())
    return f"{n} (" + ", ".join(f"{c} {k}" for c, k in side["errors"].items()) + ")"


def _cost(side: dict[str, Any]) -> str:
    if side["cost_usd"] is not None:
        return f"${side['cost_usd']:,.4f}"
    return "unknown (no price for " + ", ".join(side["unpriced_models"]) + ")" if side["unpriced_models"] else "-"


def print_text(summary: dict[str, Any], warnings_seen: Sequence[str], report: str | None) -> None:
    b, c = summary["baseline"], summary["candidate"]
    rows: list[list[object]] = [
        ["model", b["model"], c["model"]],
        ["calls", b["calls"], c["calls"]],
        ["errors", _errors(b), _errors(c)],
        ["latency p50", _ms(b["latency_ms"]["p50"]), _ms(c["latency_ms"]["p50"])],
        ["latency p95", _ms(b["latency_ms"]["p95"]), _ms(c["latency_ms"]["p95"])],
        ["latency mean", _ms(b["latency_ms"]["mean"]), _ms(c["latency_ms"]["mean"])],
        ["tokens in/out", f"{b['tokens']['input']:,} / {b['tokens']['output']:,}",
         f"{c['tokens']['input']:,} / {c['tokens']['output']:,}"],
        ["cost", _cost(b), _cost(c)],
    ]
    for key, label in (("served_by", "served by"),):
        if set(b[key]) - {b["model"]} or set(c[key]) - {c["model"]}:
            rows.append([label, ", ".join(f"{m} {n}" for m, n in b[key].items()) or "-",
                         ", ".join(f"{m} {n}" for m, n in c[key].items()) or "-"])
    print_table(["", "baseline", "candidate"], rows)
    s = summary["similarity"]
    print()
    if s["scored"]:
        print(f"Agreement: {s['agreement_rate'] * 100:.0f}% of {s['scored']} pairs "
              f"(similarity >= {s['threshold']:g}); similarity mean {s['mean']:.2f}, median {s['median']:.2f}")
    else:
        print("Agreement: no pair was answered by both sides")
    if summary["most_different"]:
        print("Most different: " + ", ".join(f"{d['id']} ({d['similarity']:.2f})" for d in summary["most_different"]))
    if warnings_seen:
        print("\nLifecycle warnings:")
        for w in warnings_seen:
            print(f"  - {w}")
    if report:
        print(f"\nReport: {report}")


def _all_failed(summary: dict[str, Any]) -> list[str]:
    out = []
    for key in ("baseline", "candidate"):
        side = summary[key]
        if side["calls"] and not side["ok"]:
            out.append(f"every call to the {key} ({side['model']}) failed: " + _errors(side))
    return out


# ------------------------------------------------------------------------------ the command


def cmd_compare(args: argparse.Namespace) -> int:
    _check_args(args)
    prices = _load_prices(args.prices)
    warnings_seen: list[str] = []
    if args.shadow_log is not None:
        if args.report is not None:
            _check_report_path(args.report)
        name = "<stdin>" if args.shadow_log == "-" else args.shadow_log
        try:
            pairs, skipped = pairs_from_shadow_log(_read_lines(args.shadow_log, "--shadow-log"), name, alias=args.alias)
        except CompareInputError as exc:
            raise CliError(str(exc), 2) from None
        if not pairs:
            which = f" for alias {args.alias!r}" if args.alias else ""
            raise CliError(f"{name}: no shadow records{which}", 1)
        note = " (skipped an incomplete last line)" if skipped else ""
        print(f"compare: {len(pairs)} shadow pairs from {name}{note}", file=sys.stderr)
        summary = summarise(pairs, threshold=args.threshold, prices=prices, top=args.top)
        source = {"kind": "shadow_log", "file": name}
    else:
        name = "<stdin>" if args.prompts == "-" else args.prompts
        try:
            prompts = parse_prompts(_read_lines(args.prompts, "--prompts"), name)
        except CompareInputError as exc:
            raise CliError(str(exc), 2) from None
        from bedrock_lifecycle.api import reset_warnings

        region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        reset_warnings()  # this run's lifecycle warnings are collected, even if seen before
        with collect_warnings() as collector:
            client = make_client(args.baseline, args.candidate, region, args.concurrency)
            progress = Progress(2 * len(prompts))
            try:
                pairs = run_prompts(client, args.baseline, args.candidate, prompts,
                                    concurrency=args.concurrency, progress=progress)
            except KeyboardInterrupt:
                if progress.tty:
                    sys.stderr.write("\n")  # "interrupted" on its own line, not over the bar
                raise
        warnings_seen = list(collector.messages)
        summary = summarise(pairs, baseline=args.baseline, candidate=args.candidate,
                            threshold=args.threshold, prices=prices, top=args.top)
        elapsed = time.monotonic() - progress.started
        progress.finish(
            f"compare: {len(prompts)} prompts x 2 models in {elapsed:.1f} s; failed calls: "
            f"baseline {summary['baseline']['calls'] - summary['baseline']['ok']}, "
            f"candidate {summary['candidate']['calls'] - summary['candidate']['ok']}"
        )
        source = {"kind": "prompts", "file": name}
    summary["source"] = source
    summary["warnings"] = warnings_seen
    if args.report is not None:
        from bedrock_lifecycle.report import render, write_atomic

        try:
            write_atomic(args.report, render(summary, pairs, source=source["file"], warnings=warnings_seen))
        except OSError as exc:
            raise CliError(f"--report {args.report}: cannot write: {exc.strerror or exc}", 1) from None
    if args.json:
        print_json(summary)
    else:
        print_text(summary, warnings_seen, args.report)
    failed = _all_failed(summary)
    for line in failed:
        print(f"bedrock-lifecycle compare: {line}", file=sys.stderr)
    return 1 if failed else 0

