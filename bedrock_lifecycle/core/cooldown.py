"""Cooldowns (a per-model circuit breaker), thread-safe and bounded in memory.

After ``failures`` consecutive fallback-eligible failures a model is put aside for
``seconds``; it then gets a single probe (half-open): success closes it, failure opens
it again. When every candidate is cooling down the call still tries them, least
recently failed first, rather than failing unseen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cachetools import LRUCache

T = TypeVar("T")

# A probe lease lasts one cooldown period, and at least this long (cooldown_seconds may be 0).
_MIN_PROBE_LEASE = 1.0


@dataclass(slots=True)
class _Circuit:
    consecutive: int = 0
    opened_at: float | None = None
    last_failure: float = 0.0
    # When the half-open probe was handed out. A probe lease runs for one cooldown
    # period: a probe that never reports back (the call succeeded on an earlier
    # candidate, or ended on a policy refusal or the caller's own error) must not keep
    # the model out of rotation for ever.
    probe_at: float | None = None


class Cooldowns:
    def __init__(
        self,
        *,
        failures: int = 3,
        seconds: float = 30.0,
        maxsize: int = 4096,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures = failures
        self.seconds = seconds
        self.monotonic = monotonic
        self._circuits: LRUCache[str, _Circuit] = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()
        self.open_count = 0  # circuits currently open: a plain attribute the call path reads (0: skip all of this)
        # Whether any model has a failure on record: a plain attribute the hot path reads
        # (an LRUCache's len() is Python code).
        self.tracked = False

    def any_open(self) -> bool:
        return self.open_count > 0

    def failure(self, model: str) -> None:
        now = self.monotonic()
        with self._lock:
            c = self._circuits.get(model)
            if c is None:
                if len(self._circuits) >= self._circuits.maxsize:
                    # The LRU is about to evict: keep the open count in step with it.
                    _, old = self._circuits.popitem()
                    if old.opened_at is not None:
                        self.open_count -= 1
                c = self._circuits[model] = _Circuit()
                self.tracked = True
            c.consecutive += 1
            c.last_failure = now
            if c.probe_at is not None or (c.opened_at is None and c.consecutive >= self.failures):
                if c.opened_at is None:
                    self.open_count += 1
                c.opened_at = now
            c.probe_at = None

    def success(self, model: str) -> None:
        if not self._circuits:
            return
        with self._lock:
            c = self._circuits.get(model)
            if c is None:
                return
            if c.opened_at is not None:
                self.open_count -= 1
            del self._circuits[model]
            self.tracked = bool(self._circuits)

    def state(self, model: str) -> str:
        """"closed", "open" or "half_open" (cooldown over, probe available or running)."""
        now = self.monotonic()
        with self._lock:  # an LRU lookup reorders the cache: never outside the lock
            c = self._circuits.get(model)
            if c is None or c.opened_at is None:
                return "closed"
            return "open" if now - c.opened_at < self.seconds else "half_open"

    def _available(self, model: str, now: float) -> bool:
        c = self._circuits.get(model)
        if c is None or c.opened_at is None:
            return True
        if now - c.opened_at < self.seconds:
            return False
        if c.probe_at is not None and now - c.probe_at < max(self.seconds, _MIN_PROBE_LEASE):
            return False  # another caller holds the probe
        c.probe_at = now  # this caller is the single probe
        return True

    def order(self, models: Sequence[str], items: Sequence[T]) -> list[T]:
        """Items whose model is available first (order kept), then the cooling ones,
        least recently failed first."""
        now = self.monotonic()
        ready: list[T] = []
        cooling: list[tuple[float, int, T]] = []
        with self._lock:
            for i, (m, item) in enumerate(zip(models, items, strict=True)):
                if self._available(m, now):
                    ready.append(item)
                else:
                    c = self._circuits.get(m)
                    cooling.append((c.last_failure if c else 0.0, i, item))
        cooling.sort(key=lambda x: (x[0], x[1]))
        return ready + [item for _, _, item in cooling]
