"""Scripted behaviour: replies, faults, mid-stream errors and delays, and how they are consumed.

Scripts are plain records kept in per-service tables (``{key: [entries]}``, keyed by model ID
or operation name, ``"*"`` for all); :func:`take` consumes them in the order they were added.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from bedrock_lifecycle.testing.wire import RecordedRequest

HANG_SECONDS: Final = float("inf")
_CAMEL_RE: Final = re.compile(r"(?<!^)(?=[A-Z])")


@dataclasses.dataclass(slots=True)
class Reply:
    text: str | Callable[[RecordedRequest], str] | None
    stop_reason: str
    input_tokens: int | None
    output_tokens: int | None
    latency: float
    # Converse only: the answer's content blocks instead of one text block, and usage
    # fields added to (or replacing) the estimate, e.g. cacheReadInputTokens.
    content: list[dict[str, Any]] | Callable[[RecordedRequest], list[dict[str, Any]]] | None = None
    usage: dict[str, int] | None = None


@dataclasses.dataclass(slots=True)
class StreamFault:
    exception_type: str
    message: str
    after_events: int
    remaining: int | None
    operations: frozenset[str] | None = None


@dataclasses.dataclass(slots=True)
class Delay:
    seconds: float
    remaining: int | None
    operations: frozenset[str] | None = None


def take(table: dict[str, list[Any]], keys: Iterable[str], op: str) -> Any:
    """Consume the first entry (FIFO) that applies to ``op``; the caller holds the lock."""
    for key in keys:
        entries = table.get(key)
        if not entries:
            continue
        for i, entry in enumerate(entries):
            if entry.operations is None or op in entry.operations:
                if entry.remaining is not None:
                    entry.remaining -= 1
                    if entry.remaining <= 0:
                        del entries[i]
                return entry
    return None


def snake(operation: str) -> str:
    """``ListFoundationModels`` -> ``list_foundation_models`` (botocore's method name)."""
    return _CAMEL_RE.sub("_", operation).lower()


def operation(name: str, allowed: Sequence[str]) -> str:
    """The operation ``name`` (``"Converse"`` or ``"converse"``) among ``allowed``."""
    op = name if name in allowed else {snake(a): a for a in allowed}.get(name, "")
    if op not in allowed:
        raise ValueError(f"unknown operation {name!r}; expected one of {', '.join(allowed)}")
    return op


def operations(names: str | Iterable[str] | None, allowed: Sequence[str]) -> frozenset[str] | None:
    if names is None:
        return None
    items = [names] if isinstance(names, str) else list(names)
    return frozenset(operation(n, allowed) for n in items)


def times(count: int | None) -> int | None:
    if count is not None and count < 1:
        raise ValueError(f"times must be >= 1 or None (for ever), got {count}")
    return count


def stream_exception_type(code: str) -> str:
    name = code[:1].lower() + code[1:]
    return name if name.endswith("Exception") else name + "Exception"
