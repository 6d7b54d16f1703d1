"""The planner: a ``modelId`` (alias or concrete ID) to the ordered candidates of one call.

The decisions are :mod:`routing`'s pure functions; this module prepares them for the hot
path. A :class:`CompiledAlias` gives the same plans as ``routing.plan_alias`` (the first
place follows the weights, a key is sticky and monotone) with candidates built once,
ramp instants pre-sorted and sticky orders memoised, so a call costs a bisect and a
random draw. The client, ``resolve``, ``check`` and ``status`` all plan through here.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import math
import random
from collections.abc import Mapping, Sequence

from bedrock_lifecycle.clock import to_ns
from bedrock_lifecycle.config import AliasConfig, Config, alias_key
from bedrock_lifecycle.core import routing
from bedrock_lifecycle.core.routing import Candidate, Plan
from bedrock_lifecycle.ids import parse_model_id

_Step = tuple[tuple[float, ...], list[int], list[float], float, dict[int, Plan]]


class CompiledAlias:
    """One alias of one configuration version, with run-time weight overrides applied."""

    def __init__(self, name: str, alias: AliasConfig, overrides: Mapping[str, float] | None = None,
                 gates: Mapping[str, int] | None = None) -> None:
        self.name = name
        self.key = alias_key(name)
        self.alias = alias
        # Ramps gated on canary health: the highest step index the analyzer allows.
        self.gates = gates if alias.analysis is not None and alias.analysis.gate_ramp and alias.ramp else None
        targets = alias.targets
        self.primary = [Candidate(t.model, t, "primary") for t in targets]
        self.other = [Candidate(t.model, t, "target") for t in targets]
        models = {t.model for t in targets}
        self.fallbacks = tuple(
            Candidate(m, None, "fallback") for m in dict.fromkeys(alias.fallbacks) if m not in models
        )
        self.duplicates = len(models) != len(targets)
        self.ramp_at = [to_ns(s.at) for s in alias.ramp]  # integer clock (bedrock_lifecycle.clock)
        base_w = tuple(t.weight for t in targets)
        ramp_w = [tuple(s.weights) for s in alias.ramp]
        if overrides:  # a rolled-back canary keeps its override through every ramp step
            fixed = {i: overrides[t.model] for i, t in enumerate(targets) if t.model in overrides}
            base_w = tuple(fixed.get(i, w) for i, w in enumerate(base_w))
            ramp_w = [tuple(fixed.get(i, w) for i, w in enumerate(ws)) for ws in ramp_w]
        # Per weight vector (index 0: the targets' own, i: ramp step i-1): the positive
        # indices, cumulative weights, total, and memoised plans.
        self._steps: list[_Step] = [self._step(w) for w in (base_w, *ramp_w)]
        self._sticky: dict[tuple[int, str], Plan] = {}

    @staticmethod
    def _step(w: tuple[float, ...]) -> _Step:
        positive = [i for i, x in enumerate(w) if x > 0]
        if not positive:
            # Every weight overridden to 0 (rollbacks): the baseline still serves rather
            # than the call failing unseen. Configurations themselves cannot do this.
            w = (1.0, *w[1:])
            positive = [0]
        cum, total = [], 0.0
        for i in positive:
            total += w[i]
            cum.append(total)
        return w, positive, cum, total, {}

    def step_index(self, now: _dt.datetime) -> int:
        si = bisect.bisect_right(self.ramp_at, to_ns(now)) if self.ramp_at else 0
        if self.gates is not None:
            si = min(si, self.gates.get(self.key, 0))
        return si

    def weights(self, now: _dt.datetime) -> tuple[float, ...]:
        """The weights in force at ``now`` (ramp step, gate and overrides applied)."""
        return self._steps[self.step_index(now)][0]

    def _build(self, order: Sequence[int], weights: tuple[float, ...]) -> Plan:
        cands = [self.primary[order[0]]] + [self.other[i] for i in order[1:]]
        if self.duplicates:
            seen: set[str] = set()
            kept = []
            for c in cands:
                if c.model not in seen:
                    seen.add(c.model)
                    kept.append(c)
            cands = kept
        return Plan(self.name, self.name, (*cands, *self.fallbacks), weights)

    def plan(self, t: int, key: str | None, rng: random.Random) -> Plan:
        """The plan at ``t`` (nanoseconds since the epoch: the call path's clock)."""
        # step_index, inlined (once per call)
        si = bisect.bisect_right(self.ramp_at, t) if self.ramp_at else 0
        if self.gates is not None:
            si = min(si, self.gates.get(self.key, 0))
        w, positive, cum, total, fixed = self._steps[si]
        if key is not None:
            p = self._sticky.get((si, key))
            if p is None:
                p = self._build(routing.order_targets(self.alias.targets, w, key), w)
                if len(self._sticky) > 16384:
                    self._sticky.clear()
                self._sticky[(si, key)] = p
            return p
        if len(positive) == 1:  # one target in force: no draw
            p = fixed.get(0)
            if p is None:
                p = fixed[0] = self._build(positive, w)
            return p
        j = bisect.bisect_right(cum, rng.random() * total)
        if j >= len(positive):
            j = len(positive) - 1
        if len(positive) <= 2:  # the rest of the order is fixed: memoise the whole plan
            p = fixed.get(j)
            if p is None:
                p = fixed[j] = self._build([positive[j], *positive[:j], *positive[j + 1:]], w)
            return p
        rest = positive[:j] + positive[j + 1:]
        # Weighted order without replacement for the others (Efraimidis-Spirakis).
        rest.sort(key=lambda i: -math.log(rng.random() or 1e-300) / w[i])
        return self._build([positive[j], *rest], w)


class Planner:
    """Plans for one configuration version. ``overrides`` and ``gates`` are the client's
    run-time weight overrides and ramp gates (they outlive versions); a change to them
    bumps ``generation`` and compiled aliases are rebuilt on the next call."""

    def __init__(self, config: Config, overrides: Mapping[str, Mapping[str, float]] | None = None,
                 gates: Mapping[str, int] | None = None) -> None:
        self.config = config
        self.aliases: dict[str, tuple[str, AliasConfig]] = {
            alias_key(n): (n, a) for n, a in config.aliases.items()
        }
        self._overrides: Mapping[str, Mapping[str, float]] = overrides or {}
        self._gates = gates
        # Aliases seen, by modelId as the caller spells it (the call path looks here first).
        self.seen: dict[str, CompiledAlias] = {}
        self.concrete: dict[str, Plan] = {}  # concrete model ID -> plan (hot-path dict)

    def set_overrides(self, overrides: Mapping[str, Mapping[str, float]]) -> None:
        self._overrides = overrides
        self.seen = {}

    def compiled(self, model_id: str) -> CompiledAlias | None:
        compiled = self.seen.get(model_id)
        if compiled is None:
            found = self.aliases.get(alias_key(model_id))
            if found is None:
                return None
            compiled = CompiledAlias(found[0], found[1], self._overrides.get(alias_key(model_id)), self._gates)
            if len(self.seen) < 1024:
                self.seen[model_id] = compiled
        return compiled

    def plan(self, model_id: str, t: int, key: str | None, rng: random.Random) -> Plan:
        """The plan at ``t`` (nanoseconds since the epoch, ``bedrock_lifecycle.clock.to_ns``).
        Raises :class:`~bedrock_lifecycle.ids.ModelIdError` for a string that is neither
        a configured alias nor a model ID."""
        p = self.concrete.get(model_id)
        if p is not None:
            return p
        compiled = self.seen.get(model_id)  # an alias seen before, as the caller spells it
        if compiled is not None:
            return compiled.plan(t, key, rng)
        if "." not in model_id and ":" not in model_id:  # aliases contain neither, by rule
            compiled = self.compiled(model_id)
            if compiled is not None:
                return compiled.plan(t, key, rng)
        parse_model_id(model_id)  # raises ModelIdError; cached plans are valid IDs
        p = routing.plan_model(self.config, model_id)
        if len(self.concrete) < 4096:
            self.concrete[model_id] = p
        return p

    def weights(self, alias: str, now: _dt.datetime) -> dict[str, float]:
        """model -> weight in force for an alias (sums over repeated models)."""
        compiled = self.compiled(alias)
        if compiled is None:
            return {}
        out: dict[str, float] = {}
        for t, w in zip(compiled.alias.targets, compiled.weights(now), strict=True):
            out[t.model] = out.get(t.model, 0.0) + w
        return out
