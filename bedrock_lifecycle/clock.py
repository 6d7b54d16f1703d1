"""The library's clock.

Every time-dependent decision takes ``now`` as an argument; this module is where the
default comes from. ``BEDROCK_LIFECYCLE_NOW`` pins it so a team can rehearse an EOL
date (or a ramp step) in staging without touching code.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import os
import time
from collections.abc import Callable

UTC = _dt.timezone.utc
ENV_NOW = "BEDROCK_LIFECYCLE_NOW"

Clock = Callable[[], _dt.datetime]
# The call path's clock: integer nanoseconds since the Unix epoch. Reading it and
# comparing ints costs a fifth of ``datetime.now(UTC)`` and two aware-datetime
# comparisons (bench/bench_client.py); integers also compare exactly, so a decision
# cached as ``lo <= t < hi`` holds at exactly the instants the datetime rule gives.
Ticker = Callable[[], int]

EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
_US = _dt.timedelta(microseconds=1)


def to_ns(at: _dt.datetime) -> int:
    """``at`` as integer nanoseconds since the epoch (exact: datetimes hold microseconds)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at - EPOCH) // _US * 1000


def from_ns(t: int) -> _dt.datetime:
    """The datetime of ``t`` (nanoseconds since the epoch), to the microsecond below."""
    return EPOCH + _dt.timedelta(microseconds=t // 1000)


def ticker(clock: Clock | None, pinned: _dt.datetime | None = None) -> Ticker:
    """The integer clock that reads the same instants as ``clock`` (None: the system's,
    or ``pinned`` when set): no Python frame per read unless a custom clock is injected."""
    if clock is not None:
        return lambda: to_ns(clock())
    if pinned is not None:
        return itertools.repeat(to_ns(pinned)).__next__
    return time.time_ns


class InstantError(ValueError):
    """An ISO 8601 instant could not be parsed; the message names the field and value."""


# Instants the library accepts. Lifecycle arithmetic adds and subtracts up to ~10 years
# (warn_before_eol_days <= 3650, launch + 12 months, legacy periods), which overflows
# datetime near year 1 or 9999; no real lifecycle date or clock is anywhere near either.
MIN_INSTANT = _dt.datetime(1970, 1, 1, tzinfo=UTC)  # as config.schema.MIN_YEAR
MAX_INSTANT = _dt.datetime(9000, 12, 31, 23, 59, 59, tzinfo=UTC)


def check_range(value: _dt.datetime, *, field: str = "instant", raw: object = None) -> _dt.datetime:
    """``value`` if within MIN_INSTANT..MAX_INSTANT, else InstantError naming field and value."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not MIN_INSTANT <= value <= MAX_INSTANT:
        shown = raw if raw is not None else value.isoformat()
        raise InstantError(
            f"{field}: {shown!r} is outside the supported range "
            f"{MIN_INSTANT.date().isoformat()}..{MAX_INSTANT.date().isoformat()}"
        )
    return value


def clamp(value: _dt.datetime) -> _dt.datetime:
    """``value`` moved into MIN_INSTANT..MAX_INSTANT (for datetimes built in code, not parsed)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return MIN_INSTANT if value < MIN_INSTANT else MAX_INSTANT if value > MAX_INSTANT else value


def parse_instant(value: str, *, field: str = "instant") -> _dt.datetime:
    """Parse ISO 8601 into an aware UTC datetime.

    A bare date (``2026-10-14``) means 00:00 UTC of that day: lifecycle dates are
    published as calendar days, and the start of the UTC day is the earliest reading,
    so warnings and refusals never come late (the API reports 08:00 UTC; see
    docs/registry.md). A naive time is taken as UTC. Instants outside
    ``MIN_INSTANT..MAX_INSTANT`` are refused (InstantError naming the field and value).
    """
    if not isinstance(value, str) or not value.strip():
        raise InstantError(f"{field}: expected an ISO 8601 date or time, got {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            d = _dt.date.fromisoformat(text)
            parsed = _dt.datetime(d.year, d.month, d.day, tzinfo=UTC)
        else:
            parsed = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise InstantError(
            f"{field}: {value!r} is not an ISO 8601 date or time "
            "(examples: 2026-10-14, 2026-10-14T08:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:30:00-01:00
        raise InstantError(f"{field}: {value!r} is outside the supported range") from None
    return check_range(parsed, field=field, raw=value)


def system_now() -> _dt.datetime:
    return _dt.datetime.now(UTC)


def env_clock(environ: dict[str, str] | None = None) -> Clock:
    """The default clock: ``BEDROCK_LIFECYCLE_NOW`` when set (validated now), else the system's."""
    env = os.environ if environ is None else environ
    pinned = env.get(ENV_NOW)
    if pinned:
        fixed = parse_instant(pinned, field=ENV_NOW)
        return lambda: fixed
    return system_now


def monotonic() -> float:
    return time.monotonic()
