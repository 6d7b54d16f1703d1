"""The lifecycle registry: "what state is this model in, in this region, at this instant?".

Layers of :class:`LifecycleEntry`, highest precedence first: user **overrides**, the
live **api** data written by ``sync`` (disk cache), AWS Health notices (**health**), the
**bundled** data shipped with the package, and bundled dates that are only **reported**
(merge.LAYERS). For one (model, region) each layer contributes at most one entry (a regional
entry beats an all-region one), and the layers merge field by field: the higher layer's
value wins where it has one, lower layers fill the gaps. So an API answer that carries only
``status`` never erases dates the documentation announced.

``lookup`` runs on every request of the client, so everything that does not depend on the
instant is resolved once per (model ID, region) and kept in a dict; a hot lookup is a dict
hit, up to three datetime comparisons and building the :class:`LifecycleStatus`.

Resolution (everything that does not depend on the instant) is in ``resolution.py``, the
pure merge rules in ``merge.py``. No network I/O happens here unless a ``resolver`` was
passed (the user asked for it).
See docs/registry.md for the rules and every judgement call on the data.
"""

from __future__ import annotations

import builtins
import datetime as _dt
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bedrock_lifecycle.clock import InstantError, clamp, env_clock, parse_instant
from bedrock_lifecycle.ids import ModelId, ModelIdError, parse_model_id
from bedrock_lifecycle.lifecycle.merge import (
    LAYERS,
    candidate_keys,
    canonical_key,
    merge_layers,
    region_in_geography,
    state_of,
)
from bedrock_lifecycle.lifecycle.model import LifecycleEntry, LifecycleStatus, State
from bedrock_lifecycle.lifecycle.resolution import (
    Index,
    Resolved,
    Snapshot,
    no_base,
    parse_base_map,
    resolve,
)

if TYPE_CHECKING:
    from bedrock_lifecycle.lifecycle.resolver import Resolution

UTC = _dt.timezone.utc
_CACHE_LIMIT = 16384  # distinct (model ID, region) pairs kept before the cache starts over


class ControlPlaneResolverLike(Protocol):
    """What the registry needs from :class:`~bedrock_lifecycle.lifecycle.resolver.ControlPlaneResolver`."""

    def resolve(self, model: ModelId, region: str | None) -> Resolution: ...


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
            "reported": Index((e for e in bundled_entries if e.confidence == "reported"), "bundled"),
            "bundled": Index((e for e in bundled_entries if e.confidence != "reported"), "bundled"),
            "health": Index(health_entries, "health"),
            "api": Index(api_entries, "api"),
            "override": Index(overrides, "override"),
        }
        self._base_map_raw = dict(base_model_map or {})
        self._base_map = parse_base_map(self._base_map_raw)
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

    def _snapshot(self) -> Snapshot:
        layers = tuple((name, self._indexes[name]) for name in LAYERS)
        return Snapshot(layers, self._catalogue, self._base_map, self._facts)

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
        new._indexes["override"] = Index((*new._indexes["override"].entries, *overrides), "override")
        new._base_map_raw = self._base_map_raw
        new._base_map = self._base_map
        new._resolver = self._resolver
        new._lock = threading.Lock()
        new._snap = new._snapshot()
        return new

    def replace_api_entries(self, entries: Iterable[LifecycleEntry]) -> None:
        """Swap the synced (api) layer. Lookups see the old data or the new, never a mix."""
        index = Index(entries, "api")
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
        res = resolve(snap, mid, region)
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
        self, snap: Snapshot, mid: ModelId, region: str | None, at: _dt.datetime
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
            fallback = no_base(mid, eff_region)
            return fallback.status(mid.raw, at, how)
        try:
            inner = parse_model_id(base)
        except ModelIdError as exc:
            return no_base(mid, eff_region).status(mid.raw, at, f"resolver returned {base!r}: {exc}")
        inner_res = self._cached(snap, inner, eff_region)
        return inner_res.status(mid.raw, at, how)

    def _cached(self, snap: Snapshot, mid: ModelId, region: str | None) -> Resolved:
        key = (mid.raw, region)
        res = snap.cache.get(key)
        if res is None:
            res = resolve(snap, mid, region)
            if len(snap.cache) >= _CACHE_LIMIT:
                snap.cache.clear()
            snap.cache[key] = res
        return res

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


__all__ = [
    "ControlPlaneResolverLike",
    "Registry",
    "candidate_keys",
    "canonical_key",
    "merge_layers",
    "region_in_geography",
    "state_of",
]
