"""Side-by-side comparison of two models: the statistics, as pure functions.

``bedrock-lifecycle compare`` (``bedrock_lifecycle.cli.toolkit_cmds``) runs a prompts file
against a *baseline* and a *candidate* model, or reads recorded shadow pairs, and turns
the answers into :class:`Pair`\\ s; :func:`summarise` makes the summary printed with
``--json`` and drawn by :mod:`bedrock_lifecycle.toolkit.report`. Nothing here does I/O: the
parsers take lines, not files.

Similarity of two answers is :func:`bedrock_lifecycle.util.text.similarity` (the same
measure the shadow recorder writes, so recorded and recomputed values mix): lexical, in
``[0, 1]``, symmetric, and a reordered or reformatted answer is not a disagreement.
``jaccard`` (shared vocabulary, order ignored) is reported alongside as a second opinion.
With ``compare --similarity embedding:MODEL`` the scores are cosine similarities of
embeddings instead (:mod:`bedrock_lifecycle.toolkit.judge`). *Agreement* is
``similarity >= threshold``.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bedrock_lifecycle.util.text import METHOD, jaccard, natural_key, normalise, similarity

__all__ = [
    "DEFAULT_THRESHOLD",
    "CompareInputError",
    "Outcome",
    "Pair",
    "Prompt",
    "jaccard",
    "normalise",
    "pairs_from_shadow_log",
    "parse_prices",
    "parse_prompts",
    "percentile",
    "similarity",
    "summarise",
]

DEFAULT_THRESHOLD = 0.8
EXCERPT_CHARS = 240
TOP_N = 5


class CompareInputError(ValueError):
    """A prompts file, shadow log or prices file that cannot be used; the message names
    the file and, for a line-based file, the line."""


# ------------------------------------------------------------------------------ statistics


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks
    (NumPy's default, ``statistics.quantiles(method="inclusive")``); None for no values.

    ``percentile(v, 0) == min(v)``, ``percentile(v, 100) == max(v)``, ``percentile(v, 50)
    == statistics.median(v)``, and the result is never outside ``[min(v), max(v)]``.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {q}")
    xs = sorted(values)
    if not xs:
        return None
    k = (len(xs) - 1) * (q / 100.0)
    lo = math.floor(k)
    hi = min(lo + 1, len(xs) - 1)
    frac = k - lo
    a, b = xs[lo], xs[hi]
    if frac == 0 or a == b:
        return float(a)
    v = a + (b - a) * frac
    return float(min(max(v, a), b))  # rounding (or b - a overflowing) never leaves [a, b]



# ---------------------------------------------------------------------------- the records


@dataclass(frozen=True, slots=True)
class Outcome:
    """One call: who served it, how long it took, what it cost and said."""

    model: str  # the model that served (or was tried last); the requested name if unknown
    latency_ms: float | None
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    error_code: str | None = None  # None: the call succeeded
    text: str | None = None
    attempts: int = 1  # attempts on the wire (retries and fallbacks included)
    attempt_errors: tuple[str, ...] = ()  # codes of every failed attempt, the last one included

    @property
    def ok(self) -> bool:
        return self.error_code is None


@dataclass(frozen=True, slots=True)
class Pair:
    """One prompt (or one recorded shadow pair) answered by both sides."""

    id: str
    baseline: Outcome
    candidate: Outcome
    recorded_similarity: float | None = None  # from a shadow log, used when texts are absent
    prompt_excerpt: str | None = None

    def scores(self) -> tuple[float, float | None] | None:
        """(similarity, jaccard) of the two answers, or None when they cannot be compared
        (a side failed, or no text). From a shadow log without texts: the recorded
        similarity and no jaccard."""
        if not (self.baseline.ok and self.candidate.ok):
            return None
        if self.baseline.text is not None and self.candidate.text is not None:
            return similarity(self.baseline.text, self.candidate.text), jaccard(
                self.baseline.text, self.candidate.text
            )
        if self.recorded_similarity is not None:
            return self.recorded_similarity, None
        return None


# ------------------------------------------------------------------------------ summary


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)


def _excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _price_of(prices: Mapping[str, Mapping[str, float]], served: str, requested: str | None) -> Mapping[str, float] | None:
    """A model's prices: its ID as served, then the foundation model behind an inference
    profile (``us.anthropic...`` -> ``anthropic...``), then the requested name (an alias)."""
    if served in prices:
        return prices[served]
    try:
        from bedrock_lifecycle.ids import parse_model_id

        base = parse_model_id(served).base_model_id
    except ValueError:
        base = None
    if base and base in prices:
        return prices[base]
    if requested is not None and requested in prices:
        return prices[requested]
    return None


def _side(
    outcomes: Sequence[Outcome],
    requested: str | None,
    prices: Mapping[str, Mapping[str, float]] | None,
) -> dict[str, Any]:
    ok = [o for o in outcomes if o.ok]
    latencies = [o.latency_ms for o in ok if o.latency_ms is not None]
    served = Counter(o.model for o in ok)
    errors = Counter(o.error_code for o in outcomes if o.error_code is not None)
    attempt_errors = Counter(c for o in outcomes for c in o.attempt_errors)
    tokens_in = sum(o.input_tokens or 0 for o in ok)
    tokens_out = sum(o.output_tokens or 0 for o in ok)
    cost: float | None = None
    unpriced: set[str] = set()
    if prices is not None:
        total = 0.0
        for o in ok:
            if not (o.input_tokens or o.output_tokens):
                continue
            price = _price_of(prices, o.model, requested)
            if price is None:
                unpriced.add(o.model)
                continue
            total += (o.input_tokens or 0) / 1000.0 * price["input_per_1k"]
            total += (o.output_tokens or 0) / 1000.0 * price["output_per_1k"]
        cost = None if unpriced else round(total, 6)
    model = requested
    if model is None:
        every = Counter(o.model for o in outcomes)
        model = every.most_common(1)[0][0] if every else ""
    return {
        "model": model,
        "calls": len(outcomes),
        "ok": len(ok),
        "errors": dict(sorted(errors.items(), key=lambda kv: (-kv[1], kv[0]))),
        "error_rate": _r((len(outcomes) - len(ok)) / len(outcomes), 4) if outcomes else None,
        "latency_ms": {
            "p50": _r(percentile(latencies, 50)),
            "p95": _r(percentile(latencies, 95)),
            "mean": _r(statistics.fmean(latencies) if latencies else None),
            "min": _r(min(latencies) if latencies else None),
            "max": _r(max(latencies) if latencies else None),
        },
        "tokens": {"input": tokens_in, "output": tokens_out},
        "cost_usd": cost,
        "unpriced_models": sorted(unpriced),
        "served_by": dict(served.most_common()),
        "attempts": sum(o.attempts for o in outcomes),
        "attempt_errors": dict(sorted(attempt_errors.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 3)


def _histogram(values: Sequence[float], bins: int) -> list[int]:
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int(v * bins)))] += 1
    return counts


def summarise(
    results: Sequence[Pair],
    *,
    baseline: str | None = None,
    candidate: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    prices: Mapping[str, Mapping[str, float]] | None = None,
    top: int = TOP_N,
) -> dict[str, Any]:
    """The comparison summary (the ``--json`` document).

    Stable keys: ``baseline`` and ``candidate`` (each ``model``, ``calls``, ``errors`` by
    code, ``latency_ms`` {p50, p95, mean} of *successful* calls, ``tokens`` {input,
    output} of successful calls, ``cost_usd`` or None when no prices were given or a
    serving model has none), ``similarity`` {mean, median, agreement_rate, threshold} over
    the pairs both sides answered, and ``most_different`` (the ``top`` lowest-similarity
    pairs, each with ``id``, ``similarity``, ``jaccard`` and output excerpts). Extra keys
    (``ok``, ``served_by``, ``attempts``, ...) may be added; these will not change.
    ``baseline`` / ``candidate`` name the sides as requested (an alias or a model ID);
    without them, each side's commonest model.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    scored: list[tuple[Pair, float, float | None]] = []
    for p in results:
        s = p.scores()
        if s is not None:
            scored.append((p, s[0], s[1]))
    sims = [s for _, s, _ in scored]
    jacs = [j for _, _, j in scored if j is not None]
    agree = sum(1 for s in sims if s >= threshold)
    ranked = sorted(scored, key=lambda t: (t[1], t[2] if t[2] is not None else 1.0, natural_key(t[0].id)))
    most_different = [
        {
            "id": p.id,
            "similarity": s,
            "jaccard": j,
            "prompt_excerpt": p.prompt_excerpt,
            "baseline_excerpt": _excerpt(p.baseline.text),
            "candidate_excerpt": _excerpt(p.candidate.text),
        }
        for p, s, j in ranked[: max(0, top)]
    ]
    both_failed = sum(1 for p in results if not p.baseline.ok and not p.candidate.ok)
    b = _side([p.baseline for p in results], baseline, prices)
    c = _side([p.candidate for p in results], candidate, prices)
    return {
        "baseline": b,
        "candidate": c,
        "pairs": len(results),
        # Candidate relative to baseline (None when either side has no value).
        "delta": {
            "latency_p50_ratio": _ratio(c["latency_ms"]["p50"], b["latency_ms"]["p50"]),
            "latency_p95_ratio": _ratio(c["latency_ms"]["p95"], b["latency_ms"]["p95"]),
            "error_rate_change": _r(c["error_rate"] - b["error_rate"], 4) if results else None,
            "cost_ratio": _ratio(c["cost_usd"], b["cost_usd"]),
        },
        "similarity": {
            "mean": _r(statistics.fmean(sims) if sims else None, 4),
            "median": _r(statistics.median(sims) if sims else None, 4),
            "agreement_rate": _r(agree / len(sims) if sims else None, 4),
            "threshold": threshold,
            "scored": len(sims),
            "jaccard_mean": _r(statistics.fmean(jacs) if jacs else None, 4),
            "method": METHOD,
            # Pairs per tenth of [0, 1] (1.0 counts in the last bin).
            "histogram": _histogram(sims, 10),
        },
        "only_baseline_failed": sum(1 for p in results if not p.baseline.ok and p.candidate.ok),
        "only_candidate_failed": sum(1 for p in results if p.baseline.ok and not p.candidate.ok),
        "both_failed": both_failed,
        "most_different": most_different,
    }


# ------------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str
    line: int
    request: dict[str, Any]  # Converse parameters, without modelId

    @property
    def excerpt(self) -> str | None:
        """The last user message's first text block, shortened (for the report only)."""
        for msg in reversed(self.request.get("messages", [])):
            if isinstance(msg, dict) and msg.get("role") == "user":
                for block in msg.get("content", []):
                    if isinstance(block, dict) and isinstance(block.get("text"), str):
                        return _excerpt(block["text"], 120)
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
    optional label (default ``line N``), ``modelId`` is ignored. Every line is checked
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
        prompts.append(Prompt(label, n, obj))
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
    """``{"model-id": {"input_per_1k": x, "output_per_1k": y}}`` (USD per 1000 tokens),
    validated; keys may be model IDs, inference profile IDs or aliases."""
    out: dict[str, dict[str, float]] = {}
    for model, entry in data.items():
        if not isinstance(entry, Mapping):
            raise CompareInputError(
                f"{name}: {model!r}: expected a table with input_per_1k and output_per_1k, got {_kind(entry)}"
            )
        unknown = set(entry) - {"input_per_1k", "output_per_1k"}
        if unknown:
            raise CompareInputError(
                f"{name}: {model!r}: unknown key {sorted(unknown)[0]!r} (expected input_per_1k, output_per_1k)"
            )
        prices: dict[str, float] = {}
        for key in ("input_per_1k", "output_per_1k"):
            v = entry.get(key)
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
        pairs.append(Pair(f"line {n}", primary, shadow, None if sim is None else float(sim)))
    return pairs, skipped
