"""Limits every configuration document must meet before it is parsed or validated.

Nesting: ``json.loads``, ``tomllib`` and pydantic recurse once per level, so a document of
a few kilobytes (``[[[[…``) raises ``RecursionError``, which ``except ValueError`` never
catches and which killed the reloader thread for good. The text is measured first
(brackets outside strings and comments, without recursion), and the parsed data again
(TOML dotted keys and YAML indentation nest without brackets); deeper than
:data:`MAX_DEPTH` is a ``ConfigError`` naming the source.

Emptiness: an empty or whitespace-only document, or one with no keys at all (``{}``, a
TOML file of comments), is never a configuration version: it is what a truncating editor
or a torn write leaves behind, and putting it in force would drop every alias.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.util.jsonlimits import MAX_DEPTH as _JSON_MAX_DEPTH
from bedrock_lifecycle.util.jsonlimits import bracket_depth

#: The deepest nesting accepted. A full configuration nests about 7 levels
#: (aliases.NAME.targets[i].additional_model_request_fields.…); 64 leaves room for any
#: request field while staying far below the interpreter's recursion limit.
MAX_DEPTH = _JSON_MAX_DEPTH  # one limit for every document the library parses

# Strings and comments whose brackets do not nest: TOML multi-line and single-line basic
# and literal strings, JSON strings (a subset of TOML basic strings), and # comments.
_SKIP = re.compile(
    r'"""(?:[^\\]|\\.)*?"""'
    r"|'''[\s\S]*?'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|#[^\n]*",
)
# TOML nests through dotted keys too (``a.b.c = 1``, ``[a.b.c]``), without brackets, and
# tomllib takes time quadratic in the number of parts. Keys are what precedes ``=`` at a
# line start or after ``{``/``,``, and table headers; strings are already removed, so a
# quoted part leaves its dots around it and still counts.
_KEY = re.compile(r"(?:^|[{,])[ \t]*([A-Za-z0-9_\-. \t]*)=", re.MULTILINE)
_HEADER = re.compile(r"^[ \t]*\[\[?([^\]\n]*)\]", re.MULTILINE)


def text_depth(text: str, *, toml: bool = True) -> int:
    """An upper bound of the nesting of a JSON or TOML text, measured without parsing
    or recursion: the deepest ``[``/``{`` nesting outside strings and comments, plus the
    most parts of any dotted key or table header (0 for JSON, whose keys are strings).

    An unbalanced or unterminated text still measures: the parser reports what is wrong
    with it afterwards.
    """
    bare = _SKIP.sub("", text)
    return bracket_depth(bare) + (_key_depth(bare) if toml else 0)


def _key_depth(bare: str) -> int:
    keys = max((k.count(".") for k in _KEY.findall(bare)), default=-1) + 1
    headers = max((h.count(".") for h in _HEADER.findall(bare)), default=-1) + 1
    return max(keys - 1, 0) + headers  # a one-part key adds no level beyond its value's


def data_depth(value: Any, *, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of mappings and lists (a scalar is 0); stops counting past ``limit``.

    Iterative, so it is safe on any input, including one built in code (``config=``).
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, Mapping):
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        if d > deepest:
            deepest = d
            if deepest > limit:
                return deepest
        stack.extend((c, d + 1) for c in children)
    return deepest


def check_text(text: str, name: str, *, toml: bool = True) -> None:
    """ConfigError when ``text`` nests deeper than :data:`MAX_DEPTH` (before parsing)."""
    d = text_depth(text, toml=toml)
    if d > MAX_DEPTH:
        raise ConfigError(f"{name}: nested {d} levels deep; at most {MAX_DEPTH} are accepted")


def check_data(data: Any, name: str) -> None:
    """ConfigError when parsed or given data nests deeper than :data:`MAX_DEPTH`."""
    d = data_depth(data)
    if d > MAX_DEPTH:
        raise ConfigError(f"{name}: nested more than {MAX_DEPTH} levels deep; at most {MAX_DEPTH} are accepted")


def is_blank(text: str) -> bool:
    """Empty or whitespace only (a byte-order mark counts as nothing)."""
    return not text.replace("\ufeff", "").strip()


def check_not_empty(data: Mapping[str, Any], name: str) -> None:
    """ConfigError for a document with no keys (see the module docstring)."""
    if not data:
        raise ConfigError(
            f"{name}: the document is empty (no keys), which is never a configuration version: "
            "it is what a truncating editor or a half-written file leaves. Replace the file "
            "atomically (write a new file, then rename it over the old one); to run on the "
            "defaults, leave BEDROCK_LIFECYCLE_CONFIG unset"
        )


__all__ = ["MAX_DEPTH", "check_data", "check_not_empty", "check_text", "data_depth", "is_blank", "text_depth"]
