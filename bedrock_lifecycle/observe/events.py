"""Attempt events: one per attempt (on the wire, or refused/skipped locally).

Applications subscribe with :meth:`EventBus.subscribe`; metrics, exporters, shadow
recording and canary analysis are subscribers too. A subscriber never breaks or slows a
request beyond its own cost: exceptions are logged, not raised. Events carry no prompt
or response content.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bedrock_lifecycle.core.observer import GLOBAL, CallRecord
from bedrock_lifecycle.core.state import ClientState
from bedrock_lifecycle.core.sync import state_of
from bedrock_lifecycle.util.responses import converse_text, usage_of

log = logging.getLogger("bedrock_lifecycle")


@dataclass(slots=True)  # not frozen: frozen dataclasses set each field the slow way, per call
class AttemptEvent:
    alias: str | None  # the alias called, or None for a concrete model ID
    model: str  # the model this attempt went to
    region: str
    operation: str  # "Converse", "InvokeModel", ...
    outcome: str  # "ok", "error", "refused", "skipped", "stream_error"
    error_code: str | None
    latency_ms: float
    input_tokens: int | None = None
    output_tokens: int | None = None
    role: str = "primary"  # "primary", "target", "fallback", "shadow"
    fallback: bool = False  # served (or tried) after another model failed
    shadow: bool = False  # a copy sent to a shadow model
    canary: bool = False  # a non-baseline target of an alias (the first target is the baseline)
    stop_reason: str | None = None
    at: float = 0.0  # time.time() when the attempt ended
    # Estimated USD of the attempt that served, from the usage it reported and the price
    # table (bundled, synced, [prices]); None when not served or the price is unknown.
    cost_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


Subscriber = Callable[[AttemptEvent], None]


class EventBus:
    """Subscribers are called synchronously, in order; keep them cheap (hand slow work to
    a queue). ``active`` lets the client skip building events when nobody listens."""

    def __init__(self) -> None:
        self._subs: tuple[Subscriber, ...] = ()
        self._lock = threading.Lock()
        self.active = False

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Add ``fn``; returns a function that removes it."""
        with self._lock:
            self._subs = (*self._subs, fn)
            self.active = True

        def unsubscribe() -> None:
            with self._lock:
                self._subs = tuple(s for s in self._subs if s is not fn)
                self.active = bool(self._subs)

        return unsubscribe

    @property
    def subscribers(self) -> tuple[Subscriber, ...]:
        return self._subs

    def emit(self, event: AttemptEvent) -> None:
        for fn in self._subs:
            try:
                fn(event)
            except Exception:  # a hook never breaks a request
                log.exception("bedrock-lifecycle event subscriber %r failed", fn)


def events_of(record: CallRecord) -> list[AttemptEvent]:
    """One event per attempt of a call; tokens and stop reason on the attempt that served."""
    tokens_in, tokens_out, stop = usage_of(record.response) if record.response is not None else (None, None, None)
    cost = None
    if record.prices is not None and record.model is not None and tokens_in is not None:
        usage = record.response.get("usage") if isinstance(record.response, dict) else None
        cost = record.prices.cost_of(record.model, record.region, usage if isinstance(usage, dict) else
                                     {"inputTokens": tokens_in, "outputTokens": tokens_out or 0})
    at = time.time()
    attempts = record.attempts
    baseline = record.baseline
    shadow = record.kind == "shadow"
    out = []
    failed_before = False
    last = len(attempts) - 1
    first_model = attempts[0]["model"] if attempts else None
    for i, a in enumerate(attempts):
        served = record.response is not None and i == last
        model = a["model"]
        out.append(AttemptEvent(
            record.alias, model, record.region, record.operation, a["outcome"], a["error_code"],
            a["duration_ms"] or 0.0, tokens_in if served else None, tokens_out if served else None, a["role"],
            failed_before and model != first_model, shadow,
            not shadow and baseline is not None and a["role"] != "fallback" and model != baseline,
            stop if served else None, at, cost if served else None,
        ))
        failed_before = failed_before or a["outcome"] != "ok"
    return out


class EventsObserver(EventBus):
    """The observer that turns calls into attempt events for its subscribers."""

    def on_call(self, record: CallRecord) -> None:
        if self.active:
            for ev in events_of(record):
                self.emit(ev)


class _GlobalEvents(EventsObserver):
    """Every client's events; observed only while someone listens, so no records are
    built for nobody."""

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        remove = super().subscribe(fn)
        GLOBAL.add(self)

        def unsubscribe() -> None:
            remove()
            if not self.active:
                GLOBAL.remove(self)

        return unsubscribe


# Subscribers here see every client's events (e.g. a process-wide exporter).
GLOBAL_EVENTS = _GlobalEvents()


def bus_of(state: ClientState) -> EventsObserver:
    """A client's event bus, installed as an observer on first use."""
    bus = state.plugins.get("events")
    if bus is None:
        bus = state.plugins.setdefault("events", EventsObserver())
        state.observers.add(bus)
    return bus  # type: ignore[no-any-return]


def subscribe(fn: Subscriber, client: Any = None) -> Callable[[], None]:
    """Call ``fn(event)`` after every attempt of ``client`` (or of every client when None).
    Returns a function that unsubscribes."""
    if client is None:
        return GLOBAL_EVENTS.subscribe(fn)
    return bus_of(state_of(client)).subscribe(fn)


# Kept here for callers of the old location; the helpers live in util.responses.
__all__ = ["GLOBAL_EVENTS", "AttemptEvent", "EventBus", "EventsObserver", "bus_of", "converse_text",
           "events_of", "subscribe", "usage_of"]
