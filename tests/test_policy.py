"""Lifecycle policy: every (state x policy value) decision and the approaching-EOL window."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from bedrock_lifecycle.core.policy import Action, Decision, Policy, decide
from bedrock_lifecycle.lifecycle.model import LifecycleStatus, State

UTC = dt.timezone.utc
AT = dt.datetime(2026, 7, 1, 12, tzinfo=UTC)
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
STATE_ACTIONS = ["ignore", "warn", "error", "fallback"]
EOL_ACTIONS = ["error", "fallback"]


def status(state: State, eol: dt.datetime | None = None, at: dt.datetime = AT) -> LifecycleStatus:
    return LifecycleStatus(MODEL, MODEL, "us-east-1", state, at, eol_date=eol)


# What one policy value does in a state that it governs: written out, not derived.
EXPECTED = {
    "ignore": Action.ALLOW,
    "warn": Action.WARN,
    "error": Action.REFUSE,
    "fallback": Action.SKIP,
}


ALL_POLICIES = [
    Policy(on_legacy=leg, on_extended_access=ext, on_eol=eol)  # type: ignore[arg-type]
    for leg, ext, eol in itertools.product(STATE_ACTIONS, STATE_ACTIONS, EOL_ACTIONS)
]


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: f"{p.on_legacy}-{p.on_extended_access}-{p.on_eol}")
@pytest.mark.parametrize("state", list(State), ids=str)
def test_every_state_and_policy(state: State, policy: Policy) -> None:
    s = status(state)  # no EOL date: only the state speaks
    d = decide(s, policy)
    assert isinstance(d, Decision) and d.status is s
    if state is State.EOL:
        assert (d.action, d.reason) == ({"error": Action.REFUSE, "fallback": Action.SKIP}[policy.on_eol], "eol")
    elif state is State.LEGACY:
        action = EXPECTED[policy.on_legacy]
        assert (d.action, d.reason) == (action, "" if action is Action.ALLOW else "legacy")
    elif state is State.EXTENDED_ACCESS:
        action = EXPECTED[policy.on_extended_access]
        assert (d.action, d.reason) == (action, "" if action is Action.ALLOW else "extended_access")
    else:  # ACTIVE and UNKNOWN pass whatever the policy says
        assert (d.action, d.reason) == (Action.ALLOW, "")
    assert d.proceeds is (d.action in (Action.ALLOW, Action.WARN))


def test_proceeds() -> None:
    assert decide(status(State.ACTIVE), Policy()).proceeds
    assert decide(status(State.LEGACY), Policy(on_legacy="warn")).proceeds
    assert not decide(status(State.LEGACY), Policy(on_legacy="error")).proceeds
    assert not decide(status(State.EOL), Policy(on_eol="fallback")).proceeds


def test_defaults() -> None:
    p = Policy()
    assert decide(status(State.LEGACY), p).action is Action.WARN
    assert decide(status(State.EXTENDED_ACCESS), p).action is Action.WARN
    assert decide(status(State.EOL), p).action is Action.REFUSE


# ------------------------------------------------------------------ approaching EOL


@pytest.mark.parametrize("n", [0, 1, 30, 90])
def test_warn_before_eol_boundary(n: int) -> None:
    p = Policy(warn_before_eol_days=n)
    days = dt.timedelta(days=n)
    second = dt.timedelta(seconds=1)
    # exactly N days before: warns
    d = decide(status(State.ACTIVE, eol=AT + days), p)
    assert (d.action, d.reason) == (Action.WARN, "approaching_eol")
    # N + 1 days before: not yet
    assert decide(status(State.ACTIVE, eol=AT + days + dt.timedelta(days=1)), p).action is Action.ALLOW
    # one second outside the window: not yet either (the window opens at eol - N days,
    # the instant the client's decision cache is keyed on, not up to a day earlier)
    assert decide(status(State.ACTIVE, eol=AT + days + second), p).action is Action.ALLOW
    assert decide(status(State.ACTIVE, eol=AT + days + dt.timedelta(hours=23)), p).action is Action.ALLOW
    # inside
    if n:
        assert decide(status(State.ACTIVE, eol=AT + days - second), p).action is Action.WARN


def test_zero_days_does_not_warn_through_the_last_day() -> None:
    d = decide(status(State.ACTIVE, eol=AT + dt.timedelta(hours=5)), Policy(warn_before_eol_days=0))
    assert d.action is Action.ALLOW


def test_decision_changes_only_at_the_window_instant() -> None:
    """A client caches a decision until eol - N days; decide must agree on either side."""
    eol = dt.datetime(2026, 10, 14, 8, tzinfo=UTC)
    p = Policy(warn_before_eol_days=90)
    mark = eol - dt.timedelta(days=90)
    step = dt.timedelta(hours=1)
    t = mark - dt.timedelta(days=3)
    while t < mark:
        assert decide(status(State.ACTIVE, eol=eol, at=t), p).action is Action.ALLOW, t
        t += step
    t = mark
    while t <= eol - step:
        assert decide(status(State.ACTIVE, eol=eol, at=t), p).action is Action.WARN, t
        t += dt.timedelta(days=1)


def test_approaching_eol_for_an_active_state() -> None:
    # A profile whose base model still reports ACTIVE, with an EOL date on record.
    d = decide(status(State.ACTIVE, eol=AT + dt.timedelta(days=10)), Policy())
    assert (d.action, d.reason) == (Action.WARN, "approaching_eol")
    assert d.status.days_to_eol == 10
    # far away: nothing to say
    assert decide(status(State.ACTIVE, eol=AT + dt.timedelta(days=400)), Policy()).action is Action.ALLOW


def test_approaching_eol_for_unknown_and_ignored_states() -> None:
    eol = AT + dt.timedelta(days=10)
    assert decide(status(State.UNKNOWN, eol=eol), Policy()).reason == "approaching_eol"
    # "ignore" silences the state, not a close EOL
    p = Policy(on_legacy="ignore", on_extended_access="ignore")
    assert decide(status(State.LEGACY, eol=eol), p).reason == "approaching_eol"
    assert decide(status(State.EXTENDED_ACCESS, eol=eol), p).reason == "approaching_eol"
    # and without a close EOL, ignore means allow
    assert decide(status(State.LEGACY, eol=AT + dt.timedelta(days=365)), p).action is Action.ALLOW


def test_state_reason_wins_over_approaching_eol() -> None:
    eol = AT + dt.timedelta(days=10)
    d = decide(status(State.LEGACY, eol=eol), Policy(on_legacy="warn"))
    assert (d.action, d.reason) == (Action.WARN, "legacy")
    d = decide(status(State.EXTENDED_ACCESS, eol=eol), Policy(on_extended_access="fallback"))
    assert (d.action, d.reason) == (Action.SKIP, "extended_access")
    d = decide(status(State.EOL, eol=AT), Policy(on_eol="fallback"))
    assert (d.action, d.reason) == (Action.SKIP, "eol")


def test_past_eol_date_without_eol_state_does_not_warn_approaching() -> None:
    # A date in the past is not "approaching"; the state decides (here: unknown -> allow).
    d = decide(status(State.UNKNOWN, eol=AT - dt.timedelta(days=1)), Policy())
    assert (d.action, d.reason) == (Action.ALLOW, "")


def test_unknown_state_passes() -> None:
    for p in ALL_POLICIES:
        d = decide(status(State.UNKNOWN), p)
        assert (d.action, d.reason) == (Action.ALLOW, "")
