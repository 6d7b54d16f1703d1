"""Routing decisions for phased migration: pure functions of (config, key, now, random).

- :func:`weights_at` gives the weights a dated ramp puts in force at an instant.
- :func:`order_targets` orders an alias's targets for one call. It uses weighted
  rendezvous hashing: each target scores ``-ln(u) / weight`` with ``u`` uniform in (0, 1),
  from a hash of (routing key, target) when a key is set, else random, and the lowest
  score wins. The first place then follows the weights exactly; a key keeps its
  target while weights are unchanged; raising one target's weight only lowers that
  target's scores, so keys already on it stay there (monotone ramps); and skipping a
  target (cooldown, EOL) hands its share to the rest in proportion to their weights.
- :func:`plan` turns a ``modelId`` into the ordered candidates for one call.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import datetime as _dt
import hashlib
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bedrock_lifecycle.config import AliasConfig, Config, Target, alias_key

_routing_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "bedrock_lifecycle_routing_key", default=None
)


@contextlib.contextmanager
def routing_key(key: str | int | None) -> Iterator[None]:
    """Make target assignment sticky for ``key`` (a user, session or tenant id).

    Context-variable based: it follows the current thread and asyncio task.
    """
    token = _routing_key.set(None if key is None else str(key))
    try:
        yield
    finally:
        _routing_key.reset(token)


def current_routing_key() -> str | None:
    return _routing_key.get()


def weights_at(alias: AliasConfig, now: _dt.datetime) -> list[float]:
    """The latest ramp step at or before ``now``; the targets' own weights before the first."""
    steps = alias.ramp
    if steps:
        i = bisect.bisect_right([s.at for s in steps], now)
        if i:
            return list(steps[i - 1].weights)
    return [t.weight for t in alias.targets]


_INV_2_52 = 2.0**-52


def _unit(key: str, model: str) -> float:
    """A uniform number in (0, 1) fixed by (key, model).

    52 bits of the hash plus one half, over 2**52: exact in a float, so never 0 and
    never 1 (a 1.0 would score 0 and beat every weight).
    """
    digest = hashlib.blake2b(f"{key}\x00{model}".encode(), digest_size=8).digest()
    return ((int.from_bytes(digest, "big") >> 12) + 0.5) * _INV_2_52


def order_targets(
    targets: Sequence[Target],
    weights: Sequence[float],
    key: str | None = None,
    rng: random.Random | None = None,
) -> list[int]:
    """Indices of targets with weight > 0, best first (see module docstring).

    With a key, a target's hash input is its model ID, so adding or removing other
    targets never moves a key between the remaining ones. A model listed twice (say with
    two different system prompts) hashes its n-th repeat as the model ID, a NUL and n:
    identical inputs would give both the same draw and hand every key to the heavier one.
    """
    scored = []
    if key is None:
        rand = (rng or random).random
        for i, (_, w) in enumerate(zip(targets, weights, strict=True)):
            if w > 0:
                scored.append((-math.log(rand() or 1e-300) / w, i))
    else:
        repeats: dict[str, int] = {}
        for i, (t, w) in enumerate(zip(targets, weights, strict=True)):
            model = t.model
            n = repeats.get(model, 0)
            repeats[model] = n + 1
            if w > 0:
                u = _unit(key, f"{model}\x00{n}" if n else model)
                scored.append((-math.log(u) / w, i))
    scored.sort()
    return [i for _, i in scored]


@dataclass(frozen=True, slots=True)
class Candidate:
    model: str
    target: Target | None  # the alias target (carries request overrides), None for fallbacks
    role: str  # "primary", "target" (another weighted target), "fallback"
    # Sending to it changes only ``modelId`` (no overrides, no body adapter): the call
    # path then skips core.rewrite.apply_target.
    only_model: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "only_model", self.target is None or not self.target.rewrites_request)


@dataclass(frozen=True, slots=True)
class Plan:
    requested: str
    alias: str | None
    candidates: tuple[Candidate, ...]
    weights: tuple[float, ...] = ()


def find_alias(config: Config, model_id: str) -> tuple[str, AliasConfig] | None:
    """The alias a ``modelId`` names, if any. Aliases contain no '.' or ':' by rule."""
    if "." in model_id or ":" in model_id:
        return None
    return config.alias(model_id)


def plan_model(config: Config, model_id: str) -> Plan:
    """A concrete model ID: itself, then its configured chain."""
    chain = config.chains.get(model_id)
    if not chain:
        return Plan(model_id, None, (Candidate(model_id, None, "primary"),))
    cands = [Candidate(model_id, None, "primary")]
    cands += [Candidate(m, None, "fallback") for m in dict.fromkeys(chain) if m != model_id]
    return Plan(model_id, None, tuple(cands))


def plan_alias(
    name: str,
    alias: AliasConfig,
    now: _dt.datetime,
    key: str | None = None,
    rng: random.Random | None = None,
) -> Plan:
    """The weighted choice first, then the other weighted targets, then the fallbacks."""
    weights = weights_at(alias, now)
    order = order_targets(alias.targets, weights, key, rng)
    seen: set[str] = set()
    cands = []
    for rank, i in enumerate(order):
        t = alias.targets[i]
        if t.model not in seen:
            seen.add(t.model)
            cands.append(Candidate(t.model, t, "primary" if rank == 0 else "target"))
    for m in alias.fallbacks:
        if m not in seen:
            seen.add(m)
            cands.append(Candidate(m, None, "fallback"))
    return Plan(name, name, tuple(cands), tuple(weights))


def plan(
    config: Config,
    model_id: str,
    now: _dt.datetime,
    key: str | None = None,
    rng: random.Random | None = None,
) -> Plan:
    """Ordered candidates for ``model_id`` (an alias or a concrete model ID)."""
    found = find_alias(config, model_id)
    if found is None:
        return plan_model(config, model_id)
    return plan_alias(found[0], found[1], now, key, rng)


def alias_names(config: Config) -> list[str]:
    return sorted(config.aliases)


def closest_alias(config: Config, name: str) -> str | None:
    import difflib

    keys = {alias_key(n): n for n in config.aliases}
    match = difflib.get_close_matches(alias_key(name), list(keys), n=1, cutoff=0.5)
    return keys[match[0]] if match else None
