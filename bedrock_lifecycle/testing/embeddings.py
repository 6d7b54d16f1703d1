"""Embedding models of the local Bedrock: InvokeModel bodies of the Amazon Titan text
embeddings (``{"inputText": ...}`` -> ``embedding``, ``inputTextTokenCount``) and Cohere
embed (``{"texts": [...]}`` -> ``embeddings``, tokens in the ``X-Amzn-Bedrock-Input-Token-Count``
header) families.

Vectors are deterministic: a hashed bag of words (feature hashing, signed), L2-normalised.
The same words in any order give the same vector; texts sharing most words get a high
cosine; texts with no word in common are orthogonal up to hash collisions. A test double,
not a language model: synonyms share nothing.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any, Final

from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.testing.generation import tokens

__all__ = ["embed", "embedding_answer"]

_WORD_RE: Final = re.compile(r"\w+")
_DEFAULT_DIMENSIONS: Final = {"titan": 1024, "cohere": 1024}


def _family(model_id: str) -> str | None:
    try:
        base = parse_model_id(model_id).base_model_id or ""
    except ModelIdError:
        return None
    if base.startswith("amazon.titan-embed"):
        return "titan"
    if base.startswith("cohere.embed"):
        return "cohere"
    return None


def embed(text: str, dimensions: int) -> list[float]:
    """The deterministic unit vector of ``text`` (zero vector for a text without words)."""
    vec = [0.0] * dimensions
    words = _WORD_RE.findall(text.casefold())
    for word in words:
        index, sign = _slot(word, dimensions)
        vec[index] += sign
    if words and not any(vec):
        # Signed hashing cancelled every word out (two words on one index, opposite
        # signs): a real model never returns a zero vector for text, so fall back to the
        # smallest word's index, positive (still independent of word order and case).
        vec[_slot(min(words), dimensions)[0]] = 1.0
    norm = math.sqrt(sum(x * x for x in vec))
    return [round(x / norm, 6) for x in vec] if norm else vec


def _slot(word: str, dimensions: int) -> tuple[int, float]:
    digest = hashlib.blake2s(word.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest[:4], "big") % dimensions, 1.0 if digest[4] & 1 else -1.0


def embedding_answer(model_id: str, body: Any) -> tuple[dict[str, Any], int] | None:
    """(response payload, input tokens) when ``body`` is an embedding request for an
    embedding model; None for anything else (the text models answer it)."""
    family = _family(model_id)
    if family is None or not isinstance(body, dict):
        return None
    if family == "titan" and isinstance(body.get("inputText"), str):
        dims = body.get("dimensions")
        dims = dims if isinstance(dims, int) and 0 < dims <= 8192 else _DEFAULT_DIMENSIONS["titan"]
        n = tokens(len(body["inputText"]))
        return {"embedding": embed(body["inputText"], dims), "inputTextTokenCount": n}, n
    texts = body.get("texts")
    if family == "cohere" and isinstance(texts, list) and all(isinstance(t, str) for t in texts):
        vectors = [embed(t, _DEFAULT_DIMENSIONS["cohere"]) for t in texts]
        n = sum(tokens(len(t)) for t in texts)
        digest = hashlib.blake2s("\x00".join(texts).encode(), digest_size=16).hexdigest()
        payload: dict[str, Any] = {"id": digest, "texts": texts, "response_type": "embeddings_floats"}
        types = body.get("embedding_types")
        payload["embeddings"] = {"float": vectors} if isinstance(types, list) and types else vectors
        return payload, n
    return None
