"""A body adapter used by the tests: turns an Anthropic messages body into a Nova body."""

from __future__ import annotations

import json
from typing import Any


def anthropic_to_nova(body: Any, model_id: str) -> bytes:
    data = json.loads(body)
    messages = [{"role": m["role"], "content": [{"text": c["text"]} for c in m["content"]]}
                for m in data["messages"]]
    return json.dumps({"messages": messages, "inferenceConfig": {"maxTokens": data.get("max_tokens", 256)},
                       "adapted_for": model_id}).encode()
