"""Reading Bedrock responses: token usage, stop reason and output text (no I/O)."""

from __future__ import annotations

import json
from typing import Any


def usage_of(response: Any) -> tuple[int | None, int | None, str | None]:
    """(input tokens, output tokens, stop reason) from a Converse or InvokeModel response."""
    if not isinstance(response, dict):
        return None, None, None
    usage = response.get("usage")
    if isinstance(usage, dict):
        return usage.get("inputTokens"), usage.get("outputTokens"), response.get("stopReason")
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    i = headers.get("x-amzn-bedrock-input-token-count")
    o = headers.get("x-amzn-bedrock-output-token-count")
    return (int(i) if i and str(i).isdigit() else None, int(o) if o and str(o).isdigit() else None, None)


def converse_text(response: Any) -> str | None:
    """The output text of a Converse response (text blocks, and tool calls as
    ``name {json input}``), or None when there is no message."""
    try:
        content = response["output"]["message"]["content"]
    except (KeyError, TypeError):
        return None
    if not isinstance(content, list):
        return None
    parts: list[str] = []
    for block in content:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif isinstance(block.get("toolUse"), dict):
            tool = block["toolUse"]
            parts.append(f"{tool.get('name', '')} {json.dumps(tool.get('input'), sort_keys=True, default=str)}")
    return "\n".join(parts)
