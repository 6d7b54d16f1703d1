"""Side-by-side comparison of two models: the statistics, as pure functions.

``bedrock-lifecycle compare`` (``bedrock_lifecycle.cli.toolkit_cmds``) runs a prompts file
against a *baseline* and a *candidate* model, or reads recorded shadow pairs, and turns
the answers into :class:`Pair`\\ s; :func:`summarise` makes the summary printed with
``--json`` and drawn by :mod:`bedrock_lifecycle.toolkit.report`. Nothing here does I/O;
the parsers are :mod:`bedrock_lifecycle.toolkit.inputs`, the regression checks
:mod:`bedrock_lifecycle.toolkit.checks`, embeddings and the judge
:mod:`bedrock_lifecycle.toolkit.judge`.

Similarity of two answers is :func:`bedrock_lifecycle.util.text.similarity` (the same
measure the shadow recorder writes, so recorded and recomputed values mix): lexical, in
``[0, 1]``, symmetric, and a reordered or reformatted answer is not a disagreement.
``jaccard`` (shared vocabulary, order ignored) is reported alongside as a second opinion.
With ``compare --similarity embedding:MODEL`` the scores are cosine similarities of
embeddings instead (:mod:`bedrock_lifecycle.toolkit.judge`). *Agreement* is
``similarity >= threshold``.
"""

from __future__ import annotations

import datetime as _dt
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bedrock_lifecycle.toolkit.checks import (
    Check,
    Expectations,
    evaluate,
    shape_diff,
    shape_summary,
)
from bedrock_lifecycle.util.text import METHOD, jaccard, natural_key, normalise, similarity

if TYPE_CHECKING:
    from bedrock_lifecycle.lifecycle.prices import PriceTable
    from bedrock_lifecycle.toolkit.judge import Verdict

__all__ = [
    "DEFAULT_THRESHOLD",
    "CompareInputError",
    "Outcome",
    "Pair",
    "excerpt",
    "jaccard",
    "normalise",
    "percentile",
    "similarity",
    "summarise",
]

DEFAULT_THRESHOLD = 0.8
EXCERPT_CHARS = 240
TOP_N = 5
DAYS_PER_MONTH = 30.0


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
    if frac == 0.5:  # the median of an even count: as statistics.median computes it
        v = (a + b) / 2
        if math.isinf(v):
            v = a / 2 + b / 2
    else:
        v = a + (b - a) * frac
    return float(min(max(v, a), b))  # rounding (or b - a overflowing) never leaves [a, b]



# ---------------------------------------------------------------------------- the records


@dataclass(frozen=True, slots=True)
class Outcome:
    """One call: who served it, how long it took, what it used and said, and its shape."""

    model: str  # the model that served (or was tried last); the requested name if unknown
    latency_ms: float | None
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    error_code: str | None = None  # None: the call succeeded
    text: str | None = None
    attempts: int = 1  # attempts on the wire (retries and fallbacks included)
    attempt_errors: tuple[str, ...] = ()  # codes of every failed attempt, the last one included
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    block_types: tuple[str, ...] = ()  # content block types in order: "text", "toolUse", ...
    tool_names: tuple[str, ...] = ()  # tools the answer calls
    usage_fields: tuple[str, ...] = ()  # keys the response's usage carried

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def usage(self) -> dict[str, int]:
        return {"inputTokens": self.input_tokens or 0, "outputTokens": self.output_tokens or 0,
                "cacheReadInputTokens": self.cache_read_tokens or 0,
                "cacheWriteInputTokens": self.cache_write_tokens or 0}


@dataclass(frozen=True, slots=True)
class Pair:
    """One prompt (or one recorded shadow pair) answered by both sides."""

    id: str
    baseline: Outcome
    candidate: Outcome
    recorded_similarity: float | None = None  # from a shadow log, used when texts are absent
    prompt_excerpt: str | None = None
    expect: Expectations | None = None
    at: str | None = None  # when a shadow pair was recorded (ISO 8601)
    prompt_text: str | None = field(default=None, repr=False)  # what a judge is shown

    def comparable(self) -> bool:
        return self.baseline.ok and self.candidate.ok and self.baseline.text is not None and self.candidate.text is not None

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


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _cost(prices: PriceTable | None, o: Outcome, requested: str | None, region: str | None) -> tuple[float | None, bool]:
    """(USD, priced) for one successful outcome: the served model's price, else the requested
    name's (an alias priced in a --prices file). (None, False): no price for it."""
    if prices is None:
        return None, False
    price = prices.price_of(o.model, region)
    if price is None and requested is not None:
        price = prices.price_of(requested, region)
    if price is None:
        return None, False
    u = o.usage()
    return price.cost(u["inputTokens"], u["outputTokens"], u["cacheReadInputTokens"], u["cacheWriteInputTokens"]), True


def _side(
    outcomes: Sequence[Outcome],
    requested: str | None,
    prices: PriceTable | None,
    region: str | None,
) -> dict[str, Any]:
    ok = [o for o in outcomes if o.ok]
    latencies = [o.latency_ms for o in ok if o.latency_ms is not None]
    served = Counter(o.model for o in ok)
    errors = Counter(o.error_code for o in outcomes if o.error_code is not None)
    attempt_errors = Counter(c for o in outcomes for c in o.attempt_errors)
    cost: float | None = None
    unpriced: set[str] = set()
    if prices is not None:
        total = 0.0
        for o in ok:
            c, priced = _cost(prices, o, requested, region)
            if c is None:
                unpriced.add(o.model if not priced else f"{o.model} (cache tokens)")
            else:
                total += c
        cost = None if unpriced else round(total, 9)
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
        "tokens": {
            "input": sum(o.input_tokens or 0 for o in ok),
            "output": sum(o.output_tokens or 0 for o in ok),
            "cache_read": sum(o.cache_read_tokens or 0 for o in ok),
            "cache_write": sum(o.cache_write_tokens or 0 for o in ok),
        },
        "cost_usd": cost,
        "cost_per_call_usd": None if cost is None or not ok else round(cost / len(ok), 10),
        "unpriced_models": sorted(unpriced),
        "served_by": dict(served.most_common()),
        "attempts": sum(o.attempts for o in outcomes),
        "attempt_errors": dict(sorted(attempt_errors.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 3)


def _change(a: float | None, b: float | None) -> float | None:
    """Relative change of ``a`` against ``b`` (-0.3: 30 % fewer); None without a base."""
    return None if a is None or not b else round(a / b - 1.0, 4)


def _histogram(values: Sequence[float], bins: int) -> list[int]:
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int(v * bins)))] += 1
    return counts


def _side_row(o: Outcome, checks: list[Check], cost: float | None) -> dict[str, Any]:
    return {
        "model": o.model,
        "ok": o.ok,
        "error": o.error_code,
        "latency_ms": _r(o.latency_ms),
        "input_tokens": o.input_tokens,
        "output_tokens": o.output_tokens,
        "stop_reason": o.stop_reason,
        "cost_usd": None if cost is None else round(cost, 10),
        "checks": [c.to_json() for c in checks],
        "passed": None if not checks else all(c.passed for c in checks),
    }


def _delta(b: int | float | None, c: int | float | None, digits: int = 10) -> float | None:
    return None if b is None or c is None else round(c - b, digits)


def _span_days(pairs: Sequence[Pair]) -> float | None:
    stamps = []
    for p in pairs:
        if p.at:
            try:
                stamps.append(_dt.datetime.fromisoformat(p.at.replace("Z", "+00:00")))
            except ValueError:
                continue
    if len(stamps) < 2:
        return None
    span = (max(stamps) - min(stamps)).total_seconds() / 86400.0
    return span if span > 0 else None


def _projection(results: Sequence[Pair], b: dict[str, Any], c: dict[str, Any],
                monthly_calls: int | None) -> dict[str, Any] | None:
    """The monthly cost of each side at the observed (or given) volume, and the difference."""
    cb, cc = b["cost_per_call_usd"], c["cost_per_call_usd"]
    if cb is None or cc is None:
        return None
    if monthly_calls is not None:
        calls, basis = float(monthly_calls), "--monthly-calls"
    else:
        days = _span_days(results)
        if days is None:
            return {"calls_per_month": None, "basis": "no volume observed: pass --monthly-calls N",
                    "per_1000_calls_usd": {"baseline": round(cb * 1000, 6), "candidate": round(cc * 1000, 6),
                                           "difference": round((cc - cb) * 1000, 6)}}
        calls = len(results) / days * DAYS_PER_MONTH
        basis = f"{len(results)} recorded pairs over {days:.2f} days (sampled traffic: scale by 1/sample)"
    return {
        "calls_per_month": round(calls),
        "basis": basis,
        "baseline_usd": round(cb * calls, 2),
        "candidate_usd": round(cc * calls, 2),
        "difference_usd": round((cc - cb) * calls, 2),
        "per_1000_calls_usd": {"baseline": round(cb * 1000, 6), "candidate": round(cc * 1000, 6),
                               "difference": round((cc - cb) * 1000, 6)},
    }


def summarise(
    results: Sequence[Pair],
    *,
    baseline: str | None = None,
    candidate: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    prices: PriceTable | None = None,
    region: str | None = None,
    top: int = TOP_N,
    scores: Mapping[str, float | None] | None = None,
    method: str | None = None,
    verdicts: Mapping[str, Verdict] | None = None,
    monthly_calls: int | None = None,
) -> dict[str, Any]:
    """The comparison summary (the ``--json`` document; see docs/compare.md for its keys).

    ``scores`` (pair id -> similarity, e.g. from embeddings; None: not scored) replace the
    lexical measure, named by ``method``; ``verdicts`` are the judge's, per pair id.
    ``prices`` (a :class:`~bedrock_lifecycle.lifecycle.prices.PriceTable`) turns usage into
    cost in ``region``; without it every ``cost_usd`` is None.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    scored: list[tuple[Pair, float, float | None]] = []
    for p in results:
        s = p.scores()
        if s is None:
            continue
        if scores is not None:
            value = scores.get(p.id)
            if value is None:
                continue
            s = (value, s[1])
        scored.append((p, s[0], s[1]))
    sims = [s for _, s, _ in scored]
    jacs = [j for _, _, j in scored if j is not None]
    agree = sum(1 for s in sims if s >= threshold)
    ranked = sorted(scored, key=lambda t: (t[1], t[2] if t[2] is not None else 1.0, natural_key(t[0].id)))
    sim_of = {p.id: (s, j) for p, s, j in scored}
    most_different = [
        {
            "id": p.id,
            "similarity": s,
            "jaccard": j,
            "prompt_excerpt": p.prompt_excerpt,
            "baseline_excerpt": excerpt(p.baseline.text),
            "candidate_excerpt": excerpt(p.candidate.text),
        }
        for p, s, j in ranked[: max(0, top)]
    ]
    b = _side([p.baseline for p in results], baseline, prices, region)
    c = _side([p.candidate for p in results], candidate, prices, region)
    per_prompt: list[dict[str, Any]] = []
    regressions: list[str] = []
    fixed: list[str] = []
    shapes: list[tuple[str, list[dict[str, str]]]] = []
    checked = 0
    for p in results:
        exp = p.expect or Expectations()
        bchecks, cchecks = evaluate(exp, p.baseline), evaluate(exp, p.candidate)
        bcost = _cost(prices, p.baseline, baseline, region)[0] if p.baseline.ok else None
        ccost = _cost(prices, p.candidate, candidate, region)[0] if p.candidate.ok else None
        brow, crow = _side_row(p.baseline, bchecks, bcost), _side_row(p.candidate, cchecks, ccost)
        regression = brow["passed"] is True and crow["passed"] is False
        if bchecks:
            checked += 1
        if regression:
            regressions.append(p.id)
        elif brow["passed"] is False and crow["passed"] is True:
            fixed.append(p.id)
        diffs = shape_diff(p.baseline, p.candidate)
        if diffs:
            shapes.append((p.id, diffs))
        sj = sim_of.get(p.id)
        verdict = verdicts.get(p.id) if verdicts is not None else None
        per_prompt.append({
            "id": p.id,
            "prompt_excerpt": p.prompt_excerpt,
            "similarity": None if sj is None else sj[0],
            "jaccard": None if sj is None else sj[1],
            "verdict": None if verdict is None else verdict.to_json(),
            "regression": regression,
            "shape": diffs,
            "baseline": brow,
            "candidate": crow,
            "delta": {
                "input_tokens": _delta(p.baseline.input_tokens, p.candidate.input_tokens, 0),
                "output_tokens": _delta(p.baseline.output_tokens, p.candidate.output_tokens, 0),
                "cost_usd": _delta(bcost, ccost),
            },
        })
    per_prompt.sort(key=lambda r: (not r["regression"], natural_key(r["id"])))
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
            "cost_change_usd": _delta(b["cost_usd"], c["cost_usd"], 9),
            "input_tokens_change": _change(c["tokens"]["input"], b["tokens"]["input"]),
            "output_tokens_change": _change(c["tokens"]["output"], b["tokens"]["output"]),
            "cost_per_call_change": _change(c["cost_per_call_usd"], b["cost_per_call_usd"]),
        },
        "projection": _projection(results, b, c, monthly_calls),
        "similarity": {
            "mean": _r(statistics.fmean(sims) if sims else None, 4),
            "median": _r(statistics.median(sims) if sims else None, 4),
            "agreement_rate": _r(agree / len(sims) if sims else None, 4),
            "threshold": threshold,
            "scored": len(sims),
            "jaccard_mean": _r(statistics.fmean(jacs) if jacs else None, 4),
            "method": method or METHOD,
            # Pairs per tenth of [0, 1] (1.0 counts in the last bin).
            "histogram": _histogram(sims, 10),
        },
        "checks": {
            "prompts_with_expectations": checked,
            "baseline_passed": sum(1 for r in per_prompt if r["baseline"]["passed"] is True),
            "candidate_passed": sum(1 for r in per_prompt if r["candidate"]["passed"] is True),
            "regressions": len(regressions),
            "fixed": len(fixed),
        },
        "regressions": sorted(regressions, key=natural_key),
        "fixed": sorted(fixed, key=natural_key),
        "shape": {"prompts": len(shapes), "differences": shape_summary(shapes)},
        "judge": _judge_summary(verdicts, results) if verdicts is not None else None,
        "only_baseline_failed": sum(1 for p in results if not p.baseline.ok and p.candidate.ok),
        "only_candidate_failed": sum(1 for p in results if p.baseline.ok and not p.candidate.ok),
        "both_failed": sum(1 for p in results if not p.baseline.ok and not p.candidate.ok),
        "most_different": most_different,
        "per_prompt": per_prompt,
    }


def _judge_summary(verdicts: Mapping[str, Verdict], results: Sequence[Pair]) -> dict[str, Any]:
    from bedrock_lifecycle.toolkit.judge import UNJUDGED, VERDICTS

    counts = dict.fromkeys((*VERDICTS, UNJUDGED), 0)
    for p in results:
        v = verdicts.get(p.id)
        if v is not None:
            counts[v.verdict] = counts.get(v.verdict, 0) + 1
    judged = sum(n for k, n in counts.items() if k != UNJUDGED)
    worse = [p.id for p in results if (v := verdicts.get(p.id)) is not None and v.verdict == "worse"]
    return {
        "verdicts": counts,
        "judged": judged,
        "as_good_rate": _r((counts["equivalent"] + counts["better"]) / judged, 4) if judged else None,
        "worse": sorted(worse, key=natural_key),
    }
