"""The inputs of ``compare``: the prompts file (Converse requests with optional
expectations), a prices file and a shadow-traffic log. Pure: the parsers take lines,
not files, and raise :class:`CompareInputError` naming the file and line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bedrock_lifecycle.toolkit.checks import ExpectationError, Expectations, parse_expectations
from bedrock_lifecycle.toolkit.compare import CompareInputError, Outcome, Pair, excerpt

__all__ = ["PRICE_KEYS", "Prompt", "pairs_from_shadow_log", "parse_prices", "parse_prompts"]

PRICE_KEYS = ("input_per_1k", "output_per_1k", "cache_read_per_1k", "cache_write_per_1k")


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str
    line: int
    request: dict[str, Any]  # Converse parameters, without modelId
    expect: Expectations | None = None

    @property
    def text(self) -> str:
        """The prompt as the judge sees it: the system prompt and every message's text."""
        parts = [b["text"] for b in self.request.get("system", []) if isinstance(b, dict) and isinstance(b.get("text"), str)]
        for msg in self.request.get("messages", []):
            if isinstance(msg, dict):
                texts = [b["text"] for b in msg.get("content", []) if isinstance(b, dict) and isinstance(b.get("text"), str)]
                if texts:
                    parts.append(f"{msg.get('role', 'user')}: " + "\n".join(texts))
        return "\n\n".join(parts)

    @property
    def excerpt(self) -> str | None:
        """The last user message's first text block, shortened (for the report only)."""
        for msg in reversed(self.request.get("messages", [])):
            if isinstance(msg, dict) and msg.get("role") == "user":
                for block in msg.get("content", []):
                    if isinstance(block, dict) and isinstance(block.get("text"), str):
                        return excerpt(block["text"], 120)
        return None


_input_shape: Any = None


def _converse_shape() -> Any:
    global _input_shape
    if _input_shape is None:
        import botocore.session

        model = botocore.session.get_session().get_service_model("bedrock-runtime")
        _input_shape = model.operation_model("Converse").input_shape
    return _input_shape


def _shape_problem(params: dict[str, Any]) -> str | None:
    """The first way ``params`` is not a Converse request, by botocore's own validator,
    described without the offending value (it may be part of a prompt)."""
    from botocore.validate import ParamValidator

    report = ParamValidator().validate({**params, "modelId": "x"}, _converse_shape())
    if not report.has_errors():
        return None
    errors = getattr(report, "_errors", None)
    if not errors:
        return "not a valid Converse request"
    kind, name, extra = errors[0]
    where = name[1:] if name.startswith(".") else name
    at = f"{where}: " if where else ""
    if kind == "missing required field":
        return f"{at}missing required key {extra.get('required_name')!r}"
    if kind == "unknown field":
        return f"{at}unknown key {extra.get('unknown_param')!r}"
    if kind in ("invalid type", "invalid type for document"):
        valid = " or ".join(t.strip("<>").removeprefix("class ").strip("'") for t in extra.get("valid_types", []))
        return f"{at}expected {valid}, got {type(extra.get('param')).__name__}"
    if kind in ("invalid range", "invalid length"):
        what = "length" if kind == "invalid length" else "value"
        return f"{at}{what} must be at least {extra.get('min_allowed')}"
    return f"{at}{kind}"


def parse_prompts(lines: Iterable[str], name: str) -> list[Prompt]:
    """Converse requests, one JSON object a line (blank lines skipped); ``id`` is an
    optional label (default ``line N``), ``expect`` optional checks
    (:mod:`bedrock_lifecycle.toolkit.checks`), ``modelId`` is ignored. Every line is checked
    with botocore's validator for Converse; the first bad one raises
    :class:`CompareInputError` naming ``name``, the line number and the problem."""
    prompts: list[Prompt] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{name}:{n}"
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            raise CompareInputError(f"{where}: not valid JSON ({_json_reason(exc)})") from None
        if not isinstance(obj, dict):
            raise CompareInputError(f"{where}: expected a JSON object (a Converse request), got {_kind(obj)}")
        label = obj.pop("id", None)
        obj.pop("modelId", None)
        expect: Expectations | None = None
        if "expect" in obj:
            try:
                expect = parse_expectations(obj.pop("expect"))
            except ExpectationError as exc:
                raise CompareInputError(f"{where}: {exc}") from None
        if label is None:
            label = f"line {n}"
        elif isinstance(label, bool) or not isinstance(label, str | int):
            raise CompareInputError(f"{where}: 'id' must be a string or a number, got {_kind(label)}")
        label = str(label)
        if label in seen:
            raise CompareInputError(f"{where}: id {label!r} is already used on line {seen[label]}")
        seen[label] = n
        if "messages" not in obj:
            raise CompareInputError(f"{where}: missing 'messages' (a list of Converse messages)")
        if not isinstance(obj["messages"], list) or not obj["messages"]:
            raise CompareInputError(f"{where}: 'messages' must be a non-empty list")
        problem = _shape_problem(obj)
        if problem is not None:
            raise CompareInputError(f"{where}: {problem}")
        prompts.append(Prompt(label, n, obj, expect or None))
    if not prompts:
        raise CompareInputError(f"{name}: no prompts (expected one JSON Converse request a line)")
    return prompts


def _json_reason(exc: ValueError) -> str:
    msg = getattr(exc, "msg", None)
    col = getattr(exc, "colno", None)
    return f"{msg} at column {col}" if msg and col else str(exc)


def _kind(v: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(v), "a number")


def parse_prices(data: Mapping[str, Any], name: str) -> dict[str, dict[str, float]]:
    """``{"model-id": {"input_per_1k": x, "output_per_1k": y[, "cache_read_per_1k": r,
    "cache_write_per_1k": w]}}`` (USD per 1000 tokens), validated; keys may be model IDs,
    inference profile IDs, ARNs or aliases."""
    out: dict[str, dict[str, float]] = {}
    for model, entry in data.items():
        if not isinstance(entry, Mapping):
            raise CompareInputError(
                f"{name}: {model!r}: expected a table with input_per_1k and output_per_1k, got {_kind(entry)}"
            )
        unknown = set(entry) - set(PRICE_KEYS)
        if unknown:
            raise CompareInputError(
                f"{name}: {model!r}: unknown key {sorted(unknown)[0]!r} (expected {', '.join(PRICE_KEYS)})"
            )
        prices: dict[str, float] = {}
        for key in PRICE_KEYS:
            v = entry.get(key)
            if v is None and key.startswith("cache"):
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise CompareInputError(f"{name}: {model!r}: {key} must be a number >= 0 (USD per 1000 tokens)")
            prices[key] = float(v)
        out[str(model)] = prices
    return out


_SIDE_KEYS = ("model", "latency_ms", "input_tokens", "output_tokens", "stop_reason", "error_code", "text")


def _side_of(rec: Mapping[str, Any], key: str, where: str) -> Outcome:
    side = rec.get(key)
    if not isinstance(side, Mapping):
        raise CompareInputError(f"{where}: {key!r} must be an object")
    model = side.get("model")
    if not isinstance(model, str) or not model:
        raise CompareInputError(f"{where}: {key}.model must be a non-empty string")
    latency = side.get("latency_ms")
    if latency is not None and (isinstance(latency, bool) or not isinstance(latency, int | float) or latency < 0):
        raise CompareInputError(f"{where}: {key}.latency_ms must be a number >= 0 or null")
    for tk in ("input_tokens", "output_tokens"):
        v = side.get(tk)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise CompareInputError(f"{where}: {key}.{tk} must be a whole number >= 0 or null")
    for sk in ("stop_reason", "error_code", "text"):
        v = side.get(sk)
        if v is not None and not isinstance(v, str):
            raise CompareInputError(f"{where}: {key}.{sk} must be a string or null")
    code = side.get("error_code")
    return Outcome(
        model=model,
        latency_ms=None if latency is None else float(latency),
        input_tokens=side.get("input_tokens"),
        output_tokens=side.get("output_tokens"),
        stop_reason=side.get("stop_reason"),
        error_code=code or None,
        text=side.get("text"),
        attempt_errors=(code,) if code else (),
    )


def pairs_from_shadow_log(
    lines: Iterable[str], name: str, *, alias: str | None = None
) -> tuple[list[Pair], int]:
    """Shadow records (one JSON object a line) as pairs: baseline = ``primary``,
    candidate = ``shadow``. ``alias`` keeps only that alias's records (case-insensitive).

    Returns (pairs, skipped): a last line without its newline that does not parse is a
    record still being written and is skipped (counted); any other bad line raises
    :class:`CompareInputError` with the file, line and problem. Unknown keys are ignored.
    """
    from bedrock_lifecycle.config import alias_key

    pairs: list[Pair] = []
    skipped = 0
    items = list(lines)
    for n, raw in enumerate(items, 1):
        if not raw.strip():
            continue
        where = f"{name}:{n}"
        try:
            rec = json.loads(raw)
        except ValueError as exc:
            if n == len(items) and not raw.endswith("\n"):
                skipped += 1
                continue
            raise CompareInputError(f"{where}: not valid JSON ({_json_reason(exc)})") from None
        if not isinstance(rec, dict):
            raise CompareInputError(f"{where}: expected a JSON object (a shadow record), got {_kind(rec)}")
        rec_alias = rec.get("alias")
        if rec_alias is not None and not isinstance(rec_alias, str):
            raise CompareInputError(f"{where}: 'alias' must be a string or null")
        sim = rec.get("similarity")
        if sim is not None and (isinstance(sim, bool) or not isinstance(sim, int | float) or not 0 <= sim <= 1):
            raise CompareInputError(f"{where}: 'similarity' must be a number between 0 and 1 or null")
        primary = _side_of(rec, "primary", where)
        shadow = _side_of(rec, "shadow", where)
        if alias is not None and (rec_alias is None or alias_key(rec_alias) != alias_key(alias)):
            continue
        at = rec.get("at")
        pairs.append(Pair(f"line {n}", primary, shadow, None if sim is None else float(sim),
                          at=at if isinstance(at, str) else None))
    return pairs, skipped
