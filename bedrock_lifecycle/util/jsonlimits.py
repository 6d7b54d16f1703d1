"""JSON with a nesting-depth limit.

``json.loads`` recurses once per nesting level, so a hostile or corrupted document of a
few kilobytes (``[[[[…``) raises ``RecursionError``, which no ``except ValueError``
catches. :func:`loads` measures the depth first (strings stripped, brackets counted) and
refuses a document deeper than ``max_depth`` with a ``ValueError`` naming the limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JSONDepthError(ValueError):
    """The document nests deeper than the limit."""


def bracket_depth(bare: str) -> int:
    """Deepest nesting of ``[``/``{`` in a text whose strings (and comments) are already
    removed; an unbalanced text still measures. The one counter: JSON here, and the
    configuration limits (``config/limits.py``, TOML too) use it."""
    cur = deepest = 0
    for b in _BRACKET.findall(bare):
        if b in "[{":
            cur += 1
            if cur > deepest:
                deepest = cur
        elif cur > 0:
            cur -= 1
    return deepest


def depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` outside strings (an unbalanced text still measures)."""
    return bracket_depth(_STRING.sub("", text))


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, what: str = "document") -> Any:
    """``json.loads`` that raises ``ValueError`` (never ``RecursionError``) for deep nesting."""
    s = text.decode("utf-8") if isinstance(text, bytes) else text
    d = depth(s)
    if d > max_depth:
        raise JSONDepthError(f"{what} nests {d} levels deep (limit {max_depth})")
    try:
        return json.loads(s)
    except RecursionError:  # belt and braces: a smaller stack than expected
        raise JSONDepthError(f"{what} nests too deeply to parse") from None


__all__ = ["MAX_DEPTH", "JSONDepthError", "bracket_depth", "depth", "loads"]
