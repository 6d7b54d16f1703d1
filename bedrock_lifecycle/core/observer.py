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
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

log = logging.getLogger("bedrock_lifecycle")


class CallRecord(NamedTuple):
    """What happened on one call. ``attempts`` are dicts with ``model``, ``outcome``
    (``ok``, ``error``, ``refused``, ``skipped``, ``stream_error``), ``error_code``,
    ``message``, ``duration_ms`` and ``role``. ``response`` is the served response (None
    when the call failed); ``params`` are the caller's parameters (never logged).

    A tuple: the call flow builds one per call with ``tuple.__new__`` (one C call, no
    Python frame; ``bench/bench_client.py``), and the metrics batch unpacks it."""

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
    def on_call(self, record: CallRecord) -> None: ...


class Observers:
    """An immutable tuple swapped under a lock: readers on the hot path never lock."""

    def __init__(self) -> None:
        self.items: tuple[Observer, ...] = ()
        self._lock = threading.Lock()

    def add(self, obs: Observer) -> None:
        with self._lock:
            if obs not in self.items:
                self.items = (*self.items, obs)

    def remove(self, obs: Observer) -> None:
        with self._lock:
            self.items = tuple(o for o in self.items if o is not obs)

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
