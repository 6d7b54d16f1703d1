"""Lifecycle policy: a pure decision from a model's lifecycle status.

``decide(status, policy)`` answers what to do with one target at ``status.at``:
allow it, allow it with a warning, refuse the call, or skip to the next target.
No I/O, no clock: the caller passes the status computed for its own ``now``.
"""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass
from typing import Literal

from bedrock_lifecycle.lifecycle.model import LifecycleStatus, State, binds

StateAction = Literal["ignore", "warn", "error", "fallback"]
EolAction = Literal["error", "fallback"]
Trust = Literal["confirmed", "reported"]
SHORT_LEGACY_DAYS = 90  # a Legacy period this short warns at Legacy even with on_legacy = "ignore"


class Action(str, enum.Enum):
    ALLOW = "allow"
    WARN = "warn"
    REFUSE = "refuse"  # raise before any network call
    SKIP = "skip"  # move on to the next target (refuse if there is none)


@dataclass(frozen=True, slots=True)
class Policy:
    on_legacy: StateAction = "warn"
    on_extended_access: StateAction = "warn"
    on_eol: EolAction = "error"
    warn_before_eol_days: int = 90
    # "reported" lets dates known only from third-party notes refuse / skip like confirmed ones.
    trust: Trust = "confirmed"


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    # Why: "legacy", "extended_access", "eol", "approaching_eol", or "" when nothing to say.
    reason: str
    status: LifecycleStatus

    @property
    def proceeds(self) -> bool:
        return self.action in (Action.ALLOW, Action.WARN)


_ACTION = {"ignore": Action.ALLOW, "warn": Action.WARN, "error": Action.REFUSE, "fallback": Action.SKIP}


def decide(status: LifecycleStatus, policy: Policy) -> Decision:
    d = _decide(status, policy)
    # A reported (not confirmed) date warns but never refuses or skips on its own.
    if d.action in (Action.REFUSE, Action.SKIP) and not binds(status.reported, policy.trust):
        return Decision(Action.WARN, d.reason, status)
    return d


def _decide(status: LifecycleStatus, policy: Policy) -> Decision:
    state = status.state
    if state is State.EOL:
        return Decision(_ACTION[policy.on_eol], "eol", status)
    if state is State.EXTENDED_ACCESS:
        action = _ACTION[policy.on_extended_access]
        if action is not Action.ALLOW:
            return Decision(action, "extended_access", status)
    elif state is State.LEGACY:
        action = _ACTION[policy.on_legacy]
        if action is not Action.ALLOW:
            return Decision(action, "legacy", status)
        period = status.legacy_period_days
        if period is not None and period <= SHORT_LEGACY_DAYS:
            return Decision(Action.WARN, "legacy", status)  # weeks, not months, to migrate
    # Whatever the state (a profile's base model may still say Active), an EOL this close
    # warns. Compared as durations, not whole days: "within 90 days" starts exactly at
    # eol - 90 days (the instant the client's decision cache expires on), not up to a day
    # earlier as a truncated day count would have it (so 0 no longer warns all of the
    # last day).
    eol = status.eol_date
    if eol is not None and _ZERO <= eol - status.at <= _dt.timedelta(days=policy.warn_before_eol_days):
        return Decision(Action.WARN, "approaching_eol", status)
    return Decision(Action.ALLOW, "", status)


_ZERO = _dt.timedelta(0)
