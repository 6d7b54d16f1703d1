"""Fleet-wide metrics in CloudWatch: the publisher.

:class:`CloudWatchPublisher` subscribes to attempt events, aggregates them per
(alias, model, region) in memory — O(1) per event, bounded by a maximum number of series —
and publishes them with ``PutMetricData`` from a background thread every ``interval``
seconds. Latency goes out as ``Values``/``Counts`` pairs, so CloudWatch can compute fleet
percentiles; counts go out as sums. No request waits on CloudWatch; failures are counted
and logged, never raised.

The fleet analysis that reads these numbers back lives in :mod:`bedrock_lifecycle.fleet`.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import logging
import math
import os
import threading
import time
import weakref
from typing import Any

from bedrock_lifecycle.observe.events import AttemptEvent
from bedrock_lifecycle.observe.names import ERRORS, NAMESPACE, NO_ALIAS, NOT_SENT, SENT
from bedrock_lifecycle.util.aws import aws_client

log = logging.getLogger("bedrock_lifecycle")

_MAX_VALUES = 150  # PutMetricData: distinct Values per datum
_MAX_DATUMS = 1000  # PutMetricData: MetricData entries per call


def _bucket(ms: float) -> float:
    """Latency to 2 significant digits: a few % of error, few distinct values per datum."""
    if ms <= 0:
        return 0.0
    digits = 1 - math.floor(math.log10(ms))
    return round(ms, digits)


class _Series:
    __slots__ = ("calls", "cost", "errors", "fallbacks", "input_tokens", "latency", "output_tokens", "refusals")

    def __init__(self) -> None:
        self.calls = 0
        self.errors = 0
        self.fallbacks = 0
        self.refusals = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost: float | None = None  # USD of the priced served calls; None: none priced
        self.latency: dict[float, int] = {}


class CloudWatchPublisher:
    def __init__(
        self,
        *,
        client: Any = None,
        session: Any = None,
        region: str | None = None,
        namespace: str = NAMESPACE,
        interval: float = 60.0,
        max_series: int = 2000,
        start: bool = True,
    ) -> None:
        self.namespace = namespace
        self.interval = interval
        self.max_series = max_series
        self._client = client
        self._session = session
        self._region = region
        self._series: dict[tuple[str, str, str], _Series] = {}
        self._lock = threading.Lock()
        self.dropped = 0  # events not aggregated because max_series was reached
        self.failures = 0  # PutMetricData calls that failed
        self.published = 0  # datums published
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if start:
            self._start_thread()
            ref = weakref.ref(self)
            atexit.register(_close_at_exit, ref)
            if hasattr(os, "register_at_fork"):  # a forked worker publishes its own numbers
                os.register_at_fork(after_in_child=lambda: _after_fork(ref))

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, name="bedrock-lifecycle-cloudwatch", daemon=True)
        self._thread.start()

    def pending(self) -> int:
        """Series not yet published."""
        with self._lock:
            return len(self._series)

    def after_fork(self) -> None:
        self._lock = threading.Lock()
        self._series = {}  # the parent publishes what it had aggregated
        self._stop = threading.Event()
        self._start_thread()

    def client(self) -> Any:
        if self._client is None:
            self._client = aws_client("cloudwatch", region=self._region, session=self._session, connect_timeout=3,
                                      read_timeout=10, attempts=3, purpose="metrics")
        return self._client

    def __call__(self, ev: AttemptEvent) -> None:
        model_key = f"{ev.model} (shadow)" if ev.shadow else ev.model
        key = (ev.alias or NO_ALIAS, model_key, ev.region or "unknown")
        with self._lock:
            s = self._series.get(key)
            if s is None:
                if len(self._series) >= self.max_series:
                    self.dropped += 1
                    return
                s = self._series[key] = _Series()
            outcome = ev.outcome
            if outcome in NOT_SENT:
                s.refusals += 1
            if outcome in ERRORS:
                s.errors += 1  # (a mid-stream error: its opening attempt was counted as the call)
            if outcome not in SENT:
                return
            s.calls += 1
            if outcome == "ok" and ev.latency_ms:
                b = _bucket(ev.latency_ms)
                s.latency[b] = s.latency.get(b, 0) + 1
            if ev.fallback:
                s.fallbacks += 1
            s.input_tokens += ev.input_tokens or 0
            s.output_tokens += ev.output_tokens or 0
            if ev.cost_usd is not None:
                s.cost = (s.cost or 0.0) + ev.cost_usd

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def flush(self) -> int:
        """Publish what was aggregated since the last flush; returns datums sent."""
        with self._lock:
            series, self._series = self._series, {}
        if not series:
            return 0
        now = _dt.datetime.now(_dt.timezone.utc)
        data: list[dict[str, Any]] = []
        for (alias, model, region), s in series.items():
            dims = [{"Name": "Alias", "Value": alias}, {"Name": "Model", "Value": model},
                    {"Name": "Region", "Value": region}]
            for name, value in (("Calls", s.calls), ("Errors", s.errors), ("Fallbacks", s.fallbacks),
                                ("Refusals", s.refusals), ("InputTokens", s.input_tokens),
                                ("OutputTokens", s.output_tokens)):
                data.append({"MetricName": name, "Dimensions": dims, "Timestamp": now,
                             "Value": float(value), "Unit": "Count"})
            if s.cost is not None:  # USD; an unknown price is left out, never sent as 0
                data.append({"MetricName": "EstimatedCost", "Dimensions": dims, "Timestamp": now,
                             "Value": s.cost, "Unit": "None"})
            items = sorted(s.latency.items())
            for i in range(0, len(items), _MAX_VALUES):
                chunk = items[i : i + _MAX_VALUES]
                data.append({"MetricName": "Latency", "Dimensions": dims, "Timestamp": now,
                             "Values": [v for v, _ in chunk], "Counts": [float(c) for _, c in chunk],
                             "Unit": "Milliseconds"})
        sent = 0
        for i in range(0, len(data), _MAX_DATUMS):
            batch = data[i : i + _MAX_DATUMS]
            try:
                self.client().put_metric_data(Namespace=self.namespace, MetricData=batch)
                sent += len(batch)
            except Exception as exc:  # metrics never break the application
                self.failures += 1
                log.warning("bedrock-lifecycle: PutMetricData failed (%d datums dropped): %s", len(batch), exc)
        self.published += sent
        return sent

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        try:
            self.flush()
        except Exception:  # pragma: no cover - flush already guards its calls
            log.exception("bedrock-lifecycle: final CloudWatch flush failed")


def _after_fork(ref: weakref.ref[CloudWatchPublisher]) -> None:
    publisher = ref()
    if publisher is not None:
        publisher.after_fork()


def _close_at_exit(ref: weakref.ref[CloudWatchPublisher]) -> None:
    publisher = ref()
    if publisher is not None:
        publisher.close(timeout=2.0)


def wait_published(publisher: CloudWatchPublisher, timeout: float = 5.0) -> None:
    """Flush now and wait (tests, short scripts)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        publisher.flush()
        if not publisher.pending():
            return
        time.sleep(0.01)
