"""The lifecycle data shipped with the package (``lifecycle/data/lifecycle.json``).

Built by ``tools/build_data.py`` from public copies of the AWS "Model lifecycle" pages;
read once per process. See docs/registry.md for provenance and every judgement call.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from bedrock_lifecycle.clock import parse_instant
from bedrock_lifecycle.lifecycle.model import LifecycleEntry, State

SCHEMA_VERSION = 1
_RESOURCE = ("data", "lifecycle.json")


@dataclass(frozen=True, slots=True)
class BundledData:
    entries: tuple[LifecycleEntry, ...]
    catalogue: tuple[str, ...]  # base model IDs known to exist (no lifecycle entry needed)
    schema_version: int
    build_date: str
    sources: Mapping[str, Mapping[str, Any]]
    # Per-model lifecycle-policy facts (launch, policy, legacy period, EOL floor) as
    # date-less entries, by model ID; see lifecycle/guarantees.py.
    models: Mapping[str, LifecycleEntry] = field(default_factory=dict)
    newest_evidence: _dt.date | None = None  # the newest fact shipped (data age)


def _date(value: object, field: str) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected a date string, got {value!r}")
    return parse_instant(value, field=field)


def entry_from_json(obj: Mapping[str, Any]) -> LifecycleEntry:
    """One bundled entry. Bare dates become 00:00 UTC of that day (clock.parse_instant)."""
    mid = obj["model_id"]
    regions = obj.get("regions")
    source = str(obj.get("source", ""))
    table = str(obj.get("table", ""))
    corroborated = [str(s) for s in obj.get("corroborated_by") or ()]
    provenance = f"{source}: {table}" + (f" (also {', '.join(corroborated)})" if corroborated else "")
    if obj.get("confidence") == "reported":  # say exactly who reported it
        provenance = str(obj.get("provenance") or provenance)
    as_of = obj.get("as_of")
    status = obj.get("status")
    evidence = obj.get("evidence_date") or as_of
    confidence = str(obj.get("confidence") or "confirmed")
    if confidence not in ("confirmed", "reported"):
        raise ValueError(f"{mid}.confidence: {confidence!r} (expected confirmed or reported)")
    return LifecycleEntry(
        model_id=str(mid),
        regions=None if regions is None else frozenset(str(r) for r in regions),
        legacy=_date(obj.get("legacy"), f"{mid}.legacy"),
        extended_access=_date(obj.get("extended_access"), f"{mid}.extended_access"),
        eol=_date(obj.get("eol"), f"{mid}.eol"),
        replacements=tuple(str(r) for r in obj.get("replacements") or ()),
        name=str(obj.get("name", "")),
        provider=str(obj.get("provider", "")),
        source="bundled",
        provenance=provenance,
        as_of=None if as_of is None else parse_instant(str(as_of)).date(),
        status=None if status is None else State(str(status)),
        confidence=confidence,
        evidence_date=None if evidence is None else parse_instant(str(evidence)).date(),
    )


def facts_from_json(mid: str, obj: Mapping[str, Any]) -> LifecycleEntry:
    """One model's policy facts as a date-less entry (provenance: where each fact is from)."""
    facts = obj.get("facts") or {}
    where = "; ".join(
        f"{name}: {f.get('source', '')}" + (f" ({f['confidence']})" if f.get("confidence") else "")
        for name, f in sorted(facts.items())
    )
    period = obj.get("legacy_period_days")
    return LifecycleEntry(
        model_id=mid,
        provenance=where,
        launch=_date(obj.get("launch"), f"{mid}.launch"),
        policy=None if obj.get("policy") is None else str(obj["policy"]),
        legacy_period_days=None if period is None else int(period),
        eol_floor=_date(obj.get("eol_floor"), f"{mid}.eol_floor"),
    )


def parse_document(doc: Mapping[str, Any]) -> BundledData:
    """Validate and convert the JSON document (pure; tests feed it directly)."""
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(
            f"bundled lifecycle data has schema_version {version!r}; this code reads {SCHEMA_VERSION}"
        )
    entries = tuple(entry_from_json(e) for e in doc["entries"])
    catalogue = tuple(str(c) for c in doc.get("catalogue", ()))
    return BundledData(
        entries=entries,
        catalogue=catalogue,
        schema_version=version,
        build_date=str(doc.get("build_date", "")),
        sources=dict(doc.get("sources", {})),
        models={str(k): facts_from_json(str(k), v) for k, v in (doc.get("models") or {}).items()},
        newest_evidence=None if not doc.get("newest_evidence") else _dt.date.fromisoformat(doc["newest_evidence"]),
    )


def read_document() -> dict[str, Any]:
    ref = resources.files("bedrock_lifecycle.lifecycle").joinpath(_RESOURCE[0]).joinpath(_RESOURCE[1])
    data: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return data


@functools.lru_cache(maxsize=1)
def load() -> BundledData:
    """The shipped data, parsed once per process."""
    return parse_document(read_document())


def entries() -> tuple[LifecycleEntry, ...]:
    return load().entries


def catalogue() -> tuple[str, ...]:
    return load().catalogue
