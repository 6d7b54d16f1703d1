"""The load an alias (or a model) carries: requests and tokens per minute.

Two sources. The built-in metrics snapshot files (``<cache dir>/metrics/<pid>.json``, the
``file`` exporter) hold each process's totals since it started, so they give an *average*
rate over each process's life (summed over processes alive together), not a peak.
CloudWatch (``--from-cloudwatch``: the library's ``BedrockLifecycle`` namespace, metrics
``Calls``, ``InputTokens``, ``OutputTokens`` by ``Alias``/``Model``/``Region``) gives the
busiest minute of the window: a real peak.

This module reads the snapshot format on its own (schema ``bedrock-lifecycle/metrics``
version 1) so that readiness does not import the metrics observer.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

SNAPSHOT_SCHEMA: Final = "bedrock-lifecycle/metrics"
SNAPSHOT_VERSION: Final = 1
NAMESPACE: Final = "BedrockLifecycle"
NO_ALIAS: Final = "(none)"
SNAPSHOT_MAX_AGE: Final = 86400.0  # snapshot files older than a day are not "current load"
_MIN_SPAN = 60.0  # a process younger than a minute counts as one minute


@dataclasses.dataclass(frozen=True, slots=True)
class Load:
    requests_per_minute: float
    tokens_per_minute: float
    basis: str  # "average" (snapshot) or "peak" (CloudWatch)
    source: str  # where from, for the report
    window: str  # the span it covers

    def scaled(self, factor: float) -> Load:
        return dataclasses.replace(
            self,
            requests_per_minute=self.requests_per_minute * factor,
            tokens_per_minute=self.tokens_per_minute * factor,
        )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _matches(series: Mapping[str, Any], subject: str, is_alias: bool) -> bool:
    if series.get("is_shadow"):
        return False  # shadow copies are extra load on the shadow model, not the alias's
    if is_alias:
        return (series.get("alias") or NO_ALIAS) == subject
    return series.get("model") == subject


def from_snapshots(
    directory: Path, subject: str, *, is_alias: bool, now: float | None = None,
    max_age: float = SNAPSHOT_MAX_AGE,
) -> Load | None:
    """Average load of ``subject`` over the life of the processes whose snapshot files in
    ``directory`` were written in the last ``max_age`` seconds; None without any data."""
    now = time.time() if now is None else now
    rpm = tpm = 0.0
    processes = 0
    try:
        paths = sorted(directory.glob("*.json"))
    except OSError:
        return None
    for path in paths:
        doc = _read(path)
        if doc is None or now - float(doc["written_at"]) > max_age:
            continue
        span = max(_MIN_SPAN, float(doc["written_at"]) - float(doc.get("started_at") or 0.0))
        calls = tokens = 0
        for s in doc.get("series") or ():
            if isinstance(s, dict) and _matches(s, subject, is_alias):
                calls += int(s.get("ok", 0)) + int(s.get("failed", 0))
                tokens += int(s.get("input_tokens", 0)) + int(s.get("output_tokens", 0))
        if calls or tokens:
            processes += 1
            rpm += calls * 60.0 / span
            tpm += tokens * 60.0 / span
    if not processes:
        return None
    return Load(rpm, tpm, "average", f"metrics snapshots in {directory} ({processes} process{'es' if processes != 1 else ''})", "each process's life")


def _read(path: Path) -> dict[str, Any] | None:
    if not path.stem.isdigit():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("schema") != SNAPSHOT_SCHEMA or doc.get("version") != SNAPSHOT_VERSION:
        return None
    if not isinstance(doc.get("written_at"), int | float):
        return None
    return doc


def from_cloudwatch(
    client: Any, subject: str, *, is_alias: bool, days: int = 7, now: _dt.datetime | None = None,
    namespace: str = NAMESPACE,
) -> Load | None:
    """The busiest minute of the last ``days`` days for ``subject`` in CloudWatch (requests
    and tokens peak separately); None when the namespace has no series for it. Raises the
    client's error (the caller reports a missing permission)."""
    end = (now or _dt.datetime.now(_dt.timezone.utc)).replace(second=0, microsecond=0)
    start = end - _dt.timedelta(days=days)
    key = "Alias" if is_alias else "Model"
    dims: list[list[dict[str, str]]] = []
    for page in client.get_paginator("list_metrics").paginate(
        Namespace=namespace, MetricName="Calls", Dimensions=[{"Name": key, "Value": subject}]
    ):
        dims.extend(m.get("Dimensions") or [] for m in page.get("Metrics") or ())
    unique = {tuple(sorted((d["Name"], d["Value"]) for d in ds)): ds for ds in dims}
    dims = list(unique.values())  # one query per series, however the listing repeats it
    if not dims:
        return None
    per_minute = {"Calls": {}, "Tokens": {}}  # type: dict[str, dict[_dt.datetime, float]]
    queries = [
        (f"m{i}_{j}", metric, d)
        for i, d in enumerate(dims)
        for j, metric in enumerate(("Calls", "InputTokens", "OutputTokens"))
    ]
    for k in range(0, len(queries), 500):  # GetMetricData: 500 queries per call
        batch = queries[k : k + 500]
        request = [
            {"Id": qid, "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": d},
                "Period": 60, "Stat": "Sum"}}
            for qid, metric, d in batch
        ]
        names = {qid: metric for qid, metric, _ in batch}
        for page in client.get_paginator("get_metric_data").paginate(
            MetricDataQueries=request, StartTime=start, EndTime=end
        ):
            for result in page.get("MetricDataResults") or ():
                bucket = per_minute["Calls" if names[result["Id"]] == "Calls" else "Tokens"]
                for ts, value in zip(result.get("Timestamps") or (), result.get("Values") or (), strict=False):
                    bucket[ts] = bucket.get(ts, 0.0) + float(value)
    rpm = max(per_minute["Calls"].values(), default=0.0)
    tpm = max(per_minute["Tokens"].values(), default=0.0)
    return Load(rpm, tpm, "peak", f"CloudWatch {namespace} ({len(dims)} series)", f"busiest minute of the last {days} days")
