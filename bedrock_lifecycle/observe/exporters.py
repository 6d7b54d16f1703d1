"""Exporters for attempt events: ``log``, ``emf`` and ``otel`` (``file`` lives in metrics.py).

Chosen with ``BEDROCK_LIFECYCLE_METRICS`` (comma-separated, default none; see
docs/observability.md). Each exporter is an event subscriber; one instance per name
serves every client of the process, so two clients never duplicate a line or a flush
thread. No exporter ever raises into a request: the caller's thread only appends to a
bounded queue or checks a log level; writing happens off it (EMF) or is guarded.

Nothing here records prompt or response content or credentials: exporters only see
:class:`~bedrock_lifecycle.observe.events.AttemptEvent`, which carries neither.

- ``log``: one JSON line per attempt on logger ``bedrock_lifecycle.observe.metrics`` (INFO).
- ``emf``: CloudWatch Embedded Metric Format lines on stdout (or a given stream), one
  document per (alias, model, region) per flush, flushed by a daemon thread every second
  or every 100 events, and at exit. Namespace and dimensions match
  :mod:`bedrock_lifecycle.observe.cloudwatch`, so EMF and PutMetricData land in the same metrics.
- ``otel``: OpenTelemetry counters, a latency histogram and one span per attempt; needs
  the optional ``opentelemetry-api`` (``pip install bedrock-lifecycle[otel]``).
- ``cloudwatch``: :class:`bedrock_lifecycle.observe.cloudwatch.CloudWatchPublisher` (PutMetricData
  from a background thread), one per region of the clients that name it.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import importlib
import json
import logging
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import IO, Any

from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.observe.events import AttemptEvent
from bedrock_lifecycle.observe.names import ERRORS, NAMESPACE, NO_ALIAS, NOT_SENT, SENT

log = logging.getLogger("bedrock_lifecycle")

ENV_METRICS = "BEDROCK_LIFECYCLE_METRICS"
EXPORTERS = ("cloudwatch", "emf", "file", "log", "otel")
OFF = "off"  # turns the built-in metrics off too (alone)
LOGGER_NAME = "bedrock_lifecycle.observe.metrics"



def parse_names(value: str | None) -> tuple[str, ...]:
    """The exporter names in ``BEDROCK_LIFECYCLE_METRICS`` (lower-cased, de-duplicated,
    in order), ``("off",)``, or ``()``. Raises :class:`ConfigError` naming the variable."""
    if not value or not value.strip():
        return ()
    names: list[str] = []
    for part in value.split(","):
        name = part.strip().lower()
        if not name or name in names:
            continue
        if name not in (*EXPORTERS, OFF):
            raise ConfigError(
                f"{ENV_METRICS}={value!r}: unknown exporter {name!r} "
                f"(known: {', '.join(EXPORTERS)}; or 'off' for no metrics at all)"
            )
        names.append(name)
    if OFF in names and len(names) > 1:
        raise ConfigError(f"{ENV_METRICS}={value!r}: 'off' cannot be combined with exporters")
    return tuple(names)


_UNITS = {"Latency": "Milliseconds", "EstimatedCost": "None"}  # EstimatedCost is USD (no CloudWatch unit)
_encode = json.JSONEncoder(separators=(",", ":")).encode  # json.dumps(**kw) builds an encoder per call
# The last whole second formatted, as one (second, text) tuple so threads read a matching
# pair: one strftime per second instead of one per line.
_second: tuple[int, str] = (-1, "")


def _iso(at: float) -> str:
    """``2026-05-01T12:00:00.123+00:00`` (UTC, milliseconds)."""
    global _second
    at = at or time.time()
    sec = int(at)
    cached = _second
    if cached[0] != sec:
        cached = _second = (sec, _dt.datetime.fromtimestamp(sec, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{cached[1]}.{int((at - sec) * 1000):03d}+00:00"


def event_record(ev: AttemptEvent) -> dict[str, Any]:
    """The exported fields of an event: identifiers, outcome, timing, token counts.
    (An event has no content fields; this list is explicit so a future one is not
    exported by accident.)"""
    return {
        "at": _iso(ev.at),
        "alias": ev.alias,
        "model": ev.model,
        "region": ev.region,
        "operation": ev.operation,
        "outcome": ev.outcome,
        "error_code": ev.error_code,
        "latency_ms": round(ev.latency_ms, 3),
        "input_tokens": ev.input_tokens,
        "output_tokens": ev.output_tokens,
        "cost_usd": ev.cost_usd,
        "role": ev.role,
        "fallback": ev.fallback,
        "shadow": ev.shadow,
        "canary": ev.canary,
        "stop_reason": ev.stop_reason,
    }


# ----------------------------------------------------------------------------- log


class LogExporter:
    """One JSON line per attempt on ``bedrock_lifecycle.observe.metrics``.

    The log message is the JSON document; ``record.bedrock_lifecycle`` carries the same
    dict for structured handlers. When the logger is not enabled for ``level`` the cost is
    one level check (logging caches it)."""

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self.logger = logger or logging.getLogger(LOGGER_NAME)
        self.level = level

    def __call__(self, ev: AttemptEvent) -> None:
        lg = self.logger
        if not lg.isEnabledFor(self.level):
            return
        try:
            rec = {"event": "bedrock_lifecycle.attempt", **event_record(ev)}
            # makeRecord + handle is Logger.log without findCaller's stack walk (the caller
            # would be this exporter anyway): handlers, filters and propagation unchanged.
            record = lg.makeRecord(lg.name, self.level, "bedrock_lifecycle/exporters.py", 0, _encode(rec),
                                   (), None, extra={"bedrock_lifecycle": rec})
            lg.handle(record)
        except Exception:  # a broken handler never breaks a request
            _complain("log exporter")


# ----------------------------------------------------------------------------- emf

_EMF_MAX_VALUES = 100  # EMF: at most 100 values in one metric's array


class EmfExporter:
    """CloudWatch Embedded Metric Format, batched.

    The caller's thread appends the event to a bounded queue (a full queue drops and
    counts: ``dropped``); a daemon thread aggregates per (alias, model, region) and writes
    one EMF document per series every ``interval`` seconds or when ``batch`` events are
    waiting, and at interpreter exit. :meth:`flush` writes now (e.g. at the end of a
    Lambda handler). Write errors are counted (``write_errors``) and logged, never raised.

    Metrics: ``Calls`` (attempts sent to Bedrock), ``Errors`` (error answers and mid-stream
    errors), ``Refusals`` (refused or skipped by the lifecycle policy, never sent),
    ``Fallbacks``, ``InputTokens``, ``OutputTokens`` (Count) and ``Latency``
    (Milliseconds, successful attempts; up to 100 values per document). Shadow copies are
    their own series, model ``"<model> (shadow)"``, as in :mod:`bedrock_lifecycle.observe.cloudwatch`.
    """

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        namespace: str = NAMESPACE,
        interval: float = 1.0,
        batch: int = 100,
        max_pending: int = 10_000,
    ) -> None:
        self.stream = stream  # None: sys.stdout at write time (so redirections apply)
        self.namespace = namespace
        self.interval = interval
        self.batch = batch
        self.max_pending = max_pending
        self.dropped = 0
        self.write_errors = 0
        self.written = 0  # documents written
        self._queue: deque[AttemptEvent] = deque()
        self._wake = threading.Event()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False

    def __call__(self, ev: AttemptEvent) -> None:
        q = self._queue
        if len(q) >= self.max_pending:
            self.dropped += 1  # approximate under races; it only reports shedding
            return
        q.append(ev)  # deque.append is atomic: no lock on the caller's thread
        if self._thread is None:
            self._start()
        if len(q) >= self.batch and not self._wake.is_set():
            self._wake.set()

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None or self._closed:
                return
            t = threading.Thread(target=self._run, name="bedrock-lifecycle-emf", daemon=True)
            self._thread = t
            t.start()
            _register_exit()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> int:
        """Write what is queued now; returns the number of documents written."""
        with self._write_lock:
            q = self._queue
            events: list[AttemptEvent] = []
            try:
                while True:
                    events.append(q.popleft())
            except IndexError:
                pass
            if not events:
                return 0
            try:
                lines = self.documents(events)
                stream = self.stream if self.stream is not None else sys.stdout
                stream.write("".join(_encode(d) + "\n" for d in lines))
                stream.flush()
            except Exception:
                self.write_errors += 1
                _complain("emf exporter")
                return 0
            self.written += len(lines)
            return len(lines)

    def documents(self, events: list[AttemptEvent]) -> list[dict[str, Any]]:
        """EMF documents for ``events``: one per (alias, model, region), more when a series
        has over 100 latency values."""
        groups: dict[tuple[str, str, str], list[Any]] = {}
        for ev in events:
            model = f"{ev.model} (shadow)" if ev.shadow else ev.model
            key = (ev.alias or NO_ALIAS, model, ev.region or "unknown")
            g = groups.get(key)
            if g is None:
                # calls, errors, refusals, fallbacks, input, output, latencies, last at, cost
                g = groups[key] = [0, 0, 0, 0, 0, 0, [], 0.0, None]
            outcome = ev.outcome
            if outcome in SENT:
                g[0] += 1
                if ev.fallback:
                    g[3] += 1
                if outcome == "ok":
                    g[6].append(round(ev.latency_ms, 3))
                    g[4] += ev.input_tokens or 0
                    g[5] += ev.output_tokens or 0
                    if ev.cost_usd is not None:
                        g[8] = (g[8] or 0.0) + ev.cost_usd
            elif outcome in NOT_SENT:
                g[2] += 1
            if outcome in ERRORS:
                g[1] += 1
            g[7] = max(g[7], ev.at)
        docs = []
        now = time.time()
        for (alias, model, region), (calls, errors, refusals, fallbacks, tin, tout, lat, at, cost) in groups.items():
            ts = int((at or now) * 1000)
            counts: dict[str, Any] = {"Calls": calls, "Errors": errors, "Refusals": refusals, "Fallbacks": fallbacks,
                                      "InputTokens": tin, "OutputTokens": tout}
            if cost is not None:  # an unknown price is left out, never published as 0
                counts["EstimatedCost"] = round(cost, 8)
            chunks = [lat[i:i + _EMF_MAX_VALUES] for i in range(0, len(lat), _EMF_MAX_VALUES)] or [[]]
            for n, chunk in enumerate(chunks):
                values: dict[str, Any] = dict(counts) if n == 0 else {}
                if chunk:
                    values["Latency"] = chunk
                metrics = [{"Name": k, "Unit": _UNITS.get(k, "Count")} for k in values]
                docs.append({
                    "_aws": {
                        "Timestamp": ts,
                        "CloudWatchMetrics": [{
                            "Namespace": self.namespace,
                            "Dimensions": [["Alias", "Model", "Region"]],
                            "Metrics": metrics,
                        }],
                    },
                    "Alias": alias,
                    "Model": model,
                    "Region": region,
                    **values,
                })
        return docs

    def close(self) -> None:
        """Flush and stop the thread (it is a daemon: it never holds up exit)."""
        self._closed = True
        self._wake.set()
        self.flush()

    def after_fork(self) -> None:
        # The parent flushes what it had queued; the child starts empty, without the thread.
        self._queue = deque()
        self._wake = threading.Event()
        self._write_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._thread = None


# ----------------------------------------------------------------------------- otel

OTEL_HINT = "pip install 'bedrock-lifecycle[otel]' (or opentelemetry-api and an SDK)"


class OtelExporter:
    """OpenTelemetry metrics and a span per attempt, through the global (or given)
    providers. Without an SDK configured by the application, the API's no-op providers
    make this cost little and record nothing.

    Instruments (meter ``bedrock_lifecycle``): counters ``bedrock_lifecycle.calls``,
    ``bedrock_lifecycle.errors``, ``bedrock_lifecycle.fallbacks``,
    ``bedrock_lifecycle.tokens`` (attribute ``gen_ai.token.type`` input/output) and the
    histogram ``bedrock_lifecycle.latency`` (ms, successful attempts). Attributes:
    ``bedrock_lifecycle.alias``, ``gen_ai.request.model``, ``cloud.region``,
    ``bedrock_lifecycle.operation``, ``bedrock_lifecycle.outcome``, ``error.type``.
    Spans are named ``"<operation> <model>"`` (kind CLIENT), start and end at the
    attempt's times, under the caller's current span.
    """

    def __init__(self, meter_provider: Any = None, tracer_provider: Any = None) -> None:
        try:
            otel_metrics = importlib.import_module("opentelemetry.metrics")
            otel_trace = importlib.import_module("opentelemetry.trace")
        except ImportError:
            raise ConfigError(
                f"{ENV_METRICS}: exporter 'otel' needs OpenTelemetry, which is not installed: {OTEL_HINT}"
            ) from None
        from bedrock_lifecycle import __version__

        mp = meter_provider or otel_metrics.get_meter_provider()
        tp = tracer_provider or otel_trace.get_tracer_provider()
        meter = mp.get_meter("bedrock_lifecycle", __version__)
        self.tracer = tp.get_tracer("bedrock_lifecycle", __version__)
        self._kind = otel_trace.SpanKind.CLIENT
        self._error = otel_trace.Status(otel_trace.StatusCode.ERROR)
        self.calls = meter.create_counter("bedrock_lifecycle.calls", unit="{call}",
                                          description="Attempts sent to Bedrock")
        self.errors = meter.create_counter("bedrock_lifecycle.errors", unit="{error}",
                                           description="Error answers and mid-stream errors")
        self.fallbacks = meter.create_counter("bedrock_lifecycle.fallbacks", unit="{call}",
                                              description="Attempts sent to a fallback after another model failed")
        self.tokens = meter.create_counter("bedrock_lifecycle.tokens", unit="{token}",
                                           description="Input and output tokens of successful attempts")
        self.latency = meter.create_histogram("bedrock_lifecycle.latency", unit="ms",
                                              description="Latency of successful attempts")
        self._attrs: dict[tuple[Any, ...], dict[str, Any]] = {}

    def _attributes(self, ev: AttemptEvent) -> dict[str, Any]:
        key = (ev.alias, ev.model, ev.region, ev.operation, ev.outcome, ev.error_code, ev.shadow)
        a = self._attrs.get(key)
        if a is None:
            a = {
                "bedrock_lifecycle.alias": ev.alias or NO_ALIAS,
                "gen_ai.system": "aws.bedrock",
                "gen_ai.request.model": ev.model,
                "cloud.region": ev.region,
                "bedrock_lifecycle.operation": ev.operation,
                "bedrock_lifecycle.outcome": ev.outcome,
            }
            if ev.error_code:
                a["error.type"] = ev.error_code
            if ev.shadow:
                a["bedrock_lifecycle.migrate.shadow"] = True
            if len(self._attrs) < 4096:  # bounded: attribute sets are few in practice
                self._attrs[key] = a
        return a

    def __call__(self, ev: AttemptEvent) -> None:
        try:
            attrs = self._attributes(ev)
            outcome = ev.outcome
            if outcome in SENT:
                self.calls.add(1, attrs)
                if ev.fallback:
                    self.fallbacks.add(1, attrs)
                if outcome == "ok":
                    self.latency.record(ev.latency_ms, attrs)
                    if ev.input_tokens:
                        self.tokens.add(ev.input_tokens, {**attrs, "gen_ai.token.type": "input"})
                    if ev.output_tokens:
                        self.tokens.add(ev.output_tokens, {**attrs, "gen_ai.token.type": "output"})
            if outcome in ERRORS:
                self.errors.add(1, attrs)
            self._span(ev, attrs)
        except Exception:
            _complain("otel exporter")

    def _span(self, ev: AttemptEvent, attrs: dict[str, Any]) -> None:
        end = ev.at or time.time()
        span_attrs = dict(attrs)
        span_attrs["bedrock_lifecycle.role"] = ev.role
        span_attrs["bedrock_lifecycle.core.classify"] = ev.fallback
        span_attrs["bedrock_lifecycle.canary"] = ev.canary
        if ev.input_tokens is not None:
            span_attrs["gen_ai.usage.input_tokens"] = ev.input_tokens
        if ev.output_tokens is not None:
            span_attrs["gen_ai.usage.output_tokens"] = ev.output_tokens
        if ev.stop_reason:
            span_attrs["gen_ai.response.finish_reasons"] = (ev.stop_reason,)
        span = self.tracer.start_span(
            f"{ev.operation} {ev.model}", kind=self._kind, attributes=span_attrs,
            start_time=int((end - ev.latency_ms / 1000.0) * 1e9),
        )
        if ev.outcome in ERRORS or ev.outcome == "refused":
            span.set_status(self._error)
        span.end(end_time=int(end * 1e9))


# ----------------------------------------------------------------------------- registry

_instances: dict[str, Callable[[AttemptEvent], None]] = {}
_instances_lock = threading.Lock()


def get(name: str, region: str | None = None) -> Callable[[AttemptEvent], None]:
    """The process-wide exporter called ``name`` (``log``, ``emf``, ``otel``, or
    ``cloudwatch`` for ``region``), created on first use. ``otel`` raises
    :class:`ConfigError` when OpenTelemetry is missing."""
    key = f"cloudwatch:{region or ''}" if name == "cloudwatch" else name
    ex = _instances.get(key)
    if ex is not None:
        return ex
    with _instances_lock:
        ex = _instances.get(key)
        if ex is None:
            if name == "log":
                ex = LogExporter()
            elif name == "emf":
                ex = EmfExporter()
            elif name == "otel":
                ex = OtelExporter()
            elif name == "cloudwatch":
                # Metrics land in the region the calls were made in (one publisher per region).
                from bedrock_lifecycle.observe.cloudwatch import CloudWatchPublisher

                ex = CloudWatchPublisher(region=region or None)
            else:
                raise ConfigError(f"{ENV_METRICS}: {name!r} is not an event exporter "
                                  "(known: cloudwatch, emf, log, otel)")
            _instances[key] = ex
    return ex


def flush() -> None:
    """Write what the exporters hold now (EMF batches)."""
    for ex in list(_instances.values()):
        f = getattr(ex, "flush", None)
        if f is not None:
            try:
                f()
            except Exception:
                _complain("exporter flush")


_exit_registered = False
_exit_lock = threading.Lock()


def _register_exit() -> None:
    global _exit_registered
    with _exit_lock:
        if not _exit_registered:
            atexit.register(flush)
            _exit_registered = True


def _after_fork_in_child() -> None:
    global _exit_lock
    _exit_lock = threading.Lock()
    for ex in _instances.values():
        reset = getattr(ex, "after_fork", None)  # exporters with per-process state
        if reset is not None:
            reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


_last_complaint: dict[str, float] = {}


def _complain(what: str) -> None:
    """Log an exporter failure with its traceback, at most once a minute per exporter."""
    now = time.monotonic()
    if now - _last_complaint.get(what, -1e9) >= 60.0:
        _last_complaint[what] = now
        log.warning("bedrock-lifecycle %s failed (further failures for a minute are not logged)",
                    what, exc_info=True)


__all__ = [
    "ENV_METRICS",
    "EXPORTERS",
    "LOGGER_NAME",
    "NAMESPACE",
    "NO_ALIAS",
    "EmfExporter",
    "LogExporter",
    "OtelExporter",
    "event_record",
    "flush",
    "get",
    "parse_names",
]
