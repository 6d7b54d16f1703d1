"""The library's clock.

Every time-dependent decision takes ``now`` as an argument; this module is where the
default comes from. ``BEDROCK_LIFECYCLE_NOW`` pins it so a team can rehearse an EOL
date (or a ramp step) in staging without touching code.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Callable

UTC = _dt.timezone.utc
ENV_NOW = "BEDROCK_LIFECYCLE_NOW"

Clock = Callable[[], _dt.datetime]


class InstantError(ValueError):
    """An ISO 8601 instant could not be parsed; the message names the field and value."""


def parse_instant(value: str, *, field: str = "instant") -> _dt.datetime:
    """Parse ISO 8601 into an aware UTC datetime.

    A bare date (``2026-10-14``) means 00:00 UTC of that day: lifecycle dates are
    published as calendar days, and the start of the UTC day is the earliest reading,
    so warnings and refusals never come late (the API reports 08:00 UTC; see
    docs/registry.md). A naive time is taken as UTC.
    """
    if not isinstance(value, str) or not value.strip():
        raise InstantError(f"{field}: expected an ISO 8601 date or time, got {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            d = _dt.date.fromisoformat(text)
            return _dt.datetime(d.year, d.month, d.day, tzinfo=UTC)
        parsed = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise InstantError(
            f"{field}: {value!r} is not an ISO 8601 date or time "
            "(examples: 2026-10-14, 2026-10-14T08:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


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
