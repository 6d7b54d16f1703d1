"""Client state: a :class:`Version` per configuration, and what outlives versions.

A :class:`Version` is one configuration put in force: planner, policy gate (with its
registry), classifier and backoff, all built and validated together. A new version is a
new object, swapped in by one reference assignment (``ClientState.version = v``), so a
request never sees half of an old and half of a new configuration, and
``config_version`` names only a version in force.

:class:`ClientState` holds what a configuration change must not reset: cooldowns,
run-time weight overrides (canary rollbacks), ramp gates, rollback records, observers,
and the direct send used for shadow copies.
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from bedrock_lifecycle.clock import Clock, Ticker, ticker
from bedrock_lifecycle.config import Config, alias_key
from bedrock_lifecycle.core.backoff import Backoff
from bedrock_lifecycle.core.classify import Classifier
from bedrock_lifecycle.core.cooldown import Cooldowns
from bedrock_lifecycle.core.gate import Gate, policy_of, target_problems
from bedrock_lifecycle.core.observer import Collector, Observers
from bedrock_lifecycle.core.operations import OperationInfo
from bedrock_lifecycle.core.planner import Planner
from bedrock_lifecycle.errors import ConfigError

log = logging.getLogger("bedrock_lifecycle")

_RELOAD_SECONDS = 3600.0  # how often a version re-reads the lifecycle sync cache


def build_registry(config: Config) -> Any:
    """The registry a configuration asks for: bundled data, the sync cache, the user's
    overrides and base-model map, and (opt-in) control-plane resolution of ARNs."""
    from bedrock_lifecycle.lifecycle.registry import Registry

    resolver = None
    if config.registry.resolve_via_api:
        from bedrock_lifecycle.lifecycle.resolver import ControlPlaneResolver

        resolver = ControlPlaneResolver()  # the default boto3 session, in the model's region
    return Registry.default(
        cache_dir=config.registry.cache_dir,
        overrides=[o.to_entry() for o in config.registry.overrides],
        base_model_map=config.registry.base_models or None,
        resolver=resolver,
    )


def clock_of(config: Config) -> Clock:
    """``BEDROCK_LIFECYCLE_NOW`` (``config.now``) pins the clock for rehearsals."""
    pinned = config.now
    if pinned is not None:
        return lambda: pinned
    # functools.partial of a C function: no Python frame on the hot path.
    return functools.partial(_dt.datetime.now, _dt.timezone.utc)


class Version:
    """One configuration version's decisions. Immutable once built, except caches."""

    def __init__(self, config: Config, *, region: str, model_ops: Mapping[str, OperationInfo],
                 registry: Any = None, clock: Clock | None = None,
                 overrides: Mapping[str, Mapping[str, float]] | None = None,
                 gates: Mapping[str, int] | None = None) -> None:
        self.config = config
        self.name = config.version
        self.region = region
        self.model_ops = model_ops
        self.owns_registry = registry is None
        self.registry = build_registry(config) if registry is None else registry
        self._clock: Clock = clock if clock is not None else clock_of(config)
        self.tick: Ticker = ticker(clock, config.now)  # the same instants, as integer ns
        self.planner = Planner(config, overrides, gates)
        self.gate = Gate(self.registry, policy_of(config), region)
        self.classifier = Classifier.configured(config.routing.fallback_on, config.routing.never_fallback_on)
        r = config.routing
        self.backoff = Backoff(r.backoff_initial_seconds, r.backoff_max_seconds)
        self.max_attempts = r.max_attempts_per_target
        self.deadline_seconds = r.deadline_seconds
        # alias name -> its first target (the baseline canary analysis compares against)
        self.baselines = {n: a.targets[0].model for n, a in config.aliases.items() if a.targets}
        self._next_reload = time.monotonic() + _RELOAD_SECONDS

    @property
    def clock(self) -> Clock:
        """The version's clock (``BEDROCK_LIFECYCLE_NOW`` pins it). The call path reads
        the same instants as integer nanoseconds from ``tick``; setting one sets both."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock
        self.tick = ticker(clock)

    @functools.cached_property
    def prices(self) -> Any:
        """This version's price table: its ``[prices]`` over the synced and bundled prices
        (built on first use: only cost estimates need it)."""
        from bedrock_lifecycle.lifecycle.prices import default_table

        return default_table(overrides=self.config.prices, cache_dir=self.config.registry.cache_dir)

    def validate(self) -> None:
        """Raise :class:`ConfigError` when this version cannot be put in force."""
        problems = target_problems(self.config, self.registry, self.region, self.clock())
        if problems:
            raise ConfigError("; ".join(problems))

    def maybe_reload_registry(self) -> None:
        """Re-read the sync cache hourly (cheap check; called on decision-cache misses)."""
        if not self.owns_registry or time.monotonic() < self._next_reload:
            return
        self._next_reload = time.monotonic() + _RELOAD_SECONDS
        try:
            self.registry.load_cache(self.config.registry.cache_dir)
        except Exception as exc:  # a bad cache never breaks a request
            log.warning("could not re-read the lifecycle sync cache: %s", exc)
            return
        self.gate.invalidate()

    def alias(self, name: str) -> tuple[str, Any] | None:
        return self.planner.aliases.get(alias_key(name))


class ClientState:
    """Everything of one client that outlives a configuration version."""

    def __init__(self, *, region: str, model_ops: Mapping[str, OperationInfo],
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 owns_retries: bool = True, registry: Any = None, clock: Clock | None = None) -> None:
        self.region = region
        self.model_ops = model_ops
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.owns_retries = owns_retries
        self.monotonic: Callable[[], float] = time.monotonic
        self.explicit_registry = registry  # a registry the caller passed: shared by every version
        self.explicit_clock = clock
        self.cooldowns = Cooldowns()
        self.observers = Observers()
        self.collector: Collector | None = None  # the aggregating observer (built-in metrics)
        self.lock = threading.Lock()
        # Run-time weight changes (canary rollback): alias key -> {model: weight}.
        self.weight_overrides: dict[str, dict[str, float]] = {}
        # alias key -> highest ramp step index in force, for ramps gated on canary health.
        self.ramp_gates: dict[str, int] = {}
        self.rollbacks: list[dict[str, Any]] = []
        # Features attached by the composition root, by name ("metrics", "shadow", ...).
        self.plugins: dict[str, Any] = {}
        self.send_direct: Callable[[str, dict[str, Any]], Any] = _unset_send
        # The sync driver's send: (the plain _make_api_call it was bound from, the bound
        # method), made again when that function changes (a later patch of BaseClient).
        self.bound_send: tuple[Any, Any] = (None, None)
        self.reloader: Any = None
        self.environ: Mapping[str, str] = {}  # the environment the client was made with
        # Async clients: the event loop of their first call, and an injected async sleep.
        self.loop: Any = None
        self.asleep: Any = None
        self.version: Version = None  # type: ignore[assignment]  # set by put_in_force

    def build(self, config: Config) -> Version:
        """A validated version of ``config`` for this client (nothing changes yet)."""
        v = Version(config, region=self.region, model_ops=self.model_ops, registry=self.explicit_registry,
                    clock=self.explicit_clock, overrides=self.weight_overrides, gates=self.ramp_gates)
        self.cooldowns.failures = config.routing.cooldown_after_failures
        self.cooldowns.seconds = config.routing.cooldown_seconds
        v.validate()
        return v

    def put_in_force(self, v: Version) -> None:
        old = self.version
        if old is not None:
            self._drop_stale_overrides(old.config, v.config)
            v.planner.set_overrides(self.weight_overrides)
        self.version = v  # one reference assignment: atomic for readers

    # ------------------------------------------------------------ run-time weights

    def set_weight(self, alias: str, model: str, weight: float) -> None:
        """Override one target's weight at run time (canary rollback). It survives ramp
        steps and new configuration versions; thread-safe."""
        found = self.version.alias(alias)
        if found is None or model not in [t.model for t in found[1].targets]:
            raise ValueError(f"alias {alias!r} has no target {model!r}")
        with self.lock:
            overrides = dict(self.weight_overrides.get(alias_key(alias), {}))
            overrides[model] = float(weight)
            self.weight_overrides = {**self.weight_overrides, alias_key(alias): overrides}
            self.version.planner.set_overrides(self.weight_overrides)

    def clear_weight(self, alias: str, model: str) -> bool:
        """Drop a run-time override (undo a rollback): the configured weights apply again."""
        with self.lock:
            overrides = dict(self.weight_overrides.get(alias_key(alias), {}))
            if overrides.pop(model, None) is None:
                return False
            table = dict(self.weight_overrides)
            if overrides:
                table[alias_key(alias)] = overrides
            else:
                table.pop(alias_key(alias), None)
            self.weight_overrides = table
            self.version.planner.set_overrides(table)
            return True

    def set_ramp_gate(self, alias: str, index: int) -> None:
        with self.lock:
            self.ramp_gates[alias_key(alias)] = index
            self.version.planner.set_overrides(self.weight_overrides)  # recompile

    def _drop_stale_overrides(self, old: Config, new: Config) -> None:
        """A run-time rollback stands until the configuration itself changes that alias's
        weights (an operator re-ramping the canary, or a fleet rollback written back)."""
        with self.lock:
            keep = {}
            for key, overrides in self.weight_overrides.items():
                a, b = old.alias(key), new.alias(key)
                same = a is not None and b is not None and (
                    [(t.model, t.weight) for t in a[1].targets] == [(t.model, t.weight) for t in b[1].targets]
                    and [s.weights for s in a[1].ramp] == [s.weights for s in b[1].ramp]
                )
                if same:
                    keep[key] = overrides
            self.weight_overrides = keep


def _unset_send(operation: str, params: dict[str, Any]) -> Any:
    raise RuntimeError("client state is not attached to a client yet")
