"""The I/O half of ``compare``: calling Bedrock through ``bedrock_lifecycle.client()`` (so
aliases, fallbacks, the lifecycle policy and ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` apply),
the progress line, and scoring pairs with embeddings and a judge. Prompts and answers are
never logged.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, TextIO, TypeVar

from bedrock_lifecycle.cli._common import CliError
from bedrock_lifecycle.observe.events import converse_text
from bedrock_lifecycle.toolkit.compare import Outcome, Pair
from bedrock_lifecycle.toolkit.inputs import Prompt

__all__ = ["Progress", "call_one", "collect_warnings", "make_client", "run_prompts", "score_pairs"]

T = TypeVar("T")
NOT_RECORDED = "(the prompt was not recorded: compare the two answers with each other)"


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
    content = ((resp.get("output") or {}).get("message") or {}).get("content") or []
    blocks = tuple(next(iter(b), "?") for b in content if isinstance(b, dict))
    tools = tuple(str((b.get("toolUse") or {}).get("name")) for b in content
                  if isinstance(b, dict) and isinstance(b.get("toolUse"), dict))
    return Outcome(
        model=str(meta.get("model_id") or model),
        latency_ms=ms,
        input_tokens=usage.get("inputTokens"),
        output_tokens=usage.get("outputTokens"),
        stop_reason=resp.get("stopReason"),
        text=converse_text(resp),
        attempts=sent or 1,
        attempt_errors=codes,
        cache_read_tokens=usage.get("cacheReadInputTokens"),
        cache_write_tokens=usage.get("cacheWriteInputTokens"),
        block_types=blocks,
        tool_names=tools,
        usage_fields=tuple(sorted(usage)),
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
        Pair(p.id, outcomes[(i, 0)], outcomes[(i, 1)], prompt_excerpt=p.excerpt, expect=p.expect,
             prompt_text=p.text)
        for i, p in enumerate(prompts)
    ]


def make_client(names: Sequence[tuple[str, str]], region: str, concurrency: int) -> Any:
    """A drop-in client from the user's configuration; ``names`` ((flag, name) pairs: the
    two sides, the embedding model, the judge) must be configured aliases or model IDs.
    Shadow copies of those aliases are turned off for the run (a comparison must not double
    its own cost nor write synthetic pairs to the log)."""
    import bedrock_lifecycle
    from bedrock_lifecycle.config import sources
    from bedrock_lifecycle.errors import ConfigError
    from bedrock_lifecycle.ids import ModelIdError, parse_model_id

    try:
        config, _ = sources.initial(os.environ)
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    overrides: dict[str, Any] = {}
    for flag, name in names:
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


def _pool_map(fn: Callable[[Pair], T], items: Sequence[Pair], concurrency: int,
              progress: Progress | None) -> dict[str, T]:
    out: dict[str, T] = {}
    if not items:
        return out
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bedrock-compare-eval")
    try:
        futures = {pool.submit(fn, p): p.id for p in items}
        for done, fut in enumerate(as_completed(futures), 1):
            out[futures[fut]] = fut.result()
            if progress is not None:
                progress.update(done, 0)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return out


def score_pairs(
    pairs: Sequence[Pair],
    *,
    embedder: Any = None,
    judge: Any = None,
    concurrency: int = 4,
    progress: Progress | None = None,
) -> tuple[dict[str, float | None] | None, dict[str, Any] | None]:
    """Embedding similarity and judge verdicts for every pair both sides answered with text.
    Either part is None when not asked for. The judge is shown the prompt when known."""
    comparable = [p for p in pairs if p.comparable()]

    def both(p: Pair) -> tuple[float | None, Any]:
        with _quiet_in_thread():
            b, c = p.baseline.text or "", p.candidate.text or ""
            sim = embedder.score(b, c) if embedder is not None else None
            verdict = judge.judge(p.prompt_text or NOT_RECORDED, b, c) if judge is not None else None
        return sim, verdict

    results = _pool_map(both, comparable, concurrency, progress)
    scores = {k: v[0] for k, v in results.items()} if embedder is not None else None
    verdicts = {k: v[1] for k, v in results.items()} if judge is not None else None
    return scores, verdicts
