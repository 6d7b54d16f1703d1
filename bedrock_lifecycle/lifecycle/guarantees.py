"""The earliest possible end of life: what each lifecycle policy guarantees.

AWS runs two lifecycle policies (docs/registry.md "Two lifecycle policies"):

* ``"pre-2026-09"`` (launched before 2026-09-07): at least 12 months on Bedrock after
  launch, at least 6 months in Legacy before EOL.
* ``"2026-09"`` (launched on or after 2026-09-07): the model card's "EOL no sooner than"
  date and a Legacy period of 6 months or 45 days; no 12-month guarantee.

:func:`earliest_eol` is a pure function of an entry and an instant: the announced EOL
once there is one, otherwise the latest of the guarantees that apply. ``None`` when no
guarantee is known (unknown policy, or a card that promises nothing).
"""

from __future__ import annotations

import calendar
import datetime as _dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # model.py calls into this module: no import back at run time
    from bedrock_lifecycle.lifecycle.model import LifecycleEntry

_LEGACY_OR_LATER = frozenset({"legacy", "extended_access", "eol"})  # State values from Legacy on

NEW_POLICY = "2026-09"
OLD_POLICY = "pre-2026-09"
POLICY_CUTOFF = _dt.datetime(2026, 9, 7, tzinfo=_dt.timezone.utc)
SIX_MONTHS_DAYS = 182  # how "6 months" is stored; computed as 6 calendar months
SHORT_LEGACY_DAYS = 90  # a Legacy period this short warns at Legacy whatever the policy settings


def add_months(d: _dt.datetime, months: int) -> _dt.datetime:
    """``d`` plus calendar months; the day is clamped to the month's end (Aug 31 + 6 = Feb 28)."""
    y, m0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m0 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return d.replace(year=year, month=month, day=day)


def legacy_period_days(entry: LifecycleEntry) -> int | None:
    """The entry's Legacy period, or its policy's minimum (6 months under the older policy)."""
    if entry.legacy_period_days is not None:
        return entry.legacy_period_days
    return SIX_MONTHS_DAYS if entry.policy == OLD_POLICY else None


def after_legacy_period(start: _dt.datetime, days: int) -> _dt.datetime:
    """``start`` plus a Legacy period: 6 calendar months for "6 months", else days.

    Calendar months count from the start of ``start``'s day: clamping a month end (Mar 31 +
    6 months = Sep 30) would otherwise put a later start (Mar 31 00:00) before an earlier
    one's result (Mar 30 02:00 + 6 months = Sep 30 02:00), and a guarantee must never move
    earlier as time passes. The bound is at most a day earlier than exact: conservative."""
    if days == SIX_MONTHS_DAYS:
        return add_months(start.replace(hour=0, minute=0, second=0, microsecond=0), 6)
    return start + _dt.timedelta(days=days)


def _legacy_now(entry: LifecycleEntry, at: _dt.datetime) -> bool:
    if entry.legacy is not None and at >= entry.legacy:
        return True
    if entry.extended_access is not None and at >= entry.extended_access:
        return True
    return entry.status is not None and entry.status.value in _LEGACY_OR_LATER


def guarantees(entry: LifecycleEntry, at: _dt.datetime) -> list[tuple[str, _dt.datetime]]:
    """Every guarantee that applies at ``at``, named: [(what, earliest EOL it allows)]."""
    out: list[tuple[str, _dt.datetime]] = []
    if entry.policy == OLD_POLICY and entry.launch is not None:
        out.append(("12 months after launch", add_months(entry.launch, 12)))
    if entry.eol_floor is not None:
        out.append(("the card's EOL no sooner than", entry.eol_floor))
    days = legacy_period_days(entry)
    if days is not None:
        if not _legacy_now(entry, at):
            # Not Legacy yet: Legacy can start at the earliest now, and lasts the period.
            out.append((f"{days}-day Legacy period from now", after_legacy_period(at, days)))
        elif entry.legacy is not None:
            out.append((f"{days}-day Legacy period from the Legacy date", after_legacy_period(entry.legacy, days)))
    return out


def earliest_eol(entry: LifecycleEntry, at: _dt.datetime) -> _dt.datetime | None:
    """The earliest instant ``entry``'s model can reach end of life, as seen at ``at``.

    The announced EOL date when there is one; otherwise the latest guarantee (never
    earlier than any of them); None when nothing is guaranteed.
    """
    if entry.eol is not None:
        return entry.eol
    found = guarantees(entry, at)
    return max(g for _, g in found) if found else None


def policy_for_launch(launch: _dt.datetime) -> str:
    return NEW_POLICY if launch >= POLICY_CUTOFF else OLD_POLICY


__all__ = [
    "NEW_POLICY",
    "OLD_POLICY",
    "POLICY_CUTOFF",
    "SHORT_LEGACY_DAYS",
    "SIX_MONTHS_DAYS",
    "add_months",
    "after_legacy_period",
    "earliest_eol",
    "guarantees",
    "legacy_period_days",
    "policy_for_launch",
]
