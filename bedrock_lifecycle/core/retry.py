"""Attempts on one target: the first directly, retries through tenacity.

Backoff is exponential with full jitter, raised to the server's ``Retry-After`` (seconds)
or ``x-amz-retry-after`` (milliseconds) when it sends one, and never sleeps past the
call's deadline. Attempts botocore made itself (a wrapped client with its retries on)
count against ``max_attempts_per_target``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import tenacity
from botocore.eventstream import EventStream
from botocore.exceptions import ClientError

from bedrock_lifecycle.config import RoutingConfig
from bedrock_lifecycle.core.classify import Disposition


class AttemptRecord:
    __slots__ = ("duration", "error", "outcome")

    def __init__(self, outcome: str, error: BaseException | None, duration: float) -> None:
        self.outcome = outcome  # "ok" | "error"
        self.error = error
        self.duration = duration


class Outcome:
    __slots__ = ("attempts", "disposition", "error", "response")

    def __init__(self) -> None:
        self.response: Any = None
        self.error: BaseException | None = None
        self.disposition: Disposition | None = None
        self.attempts: list[AttemptRecord] = []


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


def _backoff_window(backoff: tenacity.wait.wait_base, waits_so_far: int) -> float:
    """The backoff before retry number ``waits_so_far + 1`` (full-jitter window doubling)."""
    rs = tenacity.RetryCallState(None, None, (), {})  # type: ignore[arg-type]
    rs.attempt_number = waits_so_far + 1
    return float(backoff(rs))


class _WaitRetryAfter(tenacity.wait.wait_base):
    """Backoff raised to the server's Retry-After.

    tenacity numbers its attempts from 1 but its first attempt here is the call's second
    (the first ran outside tenacity and already waited the first window), so the window
    is taken one step further on: waits double 1x, 2x, 4x... across the whole call.
    """

    def __init__(self, backoff: tenacity.wait.wait_base) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        wait = _backoff_window(self.backoff, retry_state.attempt_number)
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        hinted = retry_after_seconds(exc) if exc is not None else None
        return max(wait, hinted) if hinted is not None else wait


class RetryRunner:
    def __init__(
        self,
        routing: RoutingConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        owns_retries: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_attempts = routing.max_attempts_per_target
        self.deadline_seconds = routing.deadline_seconds
        self.backoff = tenacity.wait_random_exponential(
            multiplier=routing.backoff_initial_seconds, max=routing.backoff_max_seconds
        )
        self.sleep = sleep
        self.owns_retries = owns_retries
        self.monotonic = monotonic

    def deadline(self, start: float | None = None) -> float | None:
        if self.deadline_seconds is None:
            return None
        return (self.monotonic() if start is None else start) + self.deadline_seconds

    def run(
        self,
        send: Callable[[str, dict[str, Any]], Any],
        operation: str,
        params: dict[str, Any],
        *,
        classify: Callable[[BaseException], Disposition],
        deadline: float | None,
        stream_member: str | None = None,
        first_failure: tuple[BaseException, float] | None = None,
    ) -> Outcome:
        """Attempts on one target. ``first_failure`` (error, duration): the first attempt
        was already made by the caller's fast path and failed; continue from there."""
        out = Outcome()
        if first_failure is not None:
            exc, duration = first_failure
            out.attempts.append(AttemptRecord("error", exc, duration))
            used = 1 if self.owns_retries else botocore_attempts(exc)
        else:
            # A first attempt that succeeds uses no tenacity machinery.
            resp, failed, used = self._once(send, operation, params, stream_member, out)
            if failed is None:
                out.response = resp
                return out
            exc = failed
        disposition = classify(exc)
        if disposition is not Disposition.RETRY or used >= self.max_attempts:
            return _failed(out, exc, disposition)
        return self._retry(send, operation, params, out, used, classify, deadline, stream_member)

    def _once(
        self,
        send: Callable[[str, dict[str, Any]], Any],
        operation: str,
        params: dict[str, Any],
        stream_member: str | None,
        out: Outcome,
    ) -> tuple[Any, BaseException | None, int]:
        """One attempt, recorded in ``out``: (response, error, attempts it used on the wire)."""
        t0 = self.monotonic()
        try:
            resp = send(operation, params)
            if stream_member is not None:
                _peek(resp, stream_member)
        except Exception as exc:
            out.attempts.append(AttemptRecord("error", exc, self.monotonic() - t0))
            return None, exc, 1 if self.owns_retries else botocore_attempts(exc)
        out.attempts.append(AttemptRecord("ok", None, self.monotonic() - t0))
        return resp, None, 1 if self.owns_retries else botocore_attempts(resp)

    def _retry(
        self,
        send: Callable[[str, dict[str, Any]], Any],
        operation: str,
        params: dict[str, Any],
        out: Outcome,
        used: int,
        classify: Callable[[BaseException], Disposition],
        deadline: float | None,
        stream_member: str | None,
    ) -> Outcome:
        monotonic = self.monotonic

        def attempt() -> Any:
            nonlocal used
            resp, exc, n = self._once(send, operation, params, stream_member, out)
            used += n
            if exc is not None:
                raise exc
            return resp

        def stop(rs: tenacity.RetryCallState) -> bool:
            if used >= self.max_attempts:
                return True
            if deadline is not None:
                upcoming = rs.upcoming_sleep or 0.0
                return monotonic() + upcoming >= deadline
            return False

        retrying = tenacity.Retrying(
            stop=stop,
            wait=_WaitRetryAfter(self.backoff),
            retry=tenacity.retry_if_exception(lambda e: classify(e) is Disposition.RETRY),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            wait = self._first_wait(out.attempts[-1].error)
            if deadline is not None and monotonic() + wait >= deadline:
                # Sleeping into the deadline would only spend the time the next target
                # could use: give up on this one now (as tenacity's stop does below).
                err = out.attempts[-1].error
                assert err is not None
                return _failed(out, err, Disposition.RETRY)
            self.sleep(wait)
            out.response = retrying(attempt)
            return out
        except Exception as exc:
            return _failed(out, exc, classify(exc))

    def _first_wait(self, exc: BaseException | None) -> float:
        wait = _backoff_window(self.backoff, 0)
        hinted = retry_after_seconds(exc) if exc is not None else None
        return max(wait, hinted) if hinted is not None else wait


def _failed(out: Outcome, exc: BaseException, disposition: Disposition) -> Outcome:
    out.error = exc
    out.disposition = disposition
    return out


def _peek(resp: Any, member: str) -> None:
    """Read a stream's first event so an error before it can still fall back.

    The event is kept on the stream object and replayed by the client's stream guard.
    """
    stream = resp.get(member) if isinstance(resp, dict) else None
    if not isinstance(stream, EventStream):
        return
    it = iter(stream)
    try:
        first = next(it)
    except StopIteration:
        first = None
    stream._bl_peeked = (first, it)  # type: ignore[attr-defined]
