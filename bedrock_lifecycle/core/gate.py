"""The policy gate: what to do with one candidate model at an instant, decided once.

:func:`bedrock_lifecycle.core.policy.decide` is the pure rule; the gate adds the
registry lookup in the client's region and a cache that holds each decision until the
next instant that could change it (a model's Legacy, extended-access, EOL and
warn-before-EOL dates), so the hot path is a dict hit and two comparisons.

:func:`target_problems` is the rule for configured targets, shared by client creation,
every reload and ``bedrock-lifecycle check``: they cannot disagree.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import warnings
from typing import Any

from bedrock_lifecycle.clock import from_ns, to_ns
from bedrock_lifecycle.config import Config
from bedrock_lifecycle.core.policy import Action, Decision, Policy, decide
from bedrock_lifecycle.errors import (
    ModelApproachingEOLWarning,
    ModelExtendedAccessWarning,
    ModelLegacyWarning,
    ModelLifecycleWarning,
    caller_stacklevel,
    describe,
)
from bedrock_lifecycle.lifecycle.model import LifecycleStatus, State, binds

log = logging.getLogger("bedrock_lifecycle")

_WARNING_CLASS: dict[str, type[ModelLifecycleWarning]] = {
    "legacy": ModelLegacyWarning,
    "extended_access": ModelExtendedAccessWarning,
    "approaching_eol": ModelApproachingEOLWarning,
    "eol": ModelLifecycleWarning,
}
_DECISION_TTL = _dt.timedelta(hours=1)  # refreshed registry data is picked up hourly
_EARLIEST = _dt.datetime.min.replace(tzinfo=_dt.timezone.utc)

_warned: set[tuple[str, str, str]] = set()
_warned_lock = threading.Lock()


def warn_once(decision: Decision) -> None:
    """One warning per (model, region, reason) per process, also logged."""
    s = decision.status
    key = (s.model_id, s.region or "", decision.reason)
    if key in _warned:
        return
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    text = describe(s)
    log.warning("%s", text)
    w = _WARNING_CLASS.get(decision.reason, ModelLifecycleWarning)(text)
    w.status = s
    warnings.warn(w, stacklevel=caller_stacklevel())


def reset_warnings() -> None:
    """Forget which warnings were shown (tests, long-running REPLs)."""
    with _warned_lock:
        _warned.clear()


def policy_of(config: Config) -> Policy:
    return Policy(**config.policy.model_dump())


class Gate:
    """Decisions for one configuration version in one region."""

    def __init__(self, registry: Any, policy: Policy, region: str) -> None:
        self.registry = registry
        self.policy = policy
        self.region = region
        # model -> (valid from, valid until, decision); bounds in integer nanoseconds
        # since the epoch (the call path's clock, bedrock_lifecycle.clock.to_ns).
        self.cache: dict[str, tuple[int, int, Decision]] = {}

    def lookup(self, model_id: str, now: _dt.datetime) -> LifecycleStatus:
        return self.registry.lookup(model_id, self.region, now)  # type: ignore[no-any-return]

    def decision(self, model_id: str, now: _dt.datetime) -> Decision:
        return self.decision_at(model_id, to_ns(now), now)

    def decision_at(self, model_id: str, t: int, now: _dt.datetime | None = None) -> Decision:
        """The decision at ``t`` (nanoseconds since the epoch; ``now``, the same instant
        as a datetime, when the caller has it)."""
        hit = self.cache.get(model_id)
        if hit is not None and hit[0] <= t < hit[1]:
            return hit[2]
        if now is None:
            now = from_ns(t)
        status = self.lookup(model_id, now)
        d = decide(status, self.policy)
        lo, hi = _EARLIEST, _add(now, _DECISION_TTL)
        for m in _marks(status, self.policy):
            if m <= now:
                lo = max(lo, m)
            else:
                hi = min(hi, m)
        if len(self.cache) > 4096:
            self.cache.clear()
        self.cache[model_id] = (to_ns(lo), to_ns(hi), d)
        return d

    def invalidate(self) -> None:
        self.cache.clear()


def _marks(status: LifecycleStatus, policy: Policy) -> list[_dt.datetime]:
    """The instants at which this model's decision can change."""
    marks = [m for m in (status.legacy_date, status.extended_access_date, status.eol_date) if m is not None]
    if status.eol_date is not None:
        marks.append(_add(status.eol_date, -_dt.timedelta(days=policy.warn_before_eol_days)))
    return marks


def _add(at: _dt.datetime, delta: _dt.timedelta) -> _dt.datetime:
    """``at + delta`` clamped to datetime's range (a far-future clock never overflows)."""
    try:
        return at + delta
    except OverflowError:
        return _dt.datetime.max.replace(tzinfo=_dt.timezone.utc) if delta > _dt.timedelta(0) else _EARLIEST


# ------------------------------------------------------------------ configured targets


def configured_models(config: Config) -> list[tuple[str, str, str]]:
    """Every model a configuration can send to, as (where, model, role): alias targets at
    any weight (a weight-0 target can be ramped up or rolled forward), fallbacks, chains,
    and shadow models."""
    out: list[tuple[str, str, str]] = []
    for name, alias in sorted(config.aliases.items()):
        for t in alias.targets:
            out.append((f"alias {name!r}", t.model, "target"))
        for m in alias.fallbacks:
            out.append((f"alias {name!r}", m, "fallback"))
        if alias.shadow is not None:
            out.append((f"alias {name!r}", alias.shadow.model, "shadow"))
    for model, chain in sorted(config.chains.items()):
        out.append((f"chain {model!r}", model, "primary"))
        for m in chain:
            out.append((f"chain {model!r}", m, "fallback"))
    return out


def target_problems(config: Config, registry: Any, region: str, now: _dt.datetime) -> list[str]:
    """Why a configuration cannot be put in force in ``region`` at ``now`` (empty: it can).

    Under ``on_eol = "error"`` a target, fallback or chain member already past EOL would
    make some calls fail by design, so it is refused up front with the fix. Under
    ``on_eol = "fallback"`` EOL models are skipped at call time, and only an alias or
    chain with nothing live left is refused. Shadow models never serve callers and are
    not refused here (``check`` still reports them).
    """
    policy = policy_of(config)
    gate = Gate(registry, policy, region)
    problems: list[str] = []
    groups: dict[str, list[tuple[str, LifecycleStatus]]] = {}
    for where, model, role in configured_models(config):
        if role == "shadow":
            continue
        groups.setdefault(where, []).append((model, gate.lookup(model, now)))
    for where, members in groups.items():
        # A reported (not confirmed) EOL date warns at call time; it refuses nothing unless trusted.
        eol = [(m, s) for m, s in members
               if s.state is State.EOL and binds(s.reported, policy.trust)]
        if not eol:
            continue
        if policy.on_eol == "error":
            for _m, s in eol:
                problems.append(
                    f"{where}: {describe(s)} With on_eol = 'error' every call routed to it would fail: "
                    f"remove it from the configuration, or set on_eol = 'fallback' to skip it"
                )
        elif len(eol) == len(members):
            problems.append(f"{where}: every model is past its end-of-life date in {region} "
                            f"({', '.join(m for m, _ in eol)}); add a live target or fallback")
    return problems


def action_word(action: Action, sent_before: bool) -> str:
    """What the call flow does with a candidate: ``send``, ``skip`` or ``refuse``. A
    refusal stops the call only before anything was sent."""
    if action in (Action.ALLOW, Action.WARN):
        return "send"
    if action is Action.REFUSE and not sent_before:
        return "refuse"
    return "skip"
