"""Resolving an identifier against the registry's data, once per (identifier, region).

Everything here is independent of the instant: :func:`resolve` turns a model identifier
and a region into a :class:`Resolved` (the merged entry, its source and the notes), which
:class:`~bedrock_lifecycle.lifecycle.registry.Registry` caches; :meth:`Resolved.status`
then answers for an instant on the hot path. The layer indexes (:class:`Index`) and the
immutable :class:`Snapshot` the lookups read live here too. No I/O.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as _dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bedrock_lifecycle.clock import clamp
from bedrock_lifecycle.ids import NAMES_BASE_MODEL, ModelId, ModelIdError, parse_model_id
from bedrock_lifecycle.lifecycle.merge import (
    LAYERS,
    candidate_keys,
    canonical_key,
    merge_layers,
    most_severe,
    region_in_geography,
    retiring,
    strip_region,
    with_facts,
)
from bedrock_lifecycle.lifecycle.model import SEVERITY, LifecycleEntry, LifecycleStatus, State

NO_BASE_NOTES = {
    "application-inference-profile": "an application inference profile names no base model",
    "provisioned-model": "a provisioned model ARN names no base model",
    "custom-model": "this custom model ARN names no base model",
    "custom-model-deployment": "a custom model deployment names no base model",
    "imported-model": "an imported model has no Bedrock foundation-model lifecycle",
    "prompt": "a managed prompt names its model elsewhere",
    "prompt-router": "a prompt router routes between several models",
    "sagemaker-endpoint": "a SageMaker endpoint is outside Bedrock's model lifecycle",
}
MAP_HINT = "map it to its base model in base_model_map (registry.base_models), or enable control-plane resolution"


# --------------------------------------------------------------------------- indexes


class Index:
    """One layer's entries by canonical key."""

    __slots__ = ("by_key", "entries")

    def __init__(self, entries: Iterable[LifecycleEntry], layer: str) -> None:
        self.entries: tuple[LifecycleEntry, ...] = tuple(in_range(e) for e in entries)
        self.by_key: dict[str, builtins.list[LifecycleEntry]] = {}
        for e in self.entries:
            self.by_key.setdefault(entry_key(e, layer), []).append(e)

    def select(self, key: str, region: str | None) -> LifecycleEntry | None:
        """Regional entry for ``region`` if any (later wins), else the all-region one."""
        found = self.by_key.get(key)
        if not found:
            return None
        wide: LifecycleEntry | None = None
        regional: LifecycleEntry | None = None
        for e in found:
            if e.regions is None:
                wide = e
            elif region is not None and region in e.regions:
                regional = e
        return regional if regional is not None else wide


def in_range(e: LifecycleEntry) -> LifecycleEntry:
    """Dates built in code (not parsed) clamped to clock.MIN/MAX_INSTANT, so date
    arithmetic downstream (warn-before windows, guarantees) cannot overflow."""
    changes = {}
    for f in ("legacy", "extended_access", "eol", "launch", "eol_floor"):
        v = getattr(e, f)
        if v is not None and clamp(v) != v:
            changes[f] = clamp(v)
    return dataclasses.replace(e, **changes) if changes else e  # type: ignore[arg-type]


def entry_key(e: LifecycleEntry, layer: str) -> str:
    try:
        mid = parse_model_id(e.model_id)
    except ModelIdError as exc:
        raise ValueError(f"{layer} lifecycle entry: {exc}") from None
    if mid.base_model_id is None:
        raise ValueError(
            f"{layer} lifecycle entry for {e.model_id!r}: a {mid.kind} names no base model; "
            "lifecycle entries are per base model"
        )
    return canonical_key(mid.base_model_id)


@dataclass(frozen=True, slots=True)
class Resolved:
    """Everything about (model ID, region) that does not depend on the instant."""

    base_model_id: str | None
    region: str | None
    entry: LifecycleEntry | None
    source: str
    note: str
    fixed: State | None = None  # a state that does not depend on the instant (unknown)
    candidates: tuple[LifecycleEntry, ...] = ()  # region=None: the most severe wins at ``at``
    replacements: tuple[str, ...] = ()

    def status(self, raw: str, at: _dt.datetime, extra_note: str = "") -> LifecycleStatus:
        note = self.note if not extra_note else (f"{extra_note}; {self.note}" if self.note else extra_note)
        e = self.entry
        if self.fixed is not None or e is None:
            return LifecycleStatus(
                raw, self.base_model_id, self.region, self.fixed or State.UNKNOWN, at,
                replacements=self.replacements, source=self.source, note=note,
            )
        if self.candidates:
            e, state = most_severe(self.candidates, at)
        else:
            # state_of, inlined: this is the hot path.
            if e.eol is not None and at >= e.eol:
                state = State.EOL
            elif e.extended_access is not None and at >= e.extended_access:
                state = State.EXTENDED_ACCESS
            elif e.legacy is not None and at >= e.legacy:
                state = State.LEGACY
            else:
                state = State.ACTIVE
            if e.status is not None and SEVERITY[e.status] > SEVERITY[state]:
                state = e.status
        return LifecycleStatus(
            raw, self.base_model_id, self.region, state, at, e.legacy, e.extended_access, e.eol,
            e.replacements, self.source, e.name, note, e,
        )


class Snapshot:
    """Immutable view the lookups read; swapped whole when synced data changes."""

    __slots__ = ("base_map", "cache", "catalogue", "display", "facts", "known", "layers")

    def __init__(
        self,
        layers: tuple[tuple[str, Index], ...],
        catalogue: Iterable[str],
        base_map: Mapping[str, ModelId],
        facts: Mapping[str, LifecycleEntry],
    ) -> None:
        self.layers = layers
        self.base_map = base_map
        self.facts = facts
        self.cache: dict[tuple[str, str | None], Resolved] = {}
        cat: dict[str, str] = {}
        for c in catalogue:
            try:
                mid = parse_model_id(c)
            except ModelIdError:
                continue
            if mid.base_model_id is None:
                continue
            k = canonical_key(mid.base_model_id)
            # Prefer the ":0" spelling AWS lists (amazon.titan-image-generator-v2:0).
            if k not in cat or len(mid.base_model_id) > len(cat[k]):
                cat[k] = mid.base_model_id
        self.catalogue = frozenset(cat)
        display = dict(cat)
        for _, idx in layers:
            for k, es in idx.by_key.items():
                display[k] = es[0].model_id  # an entry's spelling beats the catalogue's
        self.display = display
        self.known = frozenset(display)


def no_base(mid: ModelId, region: str | None) -> Resolved:
    why = NO_BASE_NOTES.get(mid.kind, f"a {mid.kind} names no base model")
    hint = "" if mid.kind in ("imported-model", "sagemaker-endpoint") else f"; {MAP_HINT}"
    return Resolved(None, region, None, "none", f"{why}{hint}", fixed=State.UNKNOWN)

def resolve(snap: Snapshot, mid: ModelId, region: str | None) -> Resolved:
    """Everything about (identifier, region) that does not depend on the instant."""
    eff_region = region or mid.region
    if mid.kind not in NAMES_BASE_MODEL:
        mapped = snap.base_map.get(mid.raw)
        if mapped is None and mid.resource_id is not None:
            mapped = snap.base_map.get(mid.resource_id)
        if mapped is not None:
            inner = resolve(snap, mapped, eff_region)
            note = f"base model {inner.base_model_id} from base_model_map"
            return Resolved(
                inner.base_model_id, inner.region, inner.entry, inner.source,
                f"{note}; {inner.note}" if inner.note else note,
                inner.fixed, inner.candidates, inner.replacements,
            )
    if mid.base_model_id is None:
        return no_base(mid, eff_region)

    keys = candidate_keys(mid)
    key = next((k for k in keys if k in snap.known), keys[0])
    base_id = mid.base_model_id if key == keys[0] else snap.display.get(key, key)
    notes: builtins.list[str] = []
    if key != keys[0]:
        notes.append(f"provisioned variant of {base_id}")
    if mid.geography is not None and eff_region is not None:
        inside = region_in_geography(eff_region, mid.geography)
        if inside is False:
            notes.append(f"{eff_region} is not a source region of '{mid.geography}.' profiles")

    if eff_region is None:
        return resolve_any_region(snap, key, base_id, mid.geography, notes)

    chosen = [(name, e) for name, idx in snap.layers if (e := idx.select(key, eff_region)) is not None]
    if chosen:
        merged, merge_note = merge_layers(chosen, eff_region)
        merged = with_facts(merged, snap.facts.get(key))
        if merge_note:
            notes.append(merge_note)
        return Resolved(base_id, eff_region, merged, merged.source, "; ".join(notes))
    return without_entry(snap, key, base_id, eff_region, notes)

def without_entry(
    snap: Snapshot, key: str, base_id: str, region: str | None, notes: builtins.list[str]
) -> Resolved:
    elsewhere: set[str] = set()
    replacements: builtins.list[str] = []
    for _, idx in snap.layers:
        for e in idx.by_key.get(key, ()):
            if retiring(e):  # a synced "ACTIVE" elsewhere says nothing about this region
                elsewhere.update(e.regions or ())
                replacements.extend(r for r in e.replacements if r not in replacements)
    if elsewhere:
        # Conservative for warnings, but another region's dates never refuse a call here.
        shown = sorted(elsewhere)
        listed = ", ".join(shown[:12]) + (f" and {len(shown) - 12} more" if len(shown) > 12 else "")
        notes.append(
            f"no lifecycle dates for {region}; AWS published dates for this model in {listed} only"
        )
        return Resolved(
            base_id, region, None, "none", "; ".join(notes), fixed=State.UNKNOWN,
            replacements=tuple(replacements),
        )
    if key in snap.known:  # catalogued, or seen in a sync of another region
        notes.append("known model with no announced lifecycle dates")
        source = "bundled" if key in snap.catalogue else "api"
        entry = with_facts(
            LifecycleEntry(model_id=snap.display.get(key, base_id), source=source, provenance="catalogue"),
            snap.facts.get(key),
        )
        return Resolved(base_id, region, entry, source, "; ".join(notes))
    notes.append("not in the bundled data or the sync cache (run 'bedrock-lifecycle sync' or add an override)")
    return Resolved(base_id, region, None, "none", "; ".join(notes), fixed=State.UNKNOWN)

def resolve_any_region(
    snap: Snapshot, key: str, base_id: str, geography: str | None, notes: builtins.list[str]
) -> Resolved:
    """No region: the most conservative state over every region with data (at lookup time)."""
    regions: set[str] = set()
    wide = False
    for _, idx in snap.layers:
        for e in idx.by_key.get(key, ()):
            if e.regions is None:
                wide = True
            else:
                regions.update(e.regions)
    if geography is not None:
        regions = {r for r in regions if region_in_geography(r, geography) is not False}
    cands: builtins.list[LifecycleEntry] = []
    sources: set[str] = set()
    for r in sorted(regions):
        chosen = [(name, sel) for name, idx in snap.layers if (sel := idx.select(key, r)) is not None]
        if chosen:
            merged, _ = merge_layers(chosen, r)
            cands.append(merged)
            sources.add(merged.source)
    if wide:
        # Regions no regional entry names: all-region entries only.
        chosen = [(name, sel) for name, idx in snap.layers if (sel := idx.select(key, None)) is not None]
        if chosen:
            merged, _ = merge_layers(chosen, None)
            cands.append(merged)
            sources.add(merged.source)
    if not cands:
        return without_entry(snap, key, base_id, None, notes)
    facts = snap.facts.get(key)
    unique = tuple(dict.fromkeys(with_facts(strip_region(c), facts) for c in cands))
    source = next(s for s in reversed(LAYERS) if s in sources)
    scope = f"'{geography}.' source regions" if geography else "regions"
    if len(unique) > 1:
        notes.append(f"no region given: the most severe state over {len(unique)} dated {scope}")
    else:
        notes.append(f"no region given: the same dates in every {scope.rstrip('s')} with data")
    return Resolved(base_id, None, unique[0], source, "; ".join(notes), candidates=unique if len(unique) > 1 else ())



def parse_base_map(raw: Mapping[str, str]) -> dict[str, ModelId]:
    """Validate ``base_model_map`` up front: a bad mapping is a configuration error."""
    out: dict[str, ModelId] = {}
    for k, v in raw.items():
        try:
            mid = parse_model_id(v)
        except ModelIdError as exc:
            raise ValueError(f"base_model_map[{k!r}]: {exc}") from None
        if mid.base_model_id is None:
            raise ValueError(f"base_model_map[{k!r}]: {v!r} names no base model ({mid.kind})")
        out[k] = mid
    return out



__all__ = [
    "MAP_HINT",
    "NO_BASE_NOTES",
    "Index",
    "Resolved",
    "Snapshot",
    "entry_key",
    "in_range",
    "no_base",
    "parse_base_map",
    "resolve",
    "resolve_any_region",
    "without_entry",
]
