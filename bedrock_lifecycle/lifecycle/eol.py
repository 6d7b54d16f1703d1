"""Days to end of life, the one way every command counts and words them.

``--within DAYS`` means the same in ``check``, ``status`` and ``scan`` (:func:`eol_within`),
and a date is worded the same in ``describe()``, ``lookup`` and ``check`` (:func:`eol_phrase`).
Pure functions of datetimes: no imports, so the scanner and the error module can both use them.
"""

from __future__ import annotations

import datetime as _dt


def eol_within(eol: _dt.datetime | None, at: _dt.datetime, days: int) -> bool:
    """``--within DAYS``, the one meaning ``check``, ``status`` and ``scan`` share: the EOL
    instant is no later than ``at`` + DAYS (DAYS = 0: the current state alone decides)."""
    return days > 0 and eol is not None and eol <= at + _dt.timedelta(days=days)


def eol_phrase(eol: _dt.datetime, at: _dt.datetime) -> str:
    """When ``eol`` is, seen at ``at``, in calendar days (UTC): "reaches end of life today
    (2026-09-10)", "reaches end of life on 2026-09-11 (in 1 day)", "reached end of life on
    2026-09-01 (9 days ago)". The EOL day itself is "today" whether the instant has passed."""
    day, days = eol.date().isoformat(), (eol.date() - at.date()).days
    if days == 0:
        return f"reaches end of life today ({day})"
    if days > 0:
        return f"reaches end of life on {day} (in {days} day{'' if days == 1 else 's'})"
    return f"reached end of life on {day} ({-days} day{'' if days == -1 else 's'} ago)"


__all__ = ["eol_phrase", "eol_within"]
