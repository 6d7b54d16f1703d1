"""The lifecycle registry: "what state is this model in, in this region, at this instant?".

Three layers of :class:`LifecycleEntry`, highest precedence first: user **overrides**, the
live **api** data written by ``sync`` (disk cache), and the **bundled** data shipped with
the package. For one (model, region) each layer contributes at most one entry (a regional
entry beats an all-region one), and the layers merge field by field: the higher layer's
value wins where it has one, lower layers fill the gaps. So an API answer that carries only
``status`` never erases dates the documentation announced.

``lookup`` runs on every request of the client, so everything that does not depend on the
instant is resolved once per (model ID, region) and kept in a dict; a hot lookup is a dict
hit, up to three datetime comparisons and building the :class:`LifecycleStatus`.

No network I/O happens here unless a ``resolver`` was passed (the user asked for it).
See docs/registry.md for the rules and every judgement call on the data.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as _dt
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bedrock_lifecycle.clock import InstantError, clamp, env_clock, parse_instant
from bedrock_lifecycle.ids import NAMES_BASE_MODEL, ModelId, ModelIdError, parse_model_id
from bedrock_lifecycle.lifecycle.merge import (
    LAYERS,
    candidate_keys,
    canonical_key,
    merge_layers,
    most_severe,
    region_in_geography,
    retiring,
    state_of,
    strip_region,
    with_facts,
)
from bedrock_lifecycle.lifecycle.model import SEVERITY, LifecycleEntry, LifecycleStatus, State

if TYPE_CHECKING:
    from bedrock_lifecycle.lifecycle.resolver import Resolution

UTC = _dt.timezone.utc
_CACHE_LIMIT = 16384  # distinct (model ID, region) pairs kept before the cache starts over


class ControlPlaneResolverLike(Protocol):
    """What the registry needs from :class:`~bedrock_lifecycle.lifecycle.resolver.ControlPlaneResolver`."""

    def resolve(self, model: ModelId, region: str | None) -> Resolution: ...


_NO_BASE_NOTES = {
    "application-inference-profile": "an application inference profile names no base model",
    "provisioned-model": "a provisioned model ARN names no base model",
    "custom-model": "this custom model ARN names no base model",
    "custom-model-deployment": "a custom model deployment names no base model",
    "imported-model": "an imported model has no Bedrock foundation-model lifecycle",
    "prompt": "a managed prompt names its model elsewhere",
    "prompt-router": "a prompt router routes between several models",
    "sagemaker-endpoint": "a SageMaker endpoint is outside Bedrock's model lifecycle",
}
_MAP_HINT = "map it to its base model in base_model_map (registry.base_models), or enable control-plane resolution"


# --------------------------------------------------------------------------- indexes


class _Index:
    """One layer's entries by canonical key."""

    __slots__ = ("by_key", "entries")

    def __init__(self, entries: Iterable[LifecycleEntry], layer: str) -> None:
        self.entries: tuple[LifecycleEntry, ...] = tuple(_in_range(e) for e in entries)
        self.by_key: dict[str, builtins.list[LifecycleEntry]] = {}
        for e in self.entries:
            self.by_key.setdefault(_entry_key(e, layer), []).append(e)

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


def _in_range(e: LifecycleEntry) -> LifecycleEntry:
    """Dates built in code (not parsed) clamped to clock.MIN/MAX_INSTANT, so date
    arithmetic downstream (warn-before windows, guarantees) cannot overflow."""
    changes = {}
    for f in ("legacy", "extended_access", "eol", "launch", "eol_floor"):
        v = getattr(e, f)
        if v is not None and clamp(v) != v:
            changes[f] = clamp(v)
    return dataclasses.replace(e, **changes) if changes else e  # type: ignore[arg-type]


def _entry_key(e: LifecycleEntry, layer: str) -> str:
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
class _Resolved:
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


class _Snapshot:
    """Immutable view the lookups read; swapped whole when synced data changes."""

    __slots__ = ("base_map", "cache", "catalogue", "display", "facts", "known", "layers")

    def __init__(
        self,
        layers: tuple[tuple[str, _Index], ...],
        catalogue: Iterable[str],
        base_map: Mapping[str, ModelId],
        facts: Mapping[str, LifecycleEntry],
    ) -> None:
        self.layers = layers
        self.base_map = base_map
        self.facts = facts
        self.cache: dict[tuple[str, str | None], _Resolved] = {}
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


# --------------------------------------------------------------------------- the registry


class Registry:
    """Lifecycle lookups over bundled, synced (api) and override entries. Thread-safe."""

    def __init__(
        self,
        entries: Iterable[LifecycleEntry] = (),
        *,
        catalogue: Iterable[str] = (),
        overrides: Iterable[LifecycleEntry] = (),
        api_entries: Iterable[LifecycleEntry] = (),
        base_model_map: Mapping[str, str] | None = None,
        resolver: ControlPlaneResolverLike | None = None,
        facts: Mapping[str, LifecycleEntry] | None = None,
        health_entries: Iterable[LifecycleEntry] = (),
    ) -> None:
        """``entries`` are the bundled data: those with ``confidence="reported"`` form the
        lowest layer, replaced field by field by any confirmed one. ``facts`` are per-model
        policy facts (launch, policy, Legacy period, EOL floor) by model ID."""
        self._catalogue = tuple(catalogue)
        bundled_entries = tuple(entries)
        self._facts = {canonical_key(k): v for k, v in (facts or {}).items()}
        self._indexes = {
            "reported": _Index((e for e in bundled_entries if e.confidence == "reported"), "bundled"),
            "bundled": _Index((e for e in bundled_entries if e.confidence != "reported"), "bundled"),
            "health": _Index(health_entries, "health"),
            "api": _Index(api_entries, "api"),
            "override": _Index(overrides, "override"),
        }
        self._base_map_raw = dict(base_model_map or {})
        self._base_map = _parse_base_map(self._base_map_raw)
        self._resolver = resolver
        self._lock = threading.Lock()
        self._snap = self._snapshot()

    # ---------------------------------------------------------------- construction

    @classmethod
    def default(
        cls,
        *,
        cache_dir: Path | str | None = None,
        overrides: Iterable[LifecycleEntry] = (),
        base_model_map: Mapping[str, str] | None = None,
        resolver: ControlPlaneResolverLike | None = None,
    ) -> Registry:
        """Bundled data plus the on-disk sync cache when there is one. Never touches the network.

        The disk cache is re-read at most once per ``sync.DISK_CACHE_TTL`` seconds per
        directory; a missing, corrupt or foreign cache file warns once and is ignored.
        """
        from bedrock_lifecycle.lifecycle import bundled, health, sync

        data = bundled.load()
        return cls(
            data.entries,
            catalogue=data.catalogue,
            overrides=overrides,
            api_entries=sync.cached_api_entries(cache_dir),
            base_model_map=base_model_map,
            resolver=resolver,
            facts=data.models,
            health_entries=health.cached_entries(cache_dir),  # after `sync --health`
        )

    def _snapshot(self) -> _Snapshot:
        layers = tuple((name, self._indexes[name]) for name in LAYERS)
        return _Snapshot(layers, self._catalogue, self._base_map, self._facts)

    def with_overrides(self, overrides: Iterable[LifecycleEntry]) -> Registry:
        """A copy with ``overrides`` added on top of this registry's own (later wins).

        The copy shares the parsed bundled and api data; it does not follow later
        ``replace_api_entries`` calls on this registry.
        """
        new = Registry.__new__(Registry)
        new._catalogue = self._catalogue
        new._facts = self._facts
        with self._lock:
            new._indexes = dict(self._indexes)
        new._indexes["override"] = _Index((*new._indexes["override"].entries, *overrides), "override")
        new._base_map_raw = self._base_map_raw
        new._base_map = self._base_map
        new._resolver = self._resolver
        new._lock = threading.Lock()
        new._snap = new._snapshot()
        return new

    def replace_api_entries(self, entries: Iterable[LifecycleEntry]) -> None:
        """Swap the synced (api) layer. Lookups see the old data or the new, never a mix."""
        index = _Index(entries, "api")
        with self._lock:
            self._indexes["api"] = index
            self._snap = self._snapshot()

    def load_cache(self, cache_dir: Path | str | None = None) -> int:
        """Re-read the sync disk cache now (no network) and use it as the api layer.

        Returns the number of entries loaded (0 when there is no usable cache).
        """
        from bedrock_lifecycle.lifecycle import sync

        loaded = sync.load_cache(sync.cache_file(cache_dir))
        self.replace_api_entries(loaded)
        return len(loaded)

    @property
    def api_entries(self) -> tuple[LifecycleEntry, ...]:
        return self._indexes["api"].entries

    @property
    def overrides(self) -> tuple[LifecycleEntry, ...]:
        return self._indexes["override"].entries

    # ---------------------------------------------------------------- lookups

    def lookup(
        self, model_id: str | ModelId, region: str | None = None, at: _dt.datetime | str | None = None
    ) -> LifecycleStatus:
        """Lifecycle of ``model_id`` (any form bedrock-runtime accepts) in ``region`` at ``at``.

        ``at`` is a datetime or an ISO 8601 string (``"2026-10-14"``: 00:00 UTC); a string
        that is not one raises :class:`~bedrock_lifecycle.clock.InstantError` (a ValueError)
        naming the value. ``at=None`` reads the library clock (``BEDROCK_LIFECYCLE_NOW`` or
        the system's).
        Raises :class:`~bedrock_lifecycle.ids.ModelIdError` only for values that cannot be a
        model ID; anything else answers, with state ``unknown`` when nothing is known.
        """
        at = clamp(at) if isinstance(at, _dt.datetime) else _instant_arg(at)
        if isinstance(model_id, str):
            raw = model_id
        elif isinstance(model_id, ModelId):
            raw = model_id.raw
        else:
            raise ModelIdError(
                f"modelId must be a string, got {type(model_id).__name__}: {model_id!r:.80}"
            )
        if not region:
            region = None
        snap = self._snap
        res = snap.cache.get((raw, region))
        if res is not None:
            return res.status(raw, at)
        mid = model_id if isinstance(model_id, ModelId) else parse_model_id(raw)
        if mid.base_model_id is None and mid.raw not in snap.base_map and (
            mid.resource_id is None or mid.resource_id not in snap.base_map
        ) and self._resolver is not None:
            return self._lookup_resolved(snap, mid, region, at)
        res = self._resolve(snap, mid, region)
        if len(snap.cache) >= _CACHE_LIMIT:
            snap.cache.clear()
        snap.cache[(raw, region)] = res
        return res.status(raw, at)

    def status_for(
        self, model_id: str | ModelId, region: str | None, at: _dt.datetime | str | None
    ) -> LifecycleStatus:
        """Alias of :meth:`lookup`."""
        return self.lookup(model_id, region, at)

    def models(self) -> builtins.list[str]:
        """Every base model ID known: lifecycle entries of every layer plus the catalogue."""
        return sorted(self._snap.display.values())

    def list(self, region: str | None = None, at: _dt.datetime | str | None = None,
             state: State | str | None = None) -> builtins.list[LifecycleStatus]:
        """One status per known model (see :meth:`models`), optionally only those in ``state``
        (a :class:`State` or its value, ``"eol"``; another value is a ValueError naming it and
        the states). ``at`` as in :meth:`lookup`."""
        wanted, at = None if state is None else state_arg(state), _instant_arg(at)
        return [s for s in (self.lookup(m, region, at) for m in self.models()) if wanted in (None, s.state)]

    # ---------------------------------------------------------------- resolution

    def _lookup_resolved(
        self, snap: _Snapshot, mid: ModelId, region: str | None, at: _dt.datetime
    ) -> LifecycleStatus:
        """A form naming no base model, through the control-plane resolver (never raises)."""
        eff_region = region or mid.region
        assert self._resolver is not None
        try:
            resolution = self._resolver.resolve(mid, eff_region)
            base, how = resolution.base_model_id, resolution.note
        except Exception as exc:  # a resolver must never break a request
            base, how = None, f"control-plane resolution failed: {type(exc).__name__}: {exc}"
        if base is None:
            fallback = self._no_base(mid, eff_region)
            return fallback.status(mid.raw, at, how)
        try:
            inner = parse_model_id(base)
        except ModelIdError as exc:
            return self._no_base(mid, eff_region).status(mid.raw, at, f"resolver returned {base!r}: {exc}")
        inner_res = self._cached(snap, inner, eff_region)
        return inner_res.status(mid.raw, at, how)

    def _cached(self, snap: _Snapshot, mid: ModelId, region: str | None) -> _Resolved:
        key = (mid.raw, region)
        res = snap.cache.get(key)
        if res is None:
            res = self._resolve(snap, mid, region)
            if len(snap.cache) >= _CACHE_LIMIT:
                snap.cache.clear()
            snap.cache[key] = res
        return res

    def _no_base(self, mid: ModelId, region: str | None) -> _Resolved:
        why = _NO_BASE_NOTES.get(mid.kind, f"a {mid.kind} names no base model")
        hint = "" if mid.kind in ("imported-model", "sagemaker-endpoint") else f"; {_MAP_HINT}"
        return _Resolved(None, region, None, "none", f"{why}{hint}", fixed=State.UNKNOWN)

    def _resolve(self, snap: _Snapshot, mid: ModelId, region: str | None) -> _Resolved:
        """Everything about (identifier, region) that does not depend on the instant."""
        eff_region = region or mid.region
        if mid.kind not in NAMES_BASE_MODEL:
            mapped = snap.base_map.get(mid.raw)
            if mapped is None and mid.resource_id is not None:
                mapped = snap.base_map.get(mid.resource_id)
            if mapped is not None:
                inner = self._resolve(snap, mapped, eff_region)
                note = f"base model {inner.base_model_id} from base_model_map"
                return _Resolved(
                    inner.base_model_id, inner.region, inner.entry, inner.source,
                    f"{note}; {inner.note}" if inner.note else note,
                    inner.fixed, inner.candidates, inner.replacements,
                )
        if mid.base_model_id is None:
            return self._no_base(mid, eff_region)

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
            return self._resolve_any_region(snap, key, base_id, mid.geography, notes)

        chosen = [(name, e) for name, idx in snap.layers if (e := idx.select(key, eff_region)) is not None]
        if chosen:
            merged, merge_note = merge_layers(chosen, eff_region)
            merged = with_facts(merged, snap.facts.get(key))
            if merge_note:
                notes.append(merge_note)
            return _Resolved(base_id, eff_region, merged, merged.source, "; ".join(notes))
        return self._without_entry(snap, key, base_id, eff_region, notes)

    def _without_entry(
        self, snap: _Snapshot, key: str, base_id: str, region: str | None, notes: builtins.list[str]
    ) -> _Resolved:
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
            return _Resolved(
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
            return _Resolved(base_id, region, entry, source, "; ".join(notes))
        notes.append("not in the bundled data or the sync cache (run 'bedrock-lifecycle sync' or add an override)")
        return _Resolved(base_id, region, None, "none", "; ".join(notes), fixed=State.UNKNOWN)

    def _resolve_any_region(
        self, snap: _Snapshot, key: str, base_id: str, geography: str | None, notes: builtins.list[str]
    ) -> _Resolved:
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
            return self._without_entry(snap, key, base_id, None, notes)
        facts = snap.facts.get(key)
        unique = tuple(dict.fromkeys(with_facts(strip_region(c), facts) for c in cands))
        source = next(s for s in reversed(LAYERS) if s in sources)
        scope = f"'{geography}.' source regions" if geography else "regions"
        if len(unique) > 1:
            notes.append(f"no region given: the most severe state over {len(unique)} dated {scope}")
        else:
            notes.append(f"no region given: the same dates in every {scope.rstrip('s')} with data")
        return _Resolved(base_id, None, unique[0], source, "; ".join(notes), candidates=unique if len(unique) > 1 else ())


def state_arg(value: object) -> State:
    """A :class:`State` from itself or its value (case and ``-``/``_`` forgiven), else a
    ValueError naming the value and the states there are."""
    if isinstance(value, State):
        return value
    if isinstance(value, str):
        try:
            return State(value.strip().lower().replace("-", "_").replace(" ", "_"))
        except ValueError:
            pass
    allowed = ", ".join(s.value for s in State)
    raise ValueError(f"state: {value!r:.80} is not a lifecycle state (allowed: {allowed})")


def _instant_arg(value: object) -> _dt.datetime:
    """``at``: None (the library clock), a datetime or an ISO 8601 string; else InstantError."""
    if value is None:
        return env_clock()()
    if isinstance(value, _dt.datetime):
        return clamp(value)
    if isinstance(value, str):
        return parse_instant(value, field="at")
    raise InstantError(f"at: expected a datetime or an ISO 8601 string, got {type(value).__name__}: {value!r:.80}")


def _parse_base_map(raw: Mapping[str, str]) -> dict[str, ModelId]:
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
    "ControlPlaneResolverLike",
    "Registry",
    "candidate_keys",
    "canonical_key",
    "merge_layers",
    "region_in_geography",
    "state_of",
]
