"""Attempt events: one per attempt (on the wire, or refused/skipped locally).

Applications subscribe with :meth:`EventBus.subscribe`; metrics, exporters, shadow
recording and canary analysis are subscribers too. A subscriber never breaks or slows a
request beyond its own cost: exceptions are logged, not raised. Events carry no prompt
or response content.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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

    def emit(self, event: AttemptEvent) -> None:
        for fn in self._subs:
            try:
                fn(event)
            except Exception:  # a hook never breaks a request
                log.exception("bedrock-lifecycle event subscriber %r failed", fn)


# Subscribers here see every client's events (e.g. a process-wide exporter).
GLOBAL_EVENTS = EventBus()


def subscribe(fn: Subscriber, client: Any = None) -> Callable[[], None]:
    """Call ``fn(event)`` after every attempt of ``client`` (or of every client when None).
    Returns a function that unsubscribes."""
    if client is None:
        return GLOBAL_EVENTS.subscribe(fn)
    from bedrock_lifecycle.core.runtime import runtime_of

    return runtime_of(client).events.subscribe(fn)


def usage_of(response: Any) -> tuple[int | None, int | None, str | None]:
    """(input tokens, output tokens, stop reason) from a Converse or InvokeModel response."""
    if not isinstance(response, dict):
        return None, None, None
    usage = response.get("usage")
    if isinstance(usage, dict):
        return usage.get("inputTokens"), usage.get("outputTokens"), response.get("stopReason")
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    i = headers.get("x-amzn-bedrock-input-token-count")
    o = headers.get("x-amzn-bedrock-output-token-count")
    return (int(i) if i and str(i).isdigit() else None, int(o) if o and str(o).isdigit() else None, None)


def now() -> float:
    return time.time()


def converse_text(response: Any) -> str | None:
    """The output text of a Converse response (text blocks, and tool calls as
    ``name {json input}``), or None when there is no message."""
    try:
        content = response["output"]["message"]["content"]
    except (KeyError, TypeError):
        return None
    if not isinstance(content, list):
        return None
    parts: list[str] = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif isinstance(block.get("toolUse"), dict):
            tool = block["toolUse"]
            parts.append(f"{tool.get('name', '')} {json.dumps(tool.get('input'), sort_keys=True, default=str)}")
    return "\n".join(parts)
