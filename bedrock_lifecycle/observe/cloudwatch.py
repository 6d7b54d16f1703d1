"""Fleet-wide metrics in CloudWatch, and canary analysis over the whole fleet.

:class:`CloudWatchPublisher` subscribes to attempt events, aggregates them per
(alias, model, region) in memory — O(1) per event, bounded by a maximum number of series —
and publishes them with ``PutMetricData`` from a background thread every ``interval``
seconds. Latency goes out as ``Values``/``Counts`` pairs, so CloudWatch can compute fleet
percentiles; counts go out as sums. No request waits on CloudWatch; failures are counted
and logged, never raised.

:class:`FleetAnalyzer` reads the fleet's numbers back with ``GetMetricData``, judges each
canary with the same pure :func:`bedrock_lifecycle.migrate.canary.judge` the in-process analysis
uses, and on a rollback writes the configuration back to the SSM parameter (canary weight
0 everywhere, plus a record of why under ``rollbacks``) so every process follows it
within its TTL. Run it as one scheduled job (``bedrock-lifecycle analyze --fleet``), not
in every process.
"""

from __future__ import annotations

import atexit
import copy
import datetime as _dt
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from bedrock_lifecycle.observe.events import AttemptEvent

log = logging.getLogger("bedrock_lifecycle")

NAMESPACE = "BedrockLifecycle"
NO_ALIAS = "(none)"  # CloudWatch dimension values cannot be empty
_MAX_VALUES = 150  # PutMetricData: distinct Values per datum
_MAX_DATUMS = 1000  # PutMetricData: MetricData entries per call


def _bucket(ms: float) -> float:
    """Latency to 2 significant digits: a few % of error, few distinct values per datum."""
    if ms <= 0:
        return 0.0
    digits = 1 - math.floor(math.log10(ms))
    return round(ms, digits)


class _Series:
    __slots__ = ("calls", "errors", "fallbacks", "input_tokens", "latency", "output_tokens", "refusals")

    def __init__(self) -> None:
        self.calls = 0
        self.errors = 0
        self.fallbacks = 0
        self.refusals = 0
        self.input_tokens = 0
        self.output_tokens = 0
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

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        self._series = {}  # the parent publishes what it had aggregated
        self._stop = threading.Event()
        self._start_thread()

    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config as BotoConfig

            session = self._session or boto3.session.Session()
            self._client = session.client(
                "cloudwatch", region_name=self._region,
                config=BotoConfig(connect_timeout=3, read_timeout=10, retries={"total_max_attempts": 3}),
            )
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
            if ev.outcome in ("refused", "skipped"):
                s.refusals += 1
                return
            if ev.outcome == "stream_error":
                s.errors += 1  # the same call, failing mid-stream: its opening attempt was counted
                return
            s.calls += 1
            if ev.outcome != "ok":
                s.errors += 1
            elif ev.latency_ms:
                b = _bucket(ev.latency_ms)
                s.latency[b] = s.latency.get(b, 0) + 1
            if ev.fallback:
                s.fallbacks += 1
            s.input_tokens += ev.input_tokens or 0
            s.output_tokens += ev.output_tokens or 0

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
        publisher._after_fork()


def _close_at_exit(ref: weakref.ref[CloudWatchPublisher]) -> None:
    publisher = ref()
    if publisher is not None:
        publisher.close(timeout=2.0)


# ------------------------------------------------------------------- fleet analysis


class FleetAnalyzer:
    """Judge every canary of every alias with ``analysis`` on the fleet's CloudWatch data."""

    def __init__(
        self,
        source: Any,  # sources.SSMSource (anything with fetch(fresh=) and write())
        *,
        region: str,
        cloudwatch: Any = None,
        session: Any = None,
        namespace: str = NAMESPACE,
        window_seconds: int = 300,
        now: Callable[[], _dt.datetime] | None = None,
    ) -> None:
        self.source = source
        self.region = region
        self.namespace = namespace
        self.window = window_seconds
        self.now = now or (lambda: _dt.datetime.now(_dt.timezone.utc))
        self._cw = cloudwatch
        self._session = session

    def cloudwatch(self) -> Any:
        if self._cw is None:
            import boto3
            from botocore.config import Config as BotoConfig

            self._cw = (self._session or boto3.session.Session()).client(
                "cloudwatch", region_name=self.region, config=BotoConfig(retries={"total_max_attempts": 2}))
        return self._cw

    def stats(self, alias: str, models: list[str]) -> dict[str, Any]:
        from bedrock_lifecycle.migrate.canary import Stats

        end = self.now().replace(microsecond=0) + _dt.timedelta(seconds=1)
        start = end - _dt.timedelta(seconds=self.window)
        def query(metric: str, stat: str, prefix: str) -> list[dict[str, Any]]:
            return [{"Id": f"{prefix}{i}", "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": self.namespace, "MetricName": metric, "Dimensions": [
                    {"Name": "Alias", "Value": alias}, {"Name": "Model", "Value": model},
                    {"Name": "Region", "Value": self.region}]},
                "Period": self.window, "Stat": stat}} for i, model in enumerate(models)]

        def fetch(queries: list[dict[str, Any]], combine: Callable[[list[float]], float]) -> dict[str, float | None]:
            resp = self.cloudwatch().get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end)
            out: dict[str, float | None] = {}
            for r in resp.get("MetricDataResults", []):
                vals = [v for v in r.get("Values", []) if v is not None]
                out[r["Id"]] = combine(vals) if vals else None
            return out

        counts = fetch(query("Calls", "Sum", "c") + query("Errors", "Sum", "e"), sum)
        try:
            # Fleet percentiles come from the Values/Counts the publishers send. Some
            # CloudWatch look-alikes (moto) cannot compute them: then latency is not judged.
            latency = fetch(query("Latency", "p95", "l"), max)
        except Exception as exc:
            log.info("bedrock-lifecycle: fleet p95 latency unavailable (%s); judging error rates only", exc)
            latency = {}
        return {
            model: Stats(int(counts.get(f"c{i}") or 0), int(counts.get(f"e{i}") or 0), latency.get(f"l{i}"))
            for i, model in enumerate(models)
        }

    def run_once(self, *, apply: bool = False) -> list[dict[str, Any]]:
        """One analysis pass; with ``apply`` a rollback is written back to the source."""
        from bedrock_lifecycle.config.sources import build
        from bedrock_lifecycle.core.routing import weights_at
        from bedrock_lifecycle.migrate.canary import judge

        doc = self.source.fetch(fresh=True)
        cfg = build(doc, None, {})
        now = self.now()
        decisions = []
        data = copy.deepcopy(doc.data)
        changed = False
        for name, alias in cfg.aliases.items():
            if alias.analysis is None or len(alias.targets) < 2:
                continue
            weights = weights_at(alias, now)
            baseline = alias.targets[0].model
            canaries = [t.model for t, w in zip(alias.targets[1:], weights[1:], strict=True) if w > 0]
            if not canaries:
                continue
            stats = self.stats(name, [baseline, *canaries])
            for canary in canaries:
                verdict = judge(stats[baseline], stats[canary], alias.analysis)
                record = {"alias": name, "model": canary, "baseline": baseline, "rollback": verdict.rollback,
                          "reason": verdict.reason, "baseline_stats": _plain(stats[baseline]),
                          "canary_stats": _plain(stats[canary]), "at": now.isoformat(), "region": self.region}
                decisions.append(record)
                if verdict.rollback and apply:
                    _zero_weight(data, name, canary)
                    data.setdefault("rollbacks", []).append({
                        "alias": name, "model": canary, "reason": verdict.reason, "at": now.isoformat(),
                        "by": "bedrock-lifecycle analyze --fleet", "scope": "fleet", "region": self.region,
                        "from_version": doc.version})
                    changed = True
        if changed:
            data.pop("version", None)
            new = self.source.write(data)
            for d in decisions:
                if d["rollback"]:
                    d["written_version"] = new.version
            log.warning("bedrock-lifecycle: fleet canary rollback written to %s (%s)", self.source.name, new.version)
        return decisions


def _plain(stats: Any) -> dict[str, Any]:
    return {"calls": stats.calls, "errors": stats.errors, "p95_ms": stats.p95_ms}


def _zero_weight(data: dict[str, Any], alias: str, model: str) -> None:
    """Set ``model``'s weight to 0 in the alias's targets and in every ramp step."""
    from bedrock_lifecycle.config import alias_key

    for name, a in data.get("aliases", {}).items():
        if alias_key(name) != alias_key(alias):
            continue
        targets: list[dict[str, Any]] = [{"model": t} if isinstance(t, str) else dict(t) for t in a.get("targets", [])]
        idx = [i for i, t in enumerate(targets) if t.get("model") == model]
        for i in idx:
            targets[i]["weight"] = 0
        a["targets"] = targets
        for step in a.get("ramp", []):
            for i in idx:
                if i < len(step.get("weights", [])):
                    step["weights"][i] = 0
            if not any(w > 0 for w in step.get("weights", [])):
                step["weights"][0] = 1  # the baseline takes the traffic back
        if not any(t.get("weight", 1) > 0 for t in targets):
            targets[0]["weight"] = 1


def wait_published(publisher: CloudWatchPublisher, timeout: float = 5.0) -> None:
    """Flush now and wait (tests, short scripts)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        publisher.flush()
        with publisher._lock:
            if not publisher._series:
                return
        time.sleep(0.01)
