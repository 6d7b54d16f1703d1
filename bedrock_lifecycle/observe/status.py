"""The reading side of the metrics snapshot files: what ``bedrock-lifecycle status`` shows.

Each process with the ``file`` exporter writes ``<cache dir>/metrics/<pid>.json``
(:class:`bedrock_lifecycle.observe.metrics.SnapshotWriter`); this module reads the fresh
ones and merges them (histograms exactly). Also importable from
:mod:`bedrock_lifecycle.observe.metrics`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bedrock_lifecycle.observe.names import NO_ALIAS, model_key
from bedrock_lifecycle.observe.series import RELATIVE_ACCURACY, Series

SNAPSHOT_SCHEMA = "bedrock-lifecycle/metrics"
SNAPSHOT_VERSION = 1
STALE_AFTER = 300.0  # status ignores snapshot files older than this (seconds)


def metrics_dir(cache_dir: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    from bedrock_lifecycle.lifecycle.sync import resolve_cache_dir

    return resolve_cache_dir(cache_dir, environ) / "metrics"


def read_documents(directory: Path, *, max_age: float = STALE_AFTER,
                   now: float | None = None) -> list[dict[str, Any]]:
    """The snapshot documents in ``directory`` written less than ``max_age`` seconds ago
    (unreadable, foreign and stale files are skipped)."""
    now = time.time() if now is None else now
    docs = []
    try:
        paths = sorted(directory.glob("*.json"))
    except OSError:
        return []
    for p in paths:
        if not p.stem.isdigit():
            continue
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict) or doc.get("schema") != SNAPSHOT_SCHEMA or doc.get("version") != SNAPSHOT_VERSION:
            continue
        if doc.get("relative_accuracy") != RELATIVE_ACCURACY:
            continue  # another bucket layout: histograms would not merge
        written = doc.get("written_at")
        if not isinstance(written, int | float) or now - written > max_age:
            continue
        docs.append(doc)
    return docs


def merge_documents(docs: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Series of several processes summed (histograms merged exactly), shaped like
    :func:`snapshot`. A malformed series is skipped."""
    merged: dict[tuple[str | None, str, bool], Series] = {}
    for doc in docs:
        raws = doc.get("series")
        for raw in raws if isinstance(raws, list) else []:
            try:
                s = Series.from_state(raw)
            except (AttributeError, KeyError, TypeError, ValueError):
                continue
            key = (s.alias, s.model, s.is_shadow)
            if key in merged:
                merged[key].merge(s)
            else:
                merged[key] = s
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for s in merged.values():
        out.setdefault(s.alias or NO_ALIAS, {})[model_key(s.model, s.is_shadow)] = s.to_dict()
    return out


def live_snapshot(cache_dir: str | Path | None = None, *, max_age: float = STALE_AFTER,
                  environ: Mapping[str, str] | None = None, now: float | None = None) -> dict[str, Any]:
    """What ``status`` shows: the snapshot files of processes that wrote in the last
    ``max_age`` seconds, merged. ``{"dir", "max_age_seconds", "processes": [{pid,
    written_at, started_at}], "aliases": {alias: {model: stats}}}``."""
    directory = metrics_dir(cache_dir, environ)
    docs = read_documents(directory, max_age=max_age, now=now)
    return {
        "dir": str(directory),
        "max_age_seconds": max_age,
        "processes": [{"pid": d.get("pid"), "written_at": d.get("written_at"), "started_at": d.get("started_at")}
                      for d in docs],
        "aliases": merge_documents(docs),
        "rollbacks": sorted(
            ({**r, "pid": d.get("pid")} for d in docs for r in d.get("rollbacks") or [] if isinstance(r, dict)),
            key=lambda r: str(r.get("at", "")),
        ),
    }


def status_rows(live: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``live_snapshot()`` flattened: one row per (alias, model) with the numbers a table
    shows (calls, errors, error rate, fallbacks, p50/p95/p99 ms, tokens)."""
    rows = []
    for alias, models in sorted(live.get("aliases", {}).items()):
        for model, s in sorted(models.items()):
            lat = s["latency_ms"]
            rows.append({"alias": alias, "model": model, "calls": s["calls"], "errors": s["errors"],
                         "error_rate": s["error_rate"], "fallbacks": s["fallbacks"], "refused": s["refused"],
                         "p50_ms": lat["p50"], "p95_ms": lat["p95"], "p99_ms": lat["p99"],
                         "input_tokens": s["input_tokens"], "output_tokens": s["output_tokens"]})
    return rows
