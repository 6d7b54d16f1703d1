"""Bounded per-series statistics: counters and a log-bucket latency histogram.

The histogram keeps a relative accuracy of 1 % in at most a few thousand buckets
(DDSketch-style), so p50/p95/p99 cost bounded memory whatever the traffic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# Histogram: bucket i holds (GAMMA**(i-1), GAMMA**i] ms and reports 2*GAMMA**i/(GAMMA+1),
# within RELATIVE_ACCURACY of anything in the bucket.
RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
INV_LOG_GAMMA = 1.0 / math.log(GAMMA)
MIN_MS = 1e-3  # at or below: the zero bucket (reported as 0)
MAX_MS = 1e7  # about 2.8 hours: above, clamped into the last bucket
MIN_INDEX = math.ceil(math.log(MIN_MS) * INV_LOG_GAMMA)
MAX_INDEX = math.ceil(math.log(MAX_MS) * INV_LOG_GAMMA)
MAX_BUCKETS = MAX_INDEX - MIN_INDEX + 2  # + the zero bucket
_MAX_ERROR_CODES = 64  # per series; more distinct codes count as "(other)"
_QUANTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))

_ceil = math.ceil
_log = math.log


class Histogram:
    """Latency in ms, log-bucketed: O(1) per value, bounded memory, mergeable."""

    __slots__ = ("buckets", "count", "max", "min", "total", "zero")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.zero = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf

    def add(self, ms: float) -> None:
        self.count += 1
        self.total += ms
        if ms < self.min:
            self.min = ms
        if ms > self.max:
            self.max = ms
        if ms <= MIN_MS:
            self.zero += 1
            return
        i = _ceil(_log(ms) * INV_LOG_GAMMA) if ms < MAX_MS else MAX_INDEX
        b = self.buckets
        b[i] = b.get(i, 0) + 1

    def quantile(self, q: float) -> float | None:
        """The value at rank ``floor(q * (count - 1))`` of the sorted values, within
        :data:`RELATIVE_ACCURACY`; None when empty."""
        if self.count == 0:
            return None
        rank = int(q * (self.count - 1))
        if rank < self.zero:
            return max(0.0, min(self.min, MIN_MS))
        seen = self.zero
        for i in sorted(self.buckets):
            seen += self.buckets[i]
            if seen > rank:
                est = 2.0 * GAMMA**i / (GAMMA + 1.0)
                return min(max(est, self.min), self.max)  # clamping only moves it closer
        return self.max  # unreachable when counts are consistent

    def merge(self, other: Histogram) -> None:
        self.count += other.count
        self.zero += other.zero
        self.total += other.total
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        b = self.buckets
        for i, n in other.buckets.items():
            b[i] = b.get(i, 0) + n

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"count": self.count}
        if self.count:
            out["mean"] = round(self.total / self.count, 3)
            out["min"] = round(self.min, 3)
            out["max"] = round(self.max, 3)
        for name, q in _QUANTILES:
            v = self.quantile(q)
            out[name] = None if v is None else round(v, 3)
        return out

    def to_state(self) -> dict[str, Any]:
        return {
            "count": self.count, "zero": self.zero, "total": self.total,
            "min": self.min if self.count else None, "max": self.max if self.count else None,
            "buckets": sorted(self.buckets.items()),
        }

    @classmethod
    def from_state(cls, d: Mapping[str, Any]) -> Histogram:
        h = cls()
        h.count = int(d["count"])
        h.zero = int(d["zero"])
        h.total = float(d["total"])
        if h.count:
            h.min = float(d["min"])
            h.max = float(d["max"])
        for i, n in d["buckets"]:
            i = int(i)
            if not MIN_INDEX <= i <= MAX_INDEX:
                raise ValueError(f"bucket {i} out of range")
            h.buckets[i] = h.buckets.get(i, 0) + int(n)
        if h.zero + sum(h.buckets.values()) != h.count:
            raise ValueError("bucket counts do not add up")
        return h


# Stored counters (summed when merging); ``calls`` = ok + failed and ``errors`` = failed +
# stream_errors are derived, so the hot path increments one counter per outcome.
STORED = ("ok", "failed", "stream_errors", "refused", "skipped", "fallbacks", "shadow", "canary",
          "input_tokens", "output_tokens", "unpriced")
SHOWN = ("calls", "ok", "errors", "stream_errors", "refused", "skipped", "fallbacks", "shadow", "canary",
         "input_tokens", "output_tokens", "unpriced")


class Series:
    """One (alias, model) series. Not locked: :class:`Metrics` mutates and reads its
    series under its own lock."""

    __slots__ = ("alias", "canary", "cost_usd", "due_in", "due_key", "due_out", "due_rates", "error_codes", "failed",
                 "fallbacks", "input_tokens", "is_shadow", "last_at", "latency", "model", "ok", "output_tokens",
                 "refused", "shadow", "skipped", "stream_errors", "unpriced")

    def __init__(self, alias: str | None, model: str, is_shadow: bool = False) -> None:
        self.alias = alias
        self.model = model
        self.is_shadow = is_shadow
        self.ok = self.failed = self.stream_errors = 0
        self.refused = self.skipped = self.fallbacks = self.shadow = self.canary = 0
        self.input_tokens = self.output_tokens = 0
        # Estimated USD of the served calls whose price is known (bundled, synced or [prices]);
        # ``unpriced`` counts served calls whose price is unknown: unknown is never 0.
        self.cost_usd = 0.0
        self.unpriced = 0
        # Served calls' plain token counts, priced once per metrics batch (price is linear
        # in tokens): the price context they are due in, its rates, and the sums. See
        # :meth:`due` and :meth:`settle`.
        self.due_key: tuple[Any, str, str] | None = None  # (price table, region, model)
        self.due_rates: tuple[float, float] | None = None
        self.due_in = self.due_out = 0
        self.error_codes: dict[str, int] = {}
        self.latency = Histogram()
        self.last_at = 0.0

    @property
    def calls(self) -> int:
        """Attempts sent to Bedrock (answered ok or with an error)."""
        return self.ok + self.failed

    @property
    def errors(self) -> int:
        """Error answers and mid-stream errors."""
        return self.failed + self.stream_errors

    def due(self, table: Any, region: str, model: str) -> tuple[float, float] | None:
        """Start pricing plain token counts of ``model`` from ``region`` with ``table`` (a
        ``lifecycle.prices.PriceTable``): settle what was due in another context, and
        return the two rates (USD per 1k input, output tokens), or None when either is
        unknown (the caller then prices call by call, so ``unpriced`` stays exact)."""
        self.settle()
        price = table.price_of(model, region)
        rates = None
        if price is not None and price.input_per_1k is not None and price.output_per_1k is not None:
            rates = (price.input_per_1k, price.output_per_1k)
        self.due_key, self.due_rates = (table, region, model), rates
        return rates

    def settle(self) -> None:
        """Add the cost of the token counts due (end of every metrics batch)."""
        if self.due_in or self.due_out:
            r_in, r_out = self.due_rates or (0.0, 0.0)
            self.cost_usd += (self.due_in * r_in + self.due_out * r_out) / 1000.0
            self.due_in = self.due_out = 0

    def count_code(self, code: str | None) -> None:
        c = self.error_codes
        key = code or "Unknown"
        if key not in c and len(c) >= _MAX_ERROR_CODES:
            key = "(other)"
        c[key] = c.get(key, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in SHOWN}
        out["error_codes"] = dict(self.error_codes)
        out["error_rate"] = round(self.errors / self.calls, 4) if self.calls else None
        priced = self.ok - self.unpriced
        out["estimated_cost_usd"] = round(self.cost_usd, 6) if priced > 0 else None
        out["latency_ms"] = self.latency.summary()
        out["last_at"] = self.last_at or None
        return out

    def to_state(self) -> dict[str, Any]:
        out: dict[str, Any] = {"alias": self.alias, "model": self.model, "is_shadow": self.is_shadow}
        out.update({k: getattr(self, k) for k in STORED})
        out["calls"], out["errors"] = self.calls, self.errors  # for a reader; derived again on load
        out["cost_usd"] = self.cost_usd
        out["error_codes"] = dict(self.error_codes)
        out["latency"] = self.latency.to_state()
        out["last_at"] = self.last_at
        return out

    @classmethod
    def from_state(cls, d: Mapping[str, Any]) -> Series:
        s = cls(d.get("alias"), str(d["model"]), bool(d.get("is_shadow", False)))
        for k in STORED:
            setattr(s, k, int(d.get(k, 0)))
        s.cost_usd = float(d.get("cost_usd") or 0.0)
        s.error_codes = {str(k): int(v) for k, v in dict(d.get("error_codes", {})).items()}
        s.latency = Histogram.from_state(d["latency"])
        s.last_at = float(d.get("last_at") or 0.0)
        return s

    def merge(self, other: Series) -> None:
        for k in STORED:
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.cost_usd += other.cost_usd
        for code, n in other.error_codes.items():
            self.error_codes[code] = self.error_codes.get(code, 0) + n
        self.latency.merge(other.latency)
        self.last_at = max(self.last_at, other.last_at)
