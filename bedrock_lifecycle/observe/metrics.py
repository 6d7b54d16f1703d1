"""Built-in metrics: per alias and target model, in process, on by default.

Every wrapped client feeds the process-wide :data:`METRICS` from its own event bus
(``runtime.events``; never also from ``GLOBAL_EVENTS``, which sees the same events: no
double counting). Per (alias, model) series: ``calls`` (attempts sent to Bedrock),
``ok``, ``errors`` (error answers and mid-stream errors) with ``error_codes``,
``stream_errors``, ``refused``/``skipped`` (the lifecycle policy; never sent),
``fallbacks``, ``canary``, input/output tokens, and latency p50/p95/p99 of successful
attempts (for streams, the time to the first event). Shadow copies are their own series
(``shadow=True``; key ``"<model> (shadow)"`` in :func:`snapshot`), so they never blend
into a target's latency.

Cost and memory: the caller's thread appends the event to a queue; every 128 events (and
before any read) the queue is applied under one lock: about 0.4 µs per event in all
(``bench/bench_metrics.py``). Latency goes into a log-bucketed histogram (DDSketch
style): every quantile is within 1 % (relative) of the exact value at that rank, with at
most :data:`MAX_BUCKETS` buckets per series whatever the traffic. The number of series is
capped (:attr:`Metrics.max_series`; beyond it events count in an ``(overflow)`` series).

``BEDROCK_LIFECYCLE_METRICS`` (read at client creation) lists exporters: ``log``,
``emf``, ``otel``, ``cloudwatch`` (see :mod:`bedrock_lifecycle.observe.exporters`) and ``file``: a snapshot of
these metrics written every 10 s and at exit to ``<cache dir>/metrics/<pid>.json``
(0600, atomically) for ``bedrock-lifecycle status``. ``off`` turns the built-in metrics
off for that client (its events are then not even built, unless another subscriber
wants them).
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bedrock_lifecycle.core.observer import CallRecord
from bedrock_lifecycle.core.state import ClientState, Version
from bedrock_lifecycle.observe import exporters
from bedrock_lifecycle.observe.events import AttemptEvent, bus_of, events_of
from bedrock_lifecycle.observe.names import NO_ALIAS, model_key
from bedrock_lifecycle.observe.series import (
    INV_LOG_GAMMA,
    MAX_BUCKETS,
    MAX_INDEX,
    MAX_MS,
    MIN_MS,
    RELATIVE_ACCURACY,
    Histogram,
    Series,
)
from bedrock_lifecycle.observe.status import (  # the reading side: where `status` reads these files
    SNAPSHOT_SCHEMA,
    SNAPSHOT_VERSION,
    STALE_AFTER,
    live_snapshot,
    merge_documents,
    metrics_dir,
    read_documents,
    status_rows,
)
from bedrock_lifecycle.util.files import atomic_write_json, ensure_private_dir

log = logging.getLogger("bedrock_lifecycle")

ENV_METRICS = exporters.ENV_METRICS
OVERFLOW = "(overflow)"
SNAPSHOT_INTERVAL = 10.0
PRUNE_AFTER = 86400.0  # a writer deletes other processes' files older than this

class Metrics:
    """Per (alias, model) counters and latency, fed with attempt events (call it with one).

    The caller's thread appends the event to a queue (atomic, no lock); every ``batch``
    events, or before any read, the queue is applied under one lock in a tight loop.
    Batching is cheaper than a lock per event: one lock per batch, and the loop stays hot
    in the CPU caches between requests. Reads are exact: they apply what is queued first.
    Memory: the queue holds at most about ``batch`` events.
    """

    def __init__(self, max_series: int = 1000, batch: int = 128) -> None:
        self.max_series = max_series
        self.batch = batch
        self._series: dict[tuple[str | None, str, bool], Series] = {}
        # Events, or the clients' per-call Summary tuples (core.observer.Collector).
        self.pending: deque[AttemptEvent | tuple[Any, ...]] = deque()
        self._lock = threading.Lock()
        self.started_at = time.time()

    def __call__(self, ev: AttemptEvent) -> None:
        q = self.pending
        q.append(ev)
        if len(q) >= self.batch:
            self.apply()

    def apply(self) -> None:
        """Apply the queued events now (reads do it; exposed for tests and benchmarks)."""
        with self._lock:
            self._apply()

    def _apply(self) -> None:  # holds self._lock
        dues: list[Series] = []  # series with token counts to price at the end of the batch
        try:
            self._apply_into(dues)
        finally:  # even when an item fails: nothing counted is left unpriced
            for due in dues:
                due.settle()

    def _apply_into(self, dues: list[Series]) -> None:
        pop = self.pending.popleft
        one = self._one
        get = self._series.get
        # A Summary's fields, typed: the compiled build reads them without generic lookups.
        alias: str | None
        model: str | None
        ms: float
        usage: dict[str, Any] | None
        at_ns: int
        v: Version
        while True:
            try:
                ev = pop()
            except IndexError:
                return
            if isinstance(ev, tuple):  # a core.observer.Summary (the client's per-call tuple)
                alias, model, role, ms, attempts, usage, at_ns, v = ev
                at = at_ns / 1e9
                baseline = v.baselines.get(alias) if alias is not None else None
                if attempts is None:  # the commonest call: served at the first attempt
                    found = get((alias, model, False))
                    s = self._add(alias, model, False) if found is None else found
                    self._served(s, ms)
                    if not usage:
                        s.unpriced += 1
                    else:
                        # Priced here, in the batch, not on the caller's path; plain counts
                        # (ints, no cache tokens: the rule of PriceTable.cost_of's fast path,
                        # keep them alike) once per batch (bench/bench_versions.py).
                        table = v.prices
                        tin, tout = usage.get("inputTokens"), usage.get("outputTokens")
                        if tin.__class__ is int and tout.__class__ is int and tin >= 0 and tout >= 0 and \
                                usage.get("cacheReadInputTokens") is None and \
                                usage.get("cacheWriteInputTokens") is None and table is not None:
                            s.input_tokens += tin
                            s.output_tokens += tout
                            key = s.due_key
                            rates = s.due_rates if key is not None and key[0] is table and \
                                key[1] == v.region and key[2] == model else s.due(table, v.region, model)
                            if rates is not None:
                                if not (s.due_in or s.due_out):
                                    dues.append(s)
                                s.due_in += tin
                                s.due_out += tout
                            else:
                                self._cost(s, table.cost_of(model, v.region, usage))
                        else:
                            if tin:
                                s.input_tokens += tin
                            if tout:
                                s.output_tokens += tout
                            self._cost(s, None if table is None else table.cost_of(model, v.region, usage))
                    if baseline is not None and role != "fallback" and model != baseline:
                        s.canary += 1
                    s.last_at = at
                    continue
                tin = tout = None
                if usage is not None:
                    tin, tout = usage.get("inputTokens"), usage.get("outputTokens")
                last = len(attempts) - 1
                first = attempts[0]["model"] if attempts else None
                failed_before = False
                for i, a in enumerate(attempts):
                    model, outcome = a["model"], a["outcome"]
                    served = i == last and outcome == "ok"
                    table = v.prices if served and usage else None
                    one(alias, model, False, outcome, a["error_code"], a["duration_ms"] or 0.0,
                        tin if served else None, tout if served else None,
                        failed_before and model != first,
                        baseline is not None and a["role"] != "fallback" and model != baseline, at,
                        None if table is None else table.cost_of(model, v.region, usage))
                    failed_before = failed_before or outcome != "ok"
            else:
                one(ev.alias, ev.model, ev.shadow, ev.outcome, ev.error_code, ev.latency_ms, ev.input_tokens,
                    ev.output_tokens, ev.fallback, ev.canary, ev.at, ev.cost_usd)

    @staticmethod
    def _cost(s: Series, cost: float | None) -> None:
        if cost is None:
            s.unpriced += 1
        else:
            s.cost_usd += cost

    @staticmethod
    def _served(s: Series, ms: float) -> None:
        """An answered attempt: ``ok`` and its latency."""
        s.ok += 1
        h = s.latency  # Histogram.add, inlined
        h.count += 1
        h.total += ms
        if ms > h.max:
            h.max = ms
        if ms < h.min:
            h.min = ms
        if ms <= MIN_MS:
            h.zero += 1
        else:
            # math.log itself, not an alias: mypyc compiles math.log and math.ceil calls to C
            # (an imported or aliased name stays a generic call: 2x the batch's cost).
            i = math.ceil(math.log(ms) * INV_LOG_GAMMA) if ms < MAX_MS else MAX_INDEX
            b = h.buckets
            b[i] = b.get(i, 0) + 1

    def _one(self, alias: str | None, model: str, shadow: bool, outcome: str, code: str | None, ms: float,
             tin: int | None, tout: int | None, fallback: bool, canary: bool, at: float,
             cost: float | None = None) -> None:
        s = self._series.get((alias, model, shadow))
        if s is None:
            s = self._add(alias, model, shadow)
        if outcome == "ok":
            self._served(s, ms)
            if tin:
                s.input_tokens += tin
            if tout:
                s.output_tokens += tout
            self._cost(s, cost)
        elif outcome == "error":
            s.failed += 1
            s.count_code(code)
        else:
            if outcome == "stream_error":  # its stream's opening attempt counted as a call
                s.stream_errors += 1
                s.count_code(code)
            elif outcome == "refused":
                s.refused += 1
            else:  # "skipped": not sent
                s.skipped += 1
            s.last_at = at
            return
        # Attempts sent to Bedrock only, so a stream error never counts a fallback twice.
        if fallback:
            s.fallbacks += 1
        if shadow:
            s.shadow += 1
        if canary:
            s.canary += 1
        s.last_at = at

    def _add(self, alias: str | None, model: str, shadow: bool) -> Series:  # holds self._lock
        if len(self._series) >= self.max_series:
            okey = (OVERFLOW, OVERFLOW, False)
            s = self._series.get(okey)
            if s is None:
                log.warning("bedrock-lifecycle metrics: more than %d series; the rest count "
                            "in alias %r", self.max_series, OVERFLOW)
                s = self._series[okey] = Series(OVERFLOW, OVERFLOW)
            return s  # not stored under the event's key: the table stays bounded
        s = self._series[(alias, model, shadow)] = Series(alias, model, shadow)
        return s

    def series(self, alias: str | None, model: str, *, shadow: bool = False) -> dict[str, Any] | None:
        """One series as a dict (see :func:`snapshot`), or None when it saw no event.
        ``alias`` None (or ``"(none)"``) for calls made with a model ID."""
        if alias == NO_ALIAS:
            alias = None
        with self._lock:
            self._apply()
            s = self._series.get((alias, model, shadow))
            return None if s is None else s.to_dict()

    def snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``{alias: {model: {counters..., "error_codes", "error_rate", "latency_ms":
        {count, mean, min, max, p50, p95, p99}, "last_at"}}}``; alias ``"(none)"`` for
        calls made with a model ID, model ``"<model> (shadow)"`` for shadow copies."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        with self._lock:
            self._apply()
            for s in self._series.values():
                out.setdefault(s.alias or NO_ALIAS, {})[model_key(s.model, s.is_shadow)] = s.to_dict()
        return out

    def document(self) -> dict[str, Any]:
        """What the ``file`` exporter writes: full state (histogram buckets included), so
        ``status`` merges processes exactly."""
        with self._lock:
            self._apply()
            series = [s.to_state() for s in self._series.values()]
        return {
            "schema": SNAPSHOT_SCHEMA,
            "version": SNAPSHOT_VERSION,
            "pid": os.getpid(),
            "started_at": self.started_at,
            "written_at": time.time(),
            "relative_accuracy": RELATIVE_ACCURACY,
            "series": series,
            "rollbacks": list(ROLLBACKS)[-50:],
        }

    def reset(self) -> None:
        """Forget everything (tests; a forked child starts from zero)."""
        with self._lock:
            self.pending.clear()
            self._series = {}
            self.started_at = time.time()

    def after_fork(self) -> None:
        self._lock = threading.Lock()
        self.pending.clear()  # the same deque: clients hold a reference to it
        self._series = {}
        self.started_at = time.time()


METRICS = Metrics()


def snapshot() -> dict[str, dict[str, dict[str, Any]]]:
    """The process's metrics: see :meth:`Metrics.snapshot`."""
    return METRICS.snapshot()


def series(alias: str | None, model: str, *, shadow: bool = False) -> dict[str, Any] | None:
    """One series of the process's metrics: see :meth:`Metrics.series`."""
    return METRICS.series(alias, model, shadow=shadow)


def reset() -> None:
    METRICS.reset()


# ----------------------------------------------------------------------------- attaching


def validate(environ: Mapping[str, str], region: str) -> None:
    """Raise :class:`~bedrock_lifecycle.errors.ConfigError` for an unknown exporter or a
    missing OpenTelemetry, before a client changes at all (exporters are per process)."""
    for n in exporters.parse_names(environ.get(ENV_METRICS)):
        if n not in (exporters.OFF, "file"):
            exporters.get(n, region)


class MetricsObserver:
    """The built-in metrics on a client: its collector (the flow appends one payload-free
    ``Summary`` per call to :data:`METRICS`' queue; no record, no call per request) and an
    observer of the rarer records: shadow copies (as events) and canary rollbacks."""

    __slots__ = ("batch", "metrics", "queue")
    kinds = frozenset({"shadow", "rollback"})  # calls and stream errors arrive as summaries

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.queue = metrics.pending
        self.batch = metrics.batch

    def flush(self) -> None:
        self.metrics.apply()

    def on_call(self, record: CallRecord) -> None:
        kind = record.kind
        if kind == "shadow":
            for ev in events_of(record):
                self.metrics(ev)
        elif kind == "rollback":  # canary analysis rolled a canary back: shown by `status`
            ROLLBACKS.append(record.params or {})


def attach(state: ClientState, environ: Mapping[str, str]) -> None:
    """Wire the built-in metrics and the exporters named in ``BEDROCK_LIFECYCLE_METRICS``
    into a client (idempotent per client).

    Everything is validated and created before anything is subscribed: a
    :class:`~bedrock_lifecycle.errors.ConfigError` (unknown exporter, OpenTelemetry not
    installed) leaves the client untouched."""
    if "metrics" in state.plugins:
        return
    names = exporters.parse_names(environ.get(ENV_METRICS))
    if names == (exporters.OFF,):
        state.plugins["metrics"] = None
        return
    subscribers: list[Any] = [exporters.get(n, state.region) for n in names if n != "file"]
    directory = None
    if "file" in names:
        from bedrock_lifecycle.lifecycle.sync import resolve_cache_dir

        directory = resolve_cache_dir(state.version.config.registry.cache_dir, environ) / "metrics"
    if subscribers:
        bus = bus_of(state)
        for fn in subscribers:
            bus.subscribe(fn)
    observer = MetricsObserver(METRICS)
    state.plugins["metrics"] = observer
    state.collector = observer
    state.observers.add(observer)
    if directory is not None:
        WRITER.add(directory)


def flush() -> None:
    """Write exporters' batches and the snapshot files now (e.g. at the end of a Lambda
    invocation); also done periodically and at exit."""
    exporters.flush()
    WRITER.write()


# ----------------------------------------------------------------------------- snapshot files


class SnapshotWriter:
    """Writes :data:`METRICS`' document to ``<dir>/<pid>.json`` every ``interval`` seconds
    from a daemon thread, and at exit. Failures are logged (once per directory), never
    raised."""

    def __init__(self, metrics: Metrics, interval: float = SNAPSHOT_INTERVAL) -> None:
        self.metrics = metrics
        self.interval = interval
        self.dirs: list[Path] = []
        self.failed: set[Path] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._exit_registered = False

    def add(self, directory: Path) -> None:
        with self._lock:
            if directory in self.dirs:
                return
            self.dirs.append(directory)
            _prune(directory)
            if not self._exit_registered:
                atexit.register(self.write)
                self._exit_registered = True
            if self._worker is None:
                self._start()

    def _start(self) -> None:
        self._stop = threading.Event()
        t = threading.Thread(target=self._run, args=(self._stop,), name="bedrock-lifecycle-metrics",
                             daemon=True)
        self._worker = t
        t.start()

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            self.write()

    def write(self) -> list[Path]:
        """Write the snapshot to every directory now; returns the files written."""
        with self._lock:
            dirs = list(self.dirs)
        if not dirs:
            return []
        doc = self.metrics.document()
        written = []
        for d in dirs:
            path = d / f"{doc['pid']}.json"
            try:
                # 0700 however it came to exist (and its missing parents, the cache
                # directory included): the snapshots name models and aliases in use.
                ensure_private_dir(d, tighten=True)
                atomic_write_json(path, doc)
                written.append(path)
            except Exception as exc:
                if d not in self.failed:
                    self.failed.add(d)
                    log.warning("bedrock-lifecycle metrics: cannot write %s: %s", path, exc)
        return written

    def stop(self) -> None:
        """Stop the thread and forget the directories (tests)."""
        with self._lock:
            self._stop.set()
            self._worker = None
            self.dirs = []

    def after_fork(self) -> None:
        # The child has no writer thread; it writes its own pid's file from zero counts.
        self._lock = threading.Lock()
        self._worker = None
        if self.dirs:
            try:
                self._start()
            except Exception:
                log.warning("bedrock-lifecycle metrics: no snapshot thread after fork", exc_info=True)


WRITER = SnapshotWriter(METRICS)


def _prune(directory: Path) -> None:
    """Delete process files nobody has written for a day (pids are not reused for ever)."""
    try:
        entries = list(directory.glob("*.json"))
    except OSError:
        return
    cutoff = time.time() - PRUNE_AFTER
    for p in entries:
        try:
            if p.stem.isdigit() and p.stat().st_mtime < cutoff:
                p.unlink()
        except OSError:
            pass


def _after_fork_in_child() -> None:
    METRICS.after_fork()
    WRITER.after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# Canary rollbacks made in this process (analysis.py appends), written into snapshot files
# so `bedrock-lifecycle status` can show them.
ROLLBACKS: list[dict[str, Any]] = []


__all__ = [
    "ENV_METRICS",
    "MAX_BUCKETS",
    "METRICS",
    "NO_ALIAS",
    "RELATIVE_ACCURACY",
    "SNAPSHOT_SCHEMA",
    "SNAPSHOT_VERSION",
    "STALE_AFTER",
    "WRITER",
    "Histogram",
    "Metrics",
    "Series",
    "SnapshotWriter",
    "attach",
    "flush",
    "live_snapshot",
    "merge_documents",
    "metrics_dir",
    "read_documents",
    "reset",
    "series",
    "snapshot",
    "status_rows",
]
