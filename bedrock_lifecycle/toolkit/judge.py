"""Comparing answers by meaning: embedding similarity and an LLM judge, both through Bedrock.

Both take a ``bedrock-runtime`` client (the CLI passes ``bedrock_lifecycle.client()``, so
the user's credentials, endpoint, aliases and lifecycle policy apply) and never raise for
a model's answer: a failed or unreadable call is counted and reported.

**Embeddings** (``compare --similarity embedding:MODEL_ID``): each distinct text is embedded
once per run (cached by its SHA-256) with InvokeModel, and two answers' similarity is the
cosine of their vectors, floored at 0. Supported bodies: Amazon Titan text embeddings
(``{"inputText": ...}`` -> ``embedding``, ``inputTextTokenCount``) and Cohere embed
(``{"texts": [...], "input_type": "search_document"}`` -> ``embeddings``; tokens from the
``X-Amzn-Bedrock-Input-Token-Count`` header).

**Judge** (``compare --judge MODEL_ID [--rubric FILE]``): one Converse call per prompt with
the rubric as the system prompt and the prompt, the baseline's answer and the candidate's
answer in one user message (see :func:`judge_messages`); the reply must be JSON
``{"verdict": "equivalent|better|worse|different", "reason": "one line"}`` (a fenced block
or surrounding prose is tolerated). Anything else is *unjudged*, with the raw reply kept.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bedrock_lifecycle.ids import ModelIdError, parse_model_id

__all__ = [
    "DEFAULT_RUBRIC",
    "VERDICTS",
    "Embedder",
    "Judge",
    "Verdict",
    "combine_orders",
    "cosine",
    "embedding_family",
    "judge_messages",
    "parse_verdict",
]

VERDICTS = ("equivalent", "better", "worse", "different")
UNJUDGED = "unjudged"
MAX_JUDGE_TEXT = 6000  # characters of each answer shown to the judge
RAW_KEEP = 500  # characters of an unreadable judge reply kept for the report

DEFAULT_RUBRIC = """\
You compare two answers to the same prompt: the CURRENT answer (from the model in use today)
and the PROPOSED answer (from its candidate replacement). Judge only whether the PROPOSED
answer serves the user as well as the CURRENT one: correctness, completeness, following the
prompt's instructions and format. Ignore wording, order and length unless the prompt asks
for them.

Verdicts:
- "equivalent": both are equally good (the same facts, the same decision, the required format).
- "better": the proposed answer is clearly better than the current one.
- "worse": the proposed answer is clearly worse (wrong, incomplete, refuses, breaks the format).
- "different": they differ in substance and neither is clearly better.
"""

FORMAT_INSTRUCTION = (
    'Reply with one JSON object and nothing else: {"verdict": "equivalent" | "better" | "worse" | '
    '"different", "reason": "<one short sentence>"}'
)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors, floored at 0 and capped at 1; 0 for a zero vector
    or vectors of different lengths."""
    if len(a) != len(b) or not a:
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    if na == 0 or nb == 0 or not math.isfinite(dot):
        return 0.0
    return min(1.0, max(0.0, round(dot / (na * nb), 4)))


def embedding_family(model_id: str) -> str:
    """``titan`` or ``cohere`` for a model ID, profile or foundation-model ARN; ValueError
    (naming the model) for anything else."""
    try:
        base = parse_model_id(model_id).base_model_id or ""
    except ModelIdError as exc:
        raise ValueError(str(exc)) from None
    if base.startswith("amazon.titan-embed"):
        return "titan"
    if base.startswith("cohere.embed"):
        return "cohere"
    raise ValueError(
        f"{model_id!r} is not an embedding model this command can call "
        "(Amazon Titan text embeddings amazon.titan-embed-* or Cohere cohere.embed-*)"
    )


def _body(family: str, text: str) -> dict[str, Any]:
    if family == "titan":
        return {"inputText": text}
    return {"texts": [text], "input_type": "search_document", "truncate": "END"}


def _vector(family: str, payload: Any) -> list[float] | None:
    if not isinstance(payload, Mapping):
        return None
    vec: Any = payload.get("embedding") if family == "titan" else payload.get("embeddings")
    if family == "cohere":
        if isinstance(vec, Mapping):  # embedding_types requested: {"float": [[...]]}
            vec = vec.get("float")
        vec = vec[0] if isinstance(vec, list) and vec else None
    if not isinstance(vec, list) or not vec or not all(isinstance(x, int | float) for x in vec):
        return None
    return [float(x) for x in vec]


class Embedder:
    """Embeds texts with one model (cached per text for its lifetime) and compares them."""

    def __init__(self, client: Any, model_id: str, region: str | None = None) -> None:
        self.client = client
        self.model_id = model_id
        self.region = region
        self.family = embedding_family(model_id)
        self.cache: dict[str, list[float] | None] = {}
        self._pending: dict[str, threading.Event] = {}  # texts being embedded by another thread
        self.calls = 0
        self.failures = 0
        self.input_tokens = 0
        self.errors: dict[str, int] = {}
        self._lock = threading.Lock()

    def embed(self, text: str) -> list[float] | None:
        """The text's vector, embedded at most once per text (concurrent callers of the same
        text wait for the first); None when the call failed or answered no vector."""
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._lock:
            if key in self.cache:
                return self.cache[key]
            waiting = self._pending.get(key)
            if waiting is None:
                self._pending[key] = threading.Event()
        if waiting is not None:
            waiting.wait()
            with self._lock:
                return self.cache.get(key)
        try:
            vec, tokens, error = self._call(text)
        except BaseException:  # Ctrl-C: release the waiters (they find no vector)
            with self._lock:
                self._pending.pop(key).set()
            raise
        with self._lock:
            self.calls += 1
            self.input_tokens += tokens
            if vec is None:
                self.failures += 1
                self.errors[error or "unreadable"] = self.errors.get(error or "unreadable", 0) + 1
            self.cache[key] = vec
            done = self._pending.pop(key)
        done.set()
        return vec

    def _call(self, text: str) -> tuple[list[float] | None, int, str | None]:
        try:
            resp = self.client.invoke_model(
                modelId=self.model_id, body=json.dumps(_body(self.family, text)),
                contentType="application/json", accept="application/json",
            )
            payload = json.loads(resp["body"].read())
        except Exception as exc:  # an embedding failure makes that pair unscored, not the run fail
            return None, 0, _code(exc)
        tokens = payload.get("inputTextTokenCount") if isinstance(payload, Mapping) else None
        if not isinstance(tokens, int):
            headers = (resp.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
            raw = headers.get("x-amzn-bedrock-input-token-count")
            tokens = int(raw) if isinstance(raw, str) and raw.isdigit() else 0
        return _vector(self.family, payload), tokens, None

    def score(self, a: str, b: str) -> float | None:
        """Cosine similarity of the two texts' embeddings; None when either cannot be embedded."""
        if a == b:
            return 1.0
        va, vb = self.embed(a), self.embed(b)
        if va is None or vb is None:
            return None
        return cosine(va, vb)

    def usage(self) -> dict[str, Any]:
        return {"model": self.model_id, "calls": self.calls, "failed": self.failures,
                "errors": dict(self.errors), "input_tokens": self.input_tokens, "texts": len(self.cache)}


# ------------------------------------------------------------------------------ the judge


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: str  # one of VERDICTS, or "unjudged"
    reason: str
    raw: str | None = None  # the judge's reply when it could not be read (shortened)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"verdict": self.verdict, "reason": self.reason}
        if self.raw is not None:
            out["raw"] = self.raw
        return out


_JSON_OBJ_RE = re.compile(r"\{.*\}", re.DOTALL)


def parse_verdict(text: str | None) -> Verdict:
    """The judge's reply as a verdict; ``unjudged`` (with the raw text) when it is not a JSON
    object with a known ``verdict`` and a string ``reason``."""
    if not text or not text.strip():
        return Verdict(UNJUDGED, "empty reply", "")
    raw = text.strip()
    obj: Any = None
    for candidate in (raw, *(_JSON_OBJ_RE.findall(raw))):
        try:
            obj = json.loads(candidate)
            break
        except ValueError:
            continue
    short = raw if len(raw) <= RAW_KEEP else raw[: RAW_KEEP - 1] + "…"
    if not isinstance(obj, dict):
        return Verdict(UNJUDGED, "the reply is not a JSON object", short)
    label = obj.get("verdict")
    label = label.strip().casefold() if isinstance(label, str) else None
    if label not in VERDICTS:
        return Verdict(UNJUDGED, f"unknown or missing verdict {obj.get('verdict')!r}", short)
    reason = obj.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return Verdict(UNJUDGED, "missing reason", short)
    return Verdict(label, " ".join(reason.split())[:300])


def _clip(text: str) -> str:
    return text if len(text) <= MAX_JUDGE_TEXT else text[:MAX_JUDGE_TEXT] + "\n[… truncated]"


def judge_messages(prompt: str, baseline: str, candidate: str) -> list[dict[str, Any]]:
    """The one user message the judge sees."""
    text = (
        f"<prompt>\n{_clip(prompt)}\n</prompt>\n\n"
        f"<current_answer>\n{_clip(baseline)}\n</current_answer>\n\n"
        f"<proposed_answer>\n{_clip(candidate)}\n</proposed_answer>\n\n"
        f"{FORMAT_INSTRUCTION}"
    )
    return [{"role": "user", "content": [{"text": text}]}]


class Judge:
    """Asks one judge model, through Converse, for a verdict per pair."""

    def __init__(self, client: Any, model_id: str, rubric: str = DEFAULT_RUBRIC, max_tokens: int = 300,
                 both_orders: bool = False) -> None:
        self.client = client
        self.model_id = model_id
        # Judges favour one position; asked in both orders, a verdict that flips is not one.
        self.both_orders = both_orders
        self.rubric = rubric.strip() + "\n\n" + FORMAT_INSTRUCTION
        self.max_tokens = max_tokens
        self.calls = 0
        self.failed = 0
        self.usage_totals = {"inputTokens": 0, "outputTokens": 0, "cacheReadInputTokens": 0, "cacheWriteInputTokens": 0}
        self.served_by: dict[str, int] = {}
        self._lock = threading.Lock()

    def judge(self, prompt: str, baseline: str, candidate: str) -> Verdict:
        """The verdict on ``candidate`` against ``baseline``; with ``both_orders``, asked
        again with the answers swapped and combined by :func:`combine_orders`."""
        first = self._ask(prompt, baseline, candidate)
        if not self.both_orders or first.verdict == UNJUDGED:
            return first
        return combine_orders(first, self._ask(prompt, candidate, baseline))

    def _ask(self, prompt: str, baseline: str, candidate: str) -> Verdict:
        try:
            resp = self.client.converse(
                modelId=self.model_id,
                system=[{"text": self.rubric}],
                messages=judge_messages(prompt, baseline, candidate),
                inferenceConfig={"maxTokens": self.max_tokens, "temperature": 0},
            )
        except Exception as exc:
            with self._lock:
                self.calls += 1
                self.failed += 1
            return Verdict(UNJUDGED, f"the judge call failed: {_code(exc)}", None)
        usage = resp.get("usage") or {}
        served = ((resp.get("ResponseMetadata") or {}).get("BedrockLifecycle") or {}).get("model_id") or self.model_id
        with self._lock:
            self.calls += 1
            self.served_by[served] = self.served_by.get(served, 0) + 1
            for k in self.usage_totals:
                v = usage.get(k)
                if isinstance(v, int) and not isinstance(v, bool):
                    self.usage_totals[k] += v
        content = ((resp.get("output") or {}).get("message") or {}).get("content") or []
        text = "".join(b.get("text", "") for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))
        return parse_verdict(text)

    def usage(self) -> dict[str, Any]:
        return {"model": self.model_id, "calls": self.calls, "failed": self.failed,
                "served_by": dict(self.served_by), "usage": dict(self.usage_totals),
                "orders": 2 if self.both_orders else 1}


_SWAPPED = {"better": "worse", "worse": "better", "equivalent": "equivalent", "different": "different"}


def combine_orders(shown: Verdict, swapped: Verdict) -> Verdict:
    """One verdict from the judge's two readings: ``shown`` (current answer first) and
    ``swapped`` (the answers exchanged, so its "better" means the current one is better).

    They agree: that verdict. They disagree: "different" — the preference followed the
    position, not the answers — naming both readings. The swapped reading unjudged: the
    shown one, saying so."""
    if swapped.verdict == UNJUDGED:
        return Verdict(shown.verdict, f"{shown.reason} (the swapped order was unjudged: {swapped.reason})")
    mapped = _SWAPPED[swapped.verdict]
    if mapped == shown.verdict:
        return shown
    return Verdict("different", f"the verdict depended on the order: {shown.verdict} as shown ({shown.reason}), "
                                f"{mapped} with the answers swapped ({swapped.reason})")


def _code(exc: BaseException) -> str:
    """The error code of a failed call, by the one classifier the client uses."""
    from bedrock_lifecycle.core.classify import error_code

    return error_code(exc)[0] or type(exc).__name__
