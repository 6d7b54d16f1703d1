"""``compare``: test a replacement model side by side with the one it replaces.

    bedrock-lifecycle compare --baseline MODEL_OR_ALIAS --candidate MODEL_OR_ALIAS \\
        --prompts prompts.jsonl [--concurrency 4] [--report out.html] [--json] [--prices p.toml]
        [--similarity lexical|embedding:MODEL_ID] [--judge MODEL_ID [--rubric FILE] [--judge-both-orders]]
        [--fail-on-regression] [--fail-on-worse N] [--monthly-calls N]
    bedrock-lifecycle compare --shadow-log shadow.jsonl [--alias NAME] [same options]

The command: arguments, files, output and exit status. Calling Bedrock is
:mod:`bedrock_lifecycle.cli.compare_run`; the statistics :mod:`bedrock_lifecycle.toolkit.compare`;
the HTML :mod:`bedrock_lifecycle.toolkit.report`. Prompts and answers are never logged: they
appear only in the ``--report`` file and the ``--json`` document the user asked for.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from bedrock_lifecycle.cli._common import (
    USAGE,
    CliError,
    add_command,
    env_region,
    non_negative_int,
    plural,
    print_json,
    print_table,
    region_arg,
)
from bedrock_lifecycle.toolkit.compare import (
    DEFAULT_THRESHOLD,
    TOP_N,
    CompareInputError,
    Pair,
    summarise,
)
from bedrock_lifecycle.toolkit.inputs import pairs_from_shadow_log, parse_prices, parse_prompts

MAX_CONCURRENCY = 64


def add_parser(sub: Any) -> None:
    p = add_command(
        sub, "compare",
        help="run prompts against two models side by side, or summarise recorded shadow traffic",
        description="Run every prompt of a JSONL file against a baseline and a candidate model (or "
        "alias) and compare latency, errors, tokens, cost, expectations and how similar the "
        "answers are; or build the same summary from a shadow-traffic log. See docs/compare.md.",
        examples=["bedrock-lifecycle compare --baseline anthropic.claude-3-haiku-20240307-v1:0 "
                  "--candidate anthropic.claude-haiku-4-5-20251001-v1:0 --prompts prompts.jsonl",
                  "bedrock-lifecycle compare --shadow-log shadow.jsonl --alias chat --json",
                  "bedrock-lifecycle compare --baseline chat --candidate anthropic.claude-sonnet-4-6 "
                  "--prompts prompts.jsonl --judge anthropic.claude-sonnet-4-6 --fail-on-worse 2"],
        exit_codes=[(0, "the comparison ran and no --fail-on-* gate failed"),
                    (1, "every call of a side failed, or a --fail-on-regression / --fail-on-worse gate "
                        "failed"), USAGE])
    p.add_argument("--baseline", metavar="MODEL_OR_ALIAS", help="the model in use now (model ID or configured alias)")
    p.add_argument("--candidate", metavar="MODEL_OR_ALIAS", help="its proposed replacement")
    p.add_argument("--prompts", metavar="FILE.jsonl",
                   help="one Converse request a line (messages, system, inferenceConfig, id, expect)")
    p.add_argument("--shadow-log", metavar="FILE.jsonl", help="summarise recorded shadow pairs instead (primary = baseline)")
    p.add_argument("--alias", metavar="NAME", help="with --shadow-log: only this alias's records")
    p.add_argument("--concurrency", type=_concurrency, default=4, metavar="N",
                   help=f"calls in flight at once (default 4, at most {MAX_CONCURRENCY})")
    p.add_argument("--threshold", type=_fraction, default=DEFAULT_THRESHOLD, metavar="X",
                   help=f"similarity at or above which two answers agree (default {DEFAULT_THRESHOLD})")
    p.add_argument("--top", type=non_negative_int, default=TOP_N, metavar="N",
                   help=f"how many most-different prompts to list (default {TOP_N})")
    p.add_argument("--similarity", default="lexical", type=_similarity, metavar="lexical|embedding:MODEL_ID",
                   help="how to score two answers: the lexical measure (default) or cosine of Bedrock embeddings")
    p.add_argument("--judge", metavar="MODEL_ID", help="ask this model (Converse) whether the candidate's answer is as good")
    p.add_argument("--rubric", metavar="FILE", help="with --judge: the judge's instructions (default: docs/compare.md)")
    p.add_argument("--judge-both-orders", action="store_true",
                   help="with --judge: ask again with the answers swapped; a verdict that flips becomes "
                        "'different' (twice the judge calls)")
    p.add_argument("--fail-on-regression", action="store_true",
                   help="exit 1 when a prompt's expectations pass for the baseline and fail for the candidate")
    p.add_argument("--fail-on-worse", type=non_negative_int, metavar="N",
                   help="with --judge: exit 1 when more than N answers are judged worse")
    p.add_argument("--monthly-calls", type=non_negative_int, metavar="N",
                   help="project the monthly cost difference at N calls a month (default: the shadow log's rate)")
    p.add_argument("--report", metavar="OUT.html", help="write a self-contained HTML report")
    p.add_argument("--json", action="store_true", help="print the summary as JSON (for CI)")
    p.add_argument("--region", type=region_arg, help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)")
    p.add_argument("--prices", metavar="FILE",
                   help='JSON or TOML {"model-id": {"input_per_1k": x, "output_per_1k": y}} in USD; '
                        "wins over [prices] and the bundled table")
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


def _similarity(value: str) -> str:
    if value == "lexical":
        return value
    kind, sep, model = value.partition(":")
    if kind != "embedding" or not sep or not model:
        raise argparse.ArgumentTypeError(f"expected 'lexical' or 'embedding:MODEL_ID', got {value!r}")
    from bedrock_lifecycle.toolkit.judge import embedding_family

    try:
        embedding_family(model)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


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


def _price_table(path: str | None, overrides: Any) -> Any:
    """Prices: a --prices file > [prices] in the configuration > synced > bundled."""
    from bedrock_lifecycle.lifecycle.prices import (
        PriceTable,
        bundled_prices,
        overrides_as_prices,
        synced_prices,
    )

    layers = [overrides_as_prices(overrides or {}), synced_prices(), bundled_prices()]
    if path is not None:
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
            layers.insert(0, overrides_as_prices(parse_prices(data, path)))
        except (ConfigError, CompareInputError) as exc:
            raise CliError(f"--prices {exc}", 2) from None
    return PriceTable(*layers)


def _config() -> Any:
    from bedrock_lifecycle.config import sources
    from bedrock_lifecycle.errors import ConfigError

    try:
        config, _ = sources.initial(os.environ)
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    return config


def _read_rubric(path: str | None) -> str | None:
    if path is None:
        return None
    text = "".join(_read_lines(path, "--rubric")).strip()
    if not text:
        raise CliError(f"--rubric {path}: the file is empty", 2)
    return text


def _check_args(args: argparse.Namespace) -> None:
    if args.rubric is not None and args.judge is None:
        raise CliError("--rubric is the judge's instructions: give --judge MODEL_ID too", 2)
    if args.judge_both_orders and args.judge is None:
        raise CliError("--judge-both-orders asks the judge twice: give --judge MODEL_ID too", 2)
    if args.fail_on_worse is not None and args.judge is None:
        raise CliError("--fail-on-worse counts the judge's verdicts: give --judge MODEL_ID too", 2)
    if args.report is not None:
        _check_report_path(args.report)
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


def _check_report_path(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CliError(f"--report {path}: directory {directory} does not exist", 2)
    if os.path.isdir(path):
        raise CliError(f"--report {path}: is a directory", 2)


# ------------------------------------------------------------------------------ the runner


# ------------------------------------------------------------------------------ output


def _ms(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f} ms"


def _errors(side: dict[str, Any]) -> str:
    if not side["errors"]:
        return "0"
    n = sum(side["errors"].values())
    return f"{n} (" + ", ".join(f"{c} {k}" for c, k in side["errors"].items()) + ")"


def _usd(x: float | None) -> str:
    return "-" if x is None else f"${x:,.4f}" if abs(x) >= 0.0001 or x == 0 else f"${x:.2e}"


def _cost(side: dict[str, Any]) -> str:
    if side["cost_usd"] is not None:
        return _usd(side["cost_usd"])
    return "unknown (no price for " + ", ".join(side["unpriced_models"]) + ")" if side["unpriced_models"] else "-"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:+.0f}%"


def print_text(summary: dict[str, Any], warnings_seen: Sequence[str], report: str | None) -> None:
    b, c = summary["baseline"], summary["candidate"]
    judge = summary.get("judge")
    if judge is not None:  # the verdict summary first: it is the headline when asked for
        v = judge["verdicts"]
        print("Judge: " + ", ".join(f"{n} {k}" for k, n in v.items() if n or k != "unjudged")
              + (f" (as good or better: {judge['as_good_rate'] * 100:.0f}%)" if judge["as_good_rate"] is not None else "")
              + ("; asked in both orders" if (summary.get("evaluation") or {}).get("judge", {}).get("orders") == 2
                 else ""))
    if summary["checks"]["prompts_with_expectations"]:
        ch = summary["checks"]
        line = (f"Expectations: baseline passed {ch['baseline_passed']}, candidate passed {ch['candidate_passed']} "
                f"of {ch['prompts_with_expectations']} prompts; regressions: {ch['regressions']}")
        print(line + (" (" + ", ".join(summary["regressions"]) + ")" if summary["regressions"] else ""))
    if judge is not None or summary["checks"]["prompts_with_expectations"]:
        print()
    tokens = [f"{s['tokens']['input']:,} / {s['tokens']['output']:,}" for s in (b, c)]
    rows: list[list[object]] = [
        ["model", b["model"], c["model"]],
        ["calls", b["calls"], c["calls"]],
        ["errors", _errors(b), _errors(c)],
        ["latency p50", _ms(b["latency_ms"]["p50"]), _ms(c["latency_ms"]["p50"])],
        ["latency p95", _ms(b["latency_ms"]["p95"]), _ms(c["latency_ms"]["p95"])],
        ["latency mean", _ms(b["latency_ms"]["mean"]), _ms(c["latency_ms"]["mean"])],
        ["tokens in/out", tokens[0], tokens[1]],
        ["cost", _cost(b), _cost(c)],
    ]
    if set(b["served_by"]) - {b["model"]} or set(c["served_by"]) - {c["model"]}:
        rows.append(["served by", ", ".join(f"{m} {n}" for m, n in b["served_by"].items()) or "-",
                     ", ".join(f"{m} {n}" for m, n in c["served_by"].items()) or "-"])
    print_table(["", "baseline", "candidate"], rows)
    d = summary["delta"]
    print(f"\nCandidate vs baseline: input tokens {_pct(d['input_tokens_change'])}, output tokens "
          f"{_pct(d['output_tokens_change'])}, cost per call {_pct(d['cost_per_call_change'])}")
    proj = summary.get("projection")
    if proj and proj.get("calls_per_month") is not None:
        print(f"Projected monthly cost at {proj['calls_per_month']:,} calls: baseline {_usd(proj['baseline_usd'])}, "
              f"candidate {_usd(proj['candidate_usd'])} ({_usd(proj['difference_usd'])} difference)")
    s = summary["similarity"]
    if s["scored"]:
        print(f"Agreement: {s['agreement_rate'] * 100:.0f}% of {s['scored']} pairs "
              f"(similarity >= {s['threshold']:g}); similarity mean {s['mean']:.2f}, median {s['median']:.2f}")
    else:
        print("Agreement: no pair was answered by both sides")
    if summary["most_different"]:
        print("Most different: " + ", ".join(f"{d['id']} ({d['similarity']:.2f})" for d in summary["most_different"]))
    if summary["shape"]["prompts"]:
        kinds = ", ".join(f"{k} {n}" for k, n in summary["shape"]["differences"].items())
        print(f"Response shape differs on {plural(summary['shape']['prompts'], 'prompt')}: {kinds}")
    ev = summary.get("evaluation") or {}
    for key, label in (("embedding", "Embeddings"), ("judge", "Judge calls")):
        if key in ev:
            e = ev[key]
            print(f"{label} ({e['model']}): {e['calls']} calls, {e['input_tokens']:,} input / "
                  f"{e.get('output_tokens', 0):,} output tokens, cost {_usd(e['cost_usd'])}")
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


def _gates(summary: dict[str, Any], args: argparse.Namespace) -> list[str]:
    out = []
    if args.fail_on_regression and summary["regressions"]:
        out.append(f"{plural(len(summary['regressions']), 'regression')} (expectations the baseline passes and the "
                   f"candidate fails): {', '.join(summary['regressions'])}")
    judge = summary.get("judge")
    if args.fail_on_worse is not None and judge is not None and judge["verdicts"]["worse"] > args.fail_on_worse:
        out.append(f"{judge['verdicts']['worse']} answers judged worse (more than --fail-on-worse "
                   f"{args.fail_on_worse}): {', '.join(judge['worse'])}")
    return out


# ------------------------------------------------------------------------------ the command


def _region(args: argparse.Namespace) -> str:
    return str(args.region or env_region() or "us-east-1")


def _evaluation_usage(embedder: Any, judge: Any, prices: Any, region: str) -> dict[str, Any]:
    """The embedding and judge calls' own tokens and cost, apart from the compared models'."""
    out: dict[str, Any] = {}
    if embedder is not None:
        u = embedder.usage()
        price = prices.price_of(embedder.model_id, region)
        cost = None if price is None else price.cost(u["input_tokens"])
        out["embedding"] = {**u, "output_tokens": 0, "cost_usd": None if cost is None else round(cost, 8)}
    if judge is not None:
        u = judge.usage()
        served = max(u["served_by"], key=u["served_by"].get) if u["served_by"] else judge.model_id
        cost = prices.cost_of(served, region, u["usage"])
        out["judge"] = {**u, "input_tokens": u["usage"]["inputTokens"], "output_tokens": u["usage"]["outputTokens"],
                        "cost_usd": None if cost is None else round(cost, 8)}
    return out


def _load_pairs(args: argparse.Namespace) -> tuple[list[Pair], dict[str, str], list[str], Any, Any]:
    """(pairs, source, lifecycle warnings, client or None, warning collector state)."""
    from bedrock_lifecycle.cli import compare_run

    if args.shadow_log is not None:
        name = "<stdin>" if args.shadow_log == "-" else args.shadow_log
        try:
            pairs, skipped = pairs_from_shadow_log(_read_lines(args.shadow_log, "--shadow-log"), name, alias=args.alias)
        except CompareInputError as exc:
            raise CliError(str(exc), 2) from None
        if not pairs:
            which = f" for alias {args.alias!r}" if args.alias else ""
            raise CliError(f"{name}: no shadow records{which}", 1)
        _need_texts(args, pairs)
        note = " (skipped an incomplete last line)" if skipped else ""
        print(f"compare: {len(pairs)} shadow pairs from {name}{note}", file=sys.stderr)
        return pairs, {"kind": "shadow_log", "file": name}, [], None, None
    name = "<stdin>" if args.prompts == "-" else args.prompts
    try:
        prompts = parse_prompts(_read_lines(args.prompts, "--prompts"), name)
    except CompareInputError as exc:
        raise CliError(str(exc), 2) from None
    from bedrock_lifecycle.api import reset_warnings

    reset_warnings()  # this run's lifecycle warnings are collected, even if seen before
    with compare_run.collect_warnings() as collector:
        client = compare_run.make_client(_client_names(args), _region(args), args.concurrency)
        progress = compare_run.Progress(2 * len(prompts))
        try:
            pairs = compare_run.run_prompts(client, args.baseline, args.candidate, prompts,
                                            concurrency=args.concurrency, progress=progress)
        except KeyboardInterrupt:
            if progress.tty:
                sys.stderr.write("\n")  # "interrupted" on its own line, not over the bar
            raise
    failed = [sum(1 for p in pairs if not getattr(p, side).ok) for side in ("baseline", "candidate")]
    progress.finish(f"compare: {plural(len(prompts), 'prompt')} x 2 models in {time.monotonic() - progress.started:.1f} s; "
                    f"failed calls: baseline {failed[0]}, candidate {failed[1]}")
    return pairs, {"kind": "prompts", "file": name}, list(collector.messages), client, collector


def _client_names(args: argparse.Namespace) -> list[tuple[str, str]]:
    names = []
    if args.shadow_log is None:
        names += [("--baseline", args.baseline), ("--candidate", args.candidate)]
    if args.similarity != "lexical":
        names.append(("--similarity", args.similarity.partition(":")[2]))
    if args.judge is not None:
        names.append(("--judge", args.judge))
    return names


def _need_texts(args: argparse.Namespace, pairs: list[Pair]) -> list[Pair]:
    """The pairs both sides answered with text; a clear error when the judge or embeddings
    were asked for and there is none (shadow records keep no text unless record_text)."""
    usable = [p for p in pairs if p.comparable()]
    if usable or (args.similarity == "lexical" and args.judge is None):
        return usable
    what = "--judge" if args.judge else "--similarity embedding"
    if args.shadow_log is not None:
        raise CliError(f"{what} needs both answers' texts: the shadow log has none "
                       "(record them with [shadow] record_text = true)", 2)
    raise CliError(f"{what} needs both answers' texts: no prompt was answered by both sides", 1)


def _evaluate(args: argparse.Namespace, pairs: list[Pair], client: Any,
              warnings_seen: list[str]) -> tuple[Any, Any, Any, Any]:
    """(scores, verdicts, embedder, judge) for --similarity embedding:... and --judge; the
    lifecycle warnings of the embedding and judge models are added to ``warnings_seen``."""
    if args.similarity == "lexical" and args.judge is None:
        return None, None, None, None
    from bedrock_lifecycle.cli import compare_run
    from bedrock_lifecycle.toolkit.judge import DEFAULT_RUBRIC, Embedder, Judge

    usable = _need_texts(args, pairs)
    if client is None:
        client = compare_run.make_client(_client_names(args), _region(args), args.concurrency)
    embedder = Embedder(client, args.similarity.partition(":")[2], _region(args)) if args.similarity != "lexical" else None
    judge = Judge(client, args.judge, _read_rubric(args.rubric) or DEFAULT_RUBRIC,
                  both_orders=args.judge_both_orders) if args.judge else None
    progress = compare_run.Progress(len(usable))
    with compare_run.collect_warnings() as collector:
        scores, verdicts = compare_run.score_pairs(usable, embedder=embedder, judge=judge,
                                                   concurrency=args.concurrency, progress=progress)
    skipped = len(pairs) - len(usable)
    progress.finish(f"compare: scored {plural(len(usable), 'pair')}"
                    + (f" (skipped {skipped} without both texts)" if skipped else ""))
    warnings_seen.extend(m for m in collector.messages if m not in warnings_seen)
    return scores, verdicts, embedder, judge


def cmd_compare(args: argparse.Namespace) -> int:
    _check_args(args)
    config = _config()
    prices = _price_table(args.prices, config.prices)
    _read_rubric(args.rubric)  # a bad rubric file is a usage error before any call
    pairs, source, warnings_seen, client, _ = _load_pairs(args)
    scores, verdicts, embedder, judge = _evaluate(args, pairs, client, warnings_seen)
    method = None if embedder is None else f"embedding: cosine of {embedder.model_id} vectors (floored at 0)"
    summary = summarise(
        pairs, baseline=args.baseline, candidate=args.candidate, threshold=args.threshold, prices=prices,
        region=_region(args), top=args.top, scores=scores, method=method, verdicts=verdicts,
        monthly_calls=args.monthly_calls,
    )
    summary["evaluation"] = _evaluation_usage(embedder, judge, prices, _region(args))
    summary["source"] = source
    summary["warnings"] = warnings_seen
    if args.report is not None:
        from bedrock_lifecycle.toolkit.report import render, write_atomic

        try:
            write_atomic(args.report, render(summary, pairs, source=source["file"], warnings=warnings_seen))
        except OSError as exc:
            raise CliError(f"--report {args.report}: cannot write: {exc.strerror or exc}", 1) from None
    if args.json:
        print_json(summary)
    else:
        print_text(summary, warnings_seen, args.report)
    failed = _all_failed(summary) + _gates(summary, args)
    for line in failed:
        print(f"bedrock-lifecycle compare: {line}", file=sys.stderr)
    return 1 if failed else 0
