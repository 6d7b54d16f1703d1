"""Fleet canary analysis: :class:`FleetAnalyzer` reads the fleet's numbers back from
CloudWatch with ``GetMetricData`` (what :class:`~bedrock_lifecycle.observe.cloudwatch.CloudWatchPublisher`
and the ``emf`` exporter publish), judges each canary with the same pure
:func:`bedrock_lifecycle.migrate.canary.judge` the in-process analysis uses, and on a
rollback writes the configuration back to the SSM parameter (canary weight 0 everywhere,
plus a record of why under ``rollbacks``) so every process follows it within its TTL.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable
from typing import Any

from bedrock_lifecycle.config.sources import build
from bedrock_lifecycle.core.routing import weights_at
from bedrock_lifecycle.fleet.writeback import ParameterWriter, Rollback
from bedrock_lifecycle.migrate.canary import Stats, judge
from bedrock_lifecycle.observe.names import NAMESPACE
from bedrock_lifecycle.util.aws import aws_client

log = logging.getLogger("bedrock_lifecycle")


class FleetAnalyzer:
    """Judge every canary of every alias with ``analysis`` on the fleet's CloudWatch data."""

    def __init__(
        self,
        source: Any,  # sources.SSMSource
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
            self._cw = aws_client("cloudwatch", region=self.region, session=self._session, attempts=2,
                                  purpose="fleet")
        return self._cw

    def stats(self, alias: str, models: list[str]) -> dict[str, Any]:
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
        doc = self.source.fetch(fresh=True)
        cfg = build(doc, None, {})
        now = self.now()
        decisions = []
        rollbacks: list[Rollback] = []
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
                    rollbacks.append(Rollback(name, canary, {
                        "alias": name, "model": canary, "reason": verdict.reason, "at": now.isoformat(),
                        "by": "bedrock-lifecycle analyze --fleet", "scope": "fleet", "region": self.region,
                        "from_version": doc.version}))
        if rollbacks:
            new = ParameterWriter(self.source).apply(rollbacks)
            for d in decisions:
                if d["rollback"]:
                    d["written_version"] = new.version
            log.warning("bedrock-lifecycle: fleet canary rollback written to %s (%s)", self.source.name, new.version)
        return decisions


def _plain(stats: Any) -> dict[str, Any]:
    return {"calls": stats.calls, "errors": stats.errors, "p95_ms": stats.p95_ms}

