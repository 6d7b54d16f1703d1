"""The observer interface: how features watch calls without the core knowing them.

Metrics, attempt events, shadow traffic and canary analysis each implement
:class:`Observer` and are registered on a client's state by the composition root
(``bedrock_lifecycle.api``) only when configured. The core calls
``observer.on_call(record)`` once per call (served or failed) and once per shadow copy
or mid-stream error; it imports no feature. An observer never breaks a request:
exceptions are logged and swallowed.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

log = logging.getLogger("bedrock_lifecycle")


class CallRecord(NamedTuple):
    """What happened on one call. ``attempts`` are dicts with ``model``, ``outcome``
    (``ok``, ``error``, ``refused``, ``skipped``, ``stream_error``), ``error_code``,
    ``message``, ``duration_ms`` and ``role``. ``response`` is the served response (None
    when the call failed); ``params`` are the caller's parameters (never logged).

    A tuple: the call flow builds it with ``tuple.__new__`` (one C call, no Python
    frame), and only when an observer takes ``"call"`` records."""

    # "call"; "shadow" (a copy sent to a shadow model); "stream_error" (after the first
    # event); "rollback" (canary analysis pulled a canary: ``params`` is the record)
    kind: str
    operation: str
    alias: str | None
    requested: str
    model: str | None  # the model that served, or None
    attempts: list[dict[str, Any]]
    response: Any
    params: dict[str, Any] | None
    region: str
    baseline: str | None  # the alias's first target (canary analysis compares to it)
    # The version's price table (lifecycle.prices.PriceTable) for cost estimates, or None.
    prices: Any = None


class Observer(Protocol):
    """``on_call(record)`` for every record; an observer may also have ``kinds`` (a set of
    record kinds): it is then not called for the per-call ``"call"`` records unless that
    set has ``"call"`` (the others it filters itself, as every observer does)."""

    def on_call(self, record: CallRecord) -> None: ...


class Summary(NamedTuple):
    """One call without its payloads (no parameters, no response body): what an
    aggregating observer needs, safe to hold in a queue. The flow appends plain tuples of
    these fields (no constructor call per request).

    A call served at its first attempt (the commonest) carries that attempt flat:
    ``model``, ``role`` and ``ms`` (its duration), and ``attempts`` is None; any other
    call (fallen back, retried, failed, a mid-stream error) carries ``attempts`` (dicts as
    in :class:`CallRecord`) and ``model`` None. ``usage`` is the response's token usage in
    Converse keys (from InvokeModel's token-count headers when the body has none), or
    None; ``at`` the call's instant (``Version.tick``: integer ns since the epoch);
    ``version`` the configuration version in force (its region, the alias's baseline,
    the price table): read in the batch, not on the caller's path."""

    alias: str | None
    model: str | None
    role: str | None
    ms: float
    attempts: list[dict[str, Any]] | None
    usage: dict[str, Any] | None
    at: int
    version: Any


class Collector(Protocol):
    """An aggregating observer (the built-in metrics): the flow appends one
    :class:`Summary` tuple per call and per mid-stream error to ``queue`` and calls
    ``flush()`` when it holds ``batch`` of them. No record, no call per request: a tuple
    and an append (bench/bench_client.py). One per client (``ClientState.collector``)."""

    queue: deque[Any]
    batch: int

    def flush(self) -> None: ...


class Observers:
    """An immutable tuple swapped under a lock: readers on the hot path never lock.
    ``for_calls`` are those that take ``"call"`` records (see :class:`Observer`)."""

    def __init__(self) -> None:
        self.items: tuple[Observer, ...] = ()
        self.for_calls: tuple[Observer, ...] = ()
        self._lock = threading.Lock()

    def add(self, obs: Observer) -> None:
        with self._lock:
            if obs not in self.items:
                self._set((*self.items, obs))

    def remove(self, obs: Observer) -> None:
        with self._lock:
            self._set(tuple(o for o in self.items if o is not obs))

    def _set(self, items: tuple[Observer, ...]) -> None:
        self.for_calls = tuple(o for o in items if "call" in getattr(o, "kinds", ("call",)))
        self.items = items

    def __bool__(self) -> bool:
        return bool(self.items)


# Observers of every client in the process (``subscribe(fn)`` without a client).
GLOBAL = Observers()


def notify(observers: Sequence[Observer], record: CallRecord) -> None:
    for obs in observers:
        try:
            obs.on_call(record)
        except Exception:  # a feature never breaks the caller's request
            log.exception("bedrock-lifecycle observer %r failed", obs)
