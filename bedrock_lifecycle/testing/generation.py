"""What the local models say: generated text, token estimates and the payload pieces shared
by Converse and InvokeModel answers."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from typing import Any, Final

from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.testing import eventstream as es
from bedrock_lifecycle.testing.scripting import Reply, StreamFault
from bedrock_lifecycle.testing.wire import RecordedRequest, Response

_WORDS_RE: Final = re.compile(r"\S+\s*|\s+")


def _chars(obj: Any) -> int:
    """Characters of text in a JSON value: the base of every token estimate."""
    if isinstance(obj, str):
        return len(obj)
    if isinstance(obj, dict):
        return sum(_chars(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(_chars(v) for v in obj)
    return 0


def tokens(chars: int) -> int:
    return max(1, (chars + 3) // 4)


def converse_input_tokens(request: Mapping[str, Any]) -> int:
    return tokens(_chars(request.get("messages")) + _chars(request.get("system")))


def invoke_input_tokens(body: dict[str, Any] | bytes) -> int:
    return tokens(len(body) if isinstance(body, bytes) else _chars(body))


def chunks(text: str, words: int = 2) -> list[str]:
    parts = _WORDS_RE.findall(text)
    if not parts:
        return [text]
    return ["".join(parts[i : i + words]) for i in range(0, len(parts), words)]


@dataclasses.dataclass(frozen=True, slots=True)
class Generation:
    text: str
    stop_reason: str
    input_tokens: int
    output_tokens: int
    latency_ms: int


def generation(
    raw: bytes, rec: RecordedRequest, reply: Reply | None, input_tokens: int
) -> Generation:
    """The answer to one call: the scripted reply, else a deterministic greeting."""
    model_id = rec.model_id or ""
    text: str
    if reply is not None and reply.text is not None:
        text = reply.text(rec) if callable(reply.text) else reply.text
    else:
        digest = hashlib.blake2s(raw, digest_size=4).hexdigest()
        text = f"[{model_id}] Hello from local Bedrock, reply {digest}."
    if reply is not None and reply.input_tokens is not None:
        input_tokens = reply.input_tokens
    output_tokens = tokens(len(text))
    if reply is not None and reply.output_tokens is not None:
        output_tokens = reply.output_tokens
    return Generation(
        text,
        reply.stop_reason if reply else "end_turn",
        input_tokens,
        output_tokens,
        round(reply.latency * 1000) if reply else 0,
    )


def anthropic_style(model_id: str, body: dict[str, Any] | bytes) -> bool:
    if not isinstance(body, dict):
        return False
    if "anthropic_version" in body:
        return True
    try:
        provider = parse_model_id(model_id).provider
    except ModelIdError:
        provider = None
    return provider == "anthropic" and "messages" in body


def usage(gen: Generation) -> dict[str, int]:
    return {
        "inputTokens": gen.input_tokens,
        "outputTokens": gen.output_tokens,
        "totalTokens": gen.input_tokens + gen.output_tokens,
    }


def token_headers(gen: Generation) -> list[tuple[str, str]]:
    return [
        ("X-Amzn-Bedrock-Input-Token-Count", str(gen.input_tokens)),
        ("X-Amzn-Bedrock-Output-Token-Count", str(gen.output_tokens)),
        ("X-Amzn-Bedrock-Invocation-Latency", str(gen.latency_ms)),
    ]


def stream_response(events: list[bytes], failure: StreamFault | None) -> Response:
    if failure is not None:
        events = [
            *events[: failure.after_events],
            es.exception(failure.exception_type, failure.message),
        ]
    return Response(200, [("Content-Type", "application/vnd.amazon.eventstream")], b"".join(events))
