"""Regression checks for ``compare``: per-prompt expectations and response shape.

A prompt in the prompts file may carry ``"expect": {...}``; each key is one check that a
model's answer passes or fails:

=====================  ====================================================================
``contains``           a string or a list of strings that must all occur in the answer text
``not_contains``       a string or a list of strings none of which may occur
``regex``              a Python regular expression that must match somewhere (``re.search``)
``json_schema``        the answer (or its first fenced ```json block) parses as JSON and
                       validates against this JSON Schema (needs ``jsonschema``)
``tool_name``          the answer contains a ``toolUse`` block calling this tool
``stop_reason``        the stop reason is this one (or one of this list)
``max_output_tokens``  output tokens <= N
``max_latency_ms``     wall-clock latency <= N milliseconds
=====================  ====================================================================

``contains``/``not_contains`` compare casefolded text. A call that failed fails every check.
Expectations are validated when the file is read; an error names the line and the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bedrock_lifecycle.toolkit.compare import Outcome

__all__ = [
    "EXPECTATION_KEYS", "Check", "Expectations", "evaluate", "parse_expectations", "shape_diff", "shape_of",
    "shape_summary",
]

EXPECTATION_KEYS = (
    "contains", "not_contains", "regex", "json_schema", "tool_name", "stop_reason",
    "max_output_tokens", "max_latency_ms",
)
_FENCE_RE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL | re.IGNORECASE)


class ExpectationError(ValueError):
    """A bad ``expect`` object; the message names the key (the caller adds file and line)."""


@dataclass(frozen=True, slots=True)
class Expectations:
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None
    json_schema: Mapping[str, Any] | None = None
    tool_name: str | None = None
    stop_reason: tuple[str, ...] = ()
    max_output_tokens: int | None = None
    max_latency_ms: float | None = None

    def __bool__(self) -> bool:
        return any((self.contains, self.not_contains, self.regex, self.json_schema is not None,
                    self.tool_name, self.stop_reason, self.max_output_tokens is not None,
                    self.max_latency_ms is not None))


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation judged on one answer."""

    name: str
    passed: bool
    detail: str  # why it failed (never the answer itself beyond a short quote of the check)

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "passed": self.passed, "detail": self.detail}


def _strings(value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ExpectationError(f"expect.{key} must be a non-empty string or a list of non-empty strings")
    return tuple(value)


def _limit(value: Any, key: str, *, whole: bool) -> Any:
    ok = isinstance(value, int) if whole else isinstance(value, int | float)
    if isinstance(value, bool) or not ok or value < 0:
        kind = "a whole number" if whole else "a number"
        raise ExpectationError(f"expect.{key} must be {kind} >= 0, got {value!r}")
    return value


def parse_expectations(obj: Any) -> Expectations:
    """An ``expect`` object, validated (regexes compiled, schemas checked)."""
    if not isinstance(obj, dict):
        raise ExpectationError("'expect' must be an object of checks")
    unknown = sorted(set(obj) - set(EXPECTATION_KEYS))
    if unknown:
        raise ExpectationError(f"expect: unknown check {unknown[0]!r} (known: {', '.join(EXPECTATION_KEYS)})")
    regex = None
    if "regex" in obj:
        if not isinstance(obj["regex"], str) or not obj["regex"]:
            raise ExpectationError("expect.regex must be a non-empty string")
        try:
            regex = re.compile(obj["regex"])
        except re.error as exc:
            raise ExpectationError(f"expect.regex is not a valid regular expression: {exc}") from None
    schema = obj.get("json_schema")
    if "json_schema" in obj:
        if not isinstance(schema, dict | bool):
            raise ExpectationError("expect.json_schema must be a JSON Schema (an object)")
        validator = _validator_class(schema)
        try:
            validator.check_schema(schema)
        except Exception as exc:  # jsonschema.SchemaError
            raise ExpectationError(f"expect.json_schema is not a valid JSON Schema: {getattr(exc, 'message', exc)}") from None
    tool = obj.get("tool_name")
    if "tool_name" in obj and (not isinstance(tool, str) or not tool):
        raise ExpectationError("expect.tool_name must be a non-empty string")
    return Expectations(
        contains=_strings(obj["contains"], "contains") if "contains" in obj else (),
        not_contains=_strings(obj["not_contains"], "not_contains") if "not_contains" in obj else (),
        regex=regex,
        json_schema=schema if "json_schema" in obj else None,
        tool_name=tool,
        stop_reason=_strings(obj["stop_reason"], "stop_reason") if "stop_reason" in obj else (),
        max_output_tokens=_limit(obj["max_output_tokens"], "max_output_tokens", whole=True)
        if "max_output_tokens" in obj else None,
        max_latency_ms=float(_limit(obj["max_latency_ms"], "max_latency_ms", whole=False))
        if "max_latency_ms" in obj else None,
    )


def _validator_class(schema: Any) -> Any:
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema ships with the [compare] and dev extras
        raise ExpectationError(
            "expect.json_schema needs the jsonschema package: pip install 'bedrock-lifecycle[compare]'"
        ) from None
    return jsonschema.validators.validator_for(schema)


def parse_json_answer(text: str) -> tuple[bool, Any]:
    """(True, value) when the answer is JSON, or holds one fenced JSON block; else (False, None)."""
    candidates = [text.strip()]
    candidates += [m.strip() for m in _FENCE_RE.findall(text)]
    for c in candidates:
        if c[:1] in ("{", "[", '"') or c in ("true", "false", "null") or c[:1].isdigit() or c[:1] == "-":
            try:
                return True, json.loads(c)
            except ValueError:
                continue
    return False, None


def evaluate(exp: Expectations, outcome: Outcome) -> list[Check]:
    """Every expectation of ``exp`` judged on ``outcome`` (in EXPECTATION_KEYS order)."""
    if not exp:
        return []
    checks: list[Check] = []
    if not outcome.ok:
        for key in EXPECTATION_KEYS:
            if _present(exp, key):
                checks.append(Check(key, False, f"the call failed ({outcome.error_code})"))
        return checks
    text = outcome.text or ""
    folded = text.casefold()
    if exp.contains:
        missing = [s for s in exp.contains if s.casefold() not in folded]
        checks.append(Check("contains", not missing, f"missing {missing[0]!r}" if missing else ""))
    if exp.not_contains:
        found = [s for s in exp.not_contains if s.casefold() in folded]
        checks.append(Check("not_contains", not found, f"contains {found[0]!r}" if found else ""))
    if exp.regex is not None:
        ok = exp.regex.search(text) is not None
        checks.append(Check("regex", ok, "" if ok else f"no match for /{exp.regex.pattern}/"))
    if exp.json_schema is not None:
        checks.append(_schema_check(exp.json_schema, text))
    if exp.tool_name is not None:
        ok = exp.tool_name in outcome.tool_names
        called = ", ".join(outcome.tool_names) or "no tool"
        checks.append(Check("tool_name", ok, "" if ok else f"called {called}, expected {exp.tool_name}"))
    if exp.stop_reason:
        ok = outcome.stop_reason in exp.stop_reason
        checks.append(Check("stop_reason", ok, "" if ok else f"stop reason {outcome.stop_reason}"))
    if exp.max_output_tokens is not None:
        n = outcome.output_tokens
        ok = n is not None and n <= exp.max_output_tokens
        checks.append(Check("max_output_tokens", ok, "" if ok else f"{n} output tokens > {exp.max_output_tokens}"))
    if exp.max_latency_ms is not None:
        ms = outcome.latency_ms
        ok = ms is not None and ms <= exp.max_latency_ms
        checks.append(Check("max_latency_ms", ok, "" if ok else f"{ms:.0f} ms > {exp.max_latency_ms:g} ms"
                            if ms is not None else "no latency"))
    return checks


def _present(exp: Expectations, key: str) -> bool:
    v = getattr(exp, key)
    return v is not None and v != ()


def _schema_check(schema: Mapping[str, Any], text: str) -> Check:
    ok, value = parse_json_answer(text)
    if not ok:
        return Check("json_schema", False, "the answer is not JSON")
    validator = _validator_class(schema)(schema)
    error = next(iter(validator.iter_errors(value)), None)
    if error is None:
        return Check("json_schema", True, "")
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return Check("json_schema", False, f"{where}: {error.message[:160]}")


# ------------------------------------------------------------------------------ shape


def shape_of(outcome: Outcome) -> dict[str, Any]:
    """What the answer looks like, without its content: stop reason, content block types,
    tools called, usage fields reported, JSON or prose."""
    is_json = parse_json_answer(outcome.text)[0] if outcome.text else False
    return {
        "stop_reason": outcome.stop_reason,
        "blocks": list(outcome.block_types),
        "tools": list(outcome.tool_names),
        "usage_fields": list(outcome.usage_fields),
        "format": "json" if is_json else "prose" if outcome.text else "none",
    }


def shape_diff(baseline: Outcome, candidate: Outcome) -> list[dict[str, str]]:
    """How the candidate's answer differs in shape from the baseline's: ``{"kind", "detail"}``
    items, kind one of ``stop_reason``, ``content_blocks``, ``tool_use``,
    ``usage_fields_missing``, ``usage_fields_new``, ``json_to_prose``. Empty: same shape, or
    a side failed."""
    if not (baseline.ok and candidate.ok):
        return []
    b, c = shape_of(baseline), shape_of(candidate)
    out: list[dict[str, str]] = []

    def add(kind: str, detail: str) -> None:
        out.append({"kind": kind, "detail": detail})

    if b["stop_reason"] != c["stop_reason"]:
        add("stop_reason", f"{b['stop_reason']} -> {c['stop_reason']}")
    if sorted(set(b["blocks"])) != sorted(set(c["blocks"])):
        add("content_blocks", f"{'+'.join(b['blocks']) or 'none'} -> {'+'.join(c['blocks']) or 'none'}")
    if b["tools"] != c["tools"]:
        add("tool_use", f"{', '.join(b['tools']) or 'none'} -> {', '.join(c['tools']) or 'none'}")
    missing = sorted(set(b["usage_fields"]) - set(c["usage_fields"]))
    new = sorted(set(c["usage_fields"]) - set(b["usage_fields"]))
    if missing:
        add("usage_fields_missing", ", ".join(missing))
    if new:
        add("usage_fields_new", ", ".join(new))
    if b["format"] == "json" and c["format"] != "json":
        add("json_to_prose", f"JSON -> {c['format']}")
    return out


def shape_summary(pairs: Sequence[tuple[str, list[dict[str, str]]]]) -> dict[str, int]:
    """How many prompts show each kind of difference, commonest first."""
    counts: dict[str, int] = {}
    for _, diffs in pairs:
        for kind in {d["kind"] for d in diffs}:
            counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
