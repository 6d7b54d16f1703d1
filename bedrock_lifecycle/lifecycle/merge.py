"""Pure lifecycle-data helpers the registry is built from: keys, state at an instant,
merging the layers, regions of a geography, and attaching per-model policy facts.

No I/O, no clock, no caches: every function is a function of its arguments.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Sequence

from bedrock_lifecycle.ids import ModelId
from bedrock_lifecycle.lifecycle.model import SEVERITY, LifecycleEntry, State

UTC = _dt.timezone.utc
# Lowest precedence first. "reported" holds bundled dates known only from third-party
# notes of AWS material: any confirmed layer replaces them field by field.
LAYERS = ("reported", "bundled", "health", "api", "override")  # health: AWS Health notices (docs/readiness.md)
_FIELDS = ("status", "legacy", "extended_access", "eol", "replacements")
_STATE_FIELDS = ("status", "legacy", "extended_access", "eol")
_FACT_FIELDS = ("launch", "policy", "legacy_period_days", "eol_floor")


# --------------------------------------------------------------------------- pure helpers


def canonical_key(base_model_id: str) -> str:
    """Registry key of a base model: ``x:0`` and ``x`` are the same model (see ids.lookup_keys)."""
    return base_model_id[:-2] if base_model_id.endswith(":0") else base_model_id


def candidate_keys(mid: ModelId) -> tuple[str, ...]:
    """Keys to try for an identifier that names a base model, most specific first.

    A provisioned context variant ``<model>:<minor>:<ctx>`` (``anthropic.claude-instant-v1:2:100k``)
    falls back to ``<model>`` when ``<model>:<minor>`` is not known itself.
    """
    base = mid.base_model_id
    if base is None:
        return ()
    key = canonical_key(base)
    if mid.context_window is not None and mid.version is not None:
        return (key, base.rsplit(":", 1)[0])
    return (key,)


def state_of(entry: LifecycleEntry, at: _dt.datetime) -> State:
    """Lifecycle state at ``at``: the dates, raised to ``entry.status`` when that is worse.

    A reported status is a floor, so the state never goes down as ``at`` increases (an API
    status of extended access then a legacy date).
    """
    if entry.eol is not None and at >= entry.eol:
        return State.EOL
    if entry.extended_access is not None and at >= entry.extended_access:
        state = State.EXTENDED_ACCESS
    elif entry.legacy is not None and at >= entry.legacy:
        state = State.LEGACY
    else:
        return entry.status if entry.status is not None else State.ACTIVE
    status = entry.status
    if status is not None and SEVERITY[status] > SEVERITY[state]:
        return status
    return state


def merge_layers(
    chosen: Sequence[tuple[str, LifecycleEntry]], region: str | None
) -> tuple[LifecycleEntry, str]:
    """Merge one entry per layer (lowest precedence first) field by field.

    Returns the merged entry (``source`` = the highest layer, "bundled" for a reported
    one) and a note saying which layer gave which field when more than one contributed.
    The merged entry is ``reported`` when a field deciding its state came from the
    reported layer (a confirmed layer that has the field replaces it).
    """
    top_layer, top = chosen[-1]
    if len(chosen) == 1:
        return dataclasses.replace(top, source=_source_name(top_layer)), ""
    values: dict[str, object] = {}
    origin: dict[str, str] = {}
    for layer, e in chosen:  # later (higher) layers overwrite
        for f in (*_FIELDS, *_FACT_FIELDS):
            v = getattr(e, f)
            if v is not None and v != ():
                values[f] = v
                origin[f] = layer
    reported = next((e for layer, e in chosen if layer == "reported"), None)
    is_reported = reported is not None and any(origin.get(f) == "reported" for f in _STATE_FIELDS)
    name = next((e.name for _, e in reversed(chosen) if e.name), "")
    provider = next((e.provider for _, e in reversed(chosen) if e.provider), "")
    merged = LifecycleEntry(
        model_id=top.model_id,
        regions=None if region is None else frozenset({region}),
        legacy=values.get("legacy"),  # type: ignore[arg-type]
        extended_access=values.get("extended_access"),  # type: ignore[arg-type]
        eol=values.get("eol"),  # type: ignore[arg-type]
        replacements=values.get("replacements", ()),  # type: ignore[arg-type]
        name=name,
        provider=provider,
        source=_source_name(top_layer),
        provenance="; ".join(f"{layer}: {e.provenance}" if e.provenance else layer for layer, e in reversed(chosen)),
        as_of=top.as_of,
        status=values.get("status"),  # type: ignore[arg-type]
        confidence="reported" if is_reported else "confirmed",
        evidence_date=(reported.evidence_date if is_reported and reported is not None else top.evidence_date),
        launch=values.get("launch"),  # type: ignore[arg-type]
        policy=values.get("policy"),  # type: ignore[arg-type]
        legacy_period_days=values.get("legacy_period_days"),  # type: ignore[arg-type]
        eol_floor=values.get("eol_floor"),  # type: ignore[arg-type]
    )
    by_layer: dict[str, list[str]] = {}
    for f in _FIELDS:
        if f in origin:
            by_layer.setdefault(origin[f], []).append(f)
    order = sorted(by_layer, key=lambda layer: -LAYERS.index(layer) if layer in LAYERS else 0)
    note = "merged " + "; ".join(f"{layer}: {', '.join(by_layer[layer])}" for layer in order)
    return merged, note


def _source_name(layer: str) -> str:
    return "bundled" if layer == "reported" else layer


def with_facts(entry: LifecycleEntry, facts: LifecycleEntry | None) -> LifecycleEntry:
    """``entry`` with the model's policy facts filling the fields it does not have itself.

    The entry's own values win (a synced ``startOfLifeTime`` beats the bundled launch
    date). A launch date with no policy decides the policy (guarantees.policy_for_launch).
    """
    changes: dict[str, object] = {}
    if facts is not None:
        for f in _FACT_FIELDS:
            if getattr(entry, f) is None and getattr(facts, f) is not None:
                changes[f] = getattr(facts, f)
    launch = changes.get("launch", entry.launch)
    if changes.get("policy", entry.policy) is None and isinstance(launch, _dt.datetime):
        from bedrock_lifecycle.lifecycle.guarantees import policy_for_launch

        changes["policy"] = policy_for_launch(launch)
    return dataclasses.replace(entry, **changes) if changes else entry  # type: ignore[arg-type]


# Source regions of cross-region inference profile geographies (model-ids.txt section 5).
_GEO_EXACT: dict[str, frozenset[str]] = {
    "jp": frozenset({"ap-northeast-1", "ap-northeast-3"}),
    "au": frozenset({"ap-southeast-2", "ap-southeast-4"}),
    "in": frozenset({"ap-south-1", "ap-south-2"}),
}
_NON_COMMERCIAL = ("us-gov-", "cn-", "us-iso", "eusc-")


def region_in_geography(region: str, geography: str) -> bool | None:
    """Whether ``region`` is a source region of profiles with ``geography``; None if unknown."""
    if geography in _GEO_EXACT:
        return region in _GEO_EXACT[geography]
    if geography == "us":
        return region.startswith("us-") and not region.startswith(_NON_COMMERCIAL)
    if geography == "us-gov":
        return region.startswith("us-gov-")
    if geography == "eu":
        return region.startswith("eu-") and not region.startswith("eusc-")
    if geography == "apac":
        return region.startswith("ap-") or region == "me-central-1"
    if geography == "ca":
        return region.startswith("ca-")
    if geography == "global":
        return not region.startswith(_NON_COMMERCIAL)
    return None


def most_severe(cands: Sequence[LifecycleEntry], at: _dt.datetime) -> tuple[LifecycleEntry, State]:
    far = _dt.datetime.max.replace(tzinfo=UTC)

    def rank(e: LifecycleEntry) -> tuple[int, _dt.datetime, _dt.datetime]:
        return (-SEVERITY[state_of(e, at)], e.eol or far, e.legacy or far)

    best = min(cands, key=rank)
    return best, state_of(best, at)


def retiring(e: LifecycleEntry) -> bool:
    """Whether the entry carries retirement information (a date, or a status past active)."""
    return (
        e.legacy is not None or e.extended_access is not None or e.eol is not None
        or (e.status is not None and e.status is not State.ACTIVE)
    )


def strip_region(e: LifecycleEntry) -> LifecycleEntry:
    """Same dates in several regions count once (regions ignored for the comparison)."""
    return dataclasses.replace(e, regions=None)




__all__ = [
    "LAYERS",
    "candidate_keys",
    "canonical_key",
    "merge_layers",
    "most_severe",
    "region_in_geography",
    "retiring",
    "state_of",
    "strip_region",
    "with_facts",
]
