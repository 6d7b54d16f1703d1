"""Backoff between retries on one target: pure functions, no sleeping here.

Exponential with full jitter (tenacity's ``wait_random_exponential``), raised to the
server's ``Retry-After`` (seconds) or ``x-amz-retry-after`` (milliseconds) when it sends
one. The call flow decides whether to retry and never sleeps past the deadline; the
drivers do the sleeping (``time.sleep`` or ``asyncio.sleep``).
"""

from __future__ import annotations

from typing import Any

import tenacity
from botocore.exceptions import ClientError


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's requested wait: ``x-amz-retry-after`` (ms) or ``Retry-After`` (seconds).

    botocore lower-cases header names. A malformed value is ignored (the other header, if
    any, still counts); an HTTP-date ``Retry-After`` is not used.
    """
    if not isinstance(exc, ClientError):
        return None
    headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    ms = headers.get("x-amz-retry-after")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except (TypeError, ValueError):
            pass
    seconds = headers.get("retry-after")
    if seconds is not None:
        try:
            value = float(seconds)
        except (TypeError, ValueError):
            return None
        if value == value and value != float("inf"):
            return max(0.0, value)
    return None


def botocore_attempts(obj: Any) -> int:
    """Attempts botocore spent on one call (1 + its own retries)."""
    meta = obj.response.get("ResponseMetadata", {}) if isinstance(obj, ClientError) else (
        obj.get("ResponseMetadata", {}) if isinstance(obj, dict) else {}
    )
    try:
        return 1 + int(meta.get("RetryAttempts", 0) or 0)
    except (TypeError, ValueError):
        return 1


class Backoff:
    """Waits before retry ``n`` (0-based) of one target: the full-jitter window doubling
    across the whole call, raised to the server's requested wait."""

    def __init__(self, initial: float, maximum: float) -> None:
        self._wait = tenacity.wait_random_exponential(multiplier=initial, max=maximum)

    def window(self, waits_so_far: int) -> float:
        rs = tenacity.RetryCallState(None, None, (), {})  # type: ignore[arg-type]
        rs.attempt_number = waits_so_far + 1
        return float(self._wait(rs))

    def wait(self, waits_so_far: int, exc: BaseException | None) -> float:
        wait = self.window(waits_so_far)
        hinted = retry_after_seconds(exc) if exc is not None else None
        return max(wait, hinted) if hinted is not None else wait
