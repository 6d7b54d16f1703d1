"""Tool use and structured output for the local Converse API.

A model scripted with :meth:`LocalBedrock.reply_tool_use` answers a Converse call that offers
tools (``toolConfig``) with a ``toolUse`` block and ``stopReason: tool_use``, as Bedrock does;
a call whose last message carries the ``toolResult`` is answered with text, so an agent's
loop (ask, run the tool, answer) completes. A call asking for JSON
(``outputConfig.textFormat`` of type ``json_schema``) is answered with the scripted text, else
with the smallest document its schema accepts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from bedrock_lifecycle.testing import eventstream as es

CONVERSE_OPERATIONS: Final = frozenset({"Converse", "ConverseStream"})
# InvokeModel with Anthropic's Messages body ("tools", "tool_use" / "tool_result" blocks).
TOOL_OPERATIONS: Final = CONVERSE_OPERATIONS | {"InvokeModel"}


@dataclasses.dataclass(slots=True)
class ToolScript:
    name: str | None  # None: the tool the request's toolChoice names, else its first tool
    input: Any  # None: the smallest input the tool's schema accepts
    remaining: int | None
    operations: frozenset[str] | None = None  # any operation that offers tools (TOOL_OPERATIONS)


def _tools(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    config = body.get("toolConfig")
    tools = config.get("tools") if isinstance(config, Mapping) else None
    specs = [t["toolSpec"] for t in tools or () if isinstance(t, Mapping) and isinstance(t.get("toolSpec"), Mapping)]
    if not specs and isinstance(body.get("tools"), list):  # Anthropic's Messages body (InvokeModel)
        specs = [{"name": t.get("name"), "inputSchema": {"json": t.get("input_schema") or {}}}
                 for t in body["tools"] if isinstance(t, Mapping) and t.get("name")]
    return specs


def wants_tool_use(body: Mapping[str, Any]) -> bool:
    """The request offers tools and is not returning a tool's result."""
    if not _tools(body):
        return False
    messages = body.get("messages") or []
    last = messages[-1] if messages and isinstance(messages[-1], Mapping) else {}
    content = last.get("content") or ()
    if isinstance(content, str):
        return True
    return not any(isinstance(b, Mapping) and ("toolResult" in b or b.get("type") == "tool_result") for b in content)


def _schema(spec: Mapping[str, Any]) -> Any:
    wrapped = spec.get("inputSchema")
    schema = wrapped.get("json") if isinstance(wrapped, Mapping) else None
    return json.loads(schema) if isinstance(schema, str) else schema or {}


def anthropic_tool_use(body: Mapping[str, Any], script: ToolScript, raw: bytes) -> dict[str, Any]:
    """The same tool call as an Anthropic Messages ``tool_use`` content block."""
    choice = body.get("tool_choice") or {}
    named = choice.get("name") if isinstance(choice, Mapping) and choice.get("type") == "tool" else None
    if named and script.name is None:
        script = dataclasses.replace(script, name=named)
    call = tool_call(body, script, raw)
    return {"type": "tool_use", "id": "toolu_" + call["toolUseId"].removeprefix("tooluse_"), "name": call["name"],
            "input": call["input"]}


def tool_call(body: Mapping[str, Any], script: ToolScript, raw: bytes) -> dict[str, Any]:
    """The ``toolUse`` block answering ``body`` under ``script``."""
    specs = _tools(body)
    choice = (body.get("toolConfig") or {}).get("toolChoice") or {}
    named = choice.get("tool", {}).get("name") if isinstance(choice, Mapping) else None
    name = script.name or named or specs[0].get("name", "tool")
    spec = next((s for s in specs if s.get("name") == name), {})
    value = script.input if script.input is not None else smallest(_schema(spec))
    ident = "tooluse_" + hashlib.blake2s(raw + name.encode(), digest_size=9).hexdigest()
    return {"toolUseId": ident, "name": name, "input": value}


def json_schema(body: Mapping[str, Any]) -> Any:
    """The JSON schema ``outputConfig`` asks the answer to follow, else None."""
    fmt = (body.get("outputConfig") or {}).get("textFormat") or {}
    if not isinstance(fmt, Mapping) or fmt.get("type") != "json_schema":
        return None
    schema = (fmt.get("structure") or {}).get("jsonSchema", {}).get("schema")
    return json.loads(schema) if isinstance(schema, str) else schema or {}


def smallest(schema: Any, defs: Mapping[str, Any] | None = None) -> Any:
    """A small, deterministic document valid for common JSON schemas (required properties
    only, the first enum value or type, minimum lengths)."""
    if not isinstance(schema, Mapping):
        return {}
    defs = {**(defs or {}), **schema.get("$defs", {}), **schema.get("definitions", {})}
    if "$ref" in schema:
        return smallest(defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {}), defs)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return smallest(schema[key][0], defs)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: smallest(props.get(k, {}), defs) for k in schema.get("required", [])}
    if kind == "array":
        return [smallest(schema.get("items", {}), defs) for _ in range(int(schema.get("minItems", 0)))]
    if kind == "string":
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return int(low) + (1 if "exclusiveMinimum" in schema else 0) if kind == "integer" else float(low)
    if kind == "boolean":
        return False
    return None


def tool_stream_events(block: Mapping[str, Any]) -> list[bytes]:
    """The ConverseStream events of one toolUse block (index 0)."""
    start = {"toolUse": {"toolUseId": block["toolUseId"], "name": block["name"]}}
    return [
        es.event("contentBlockStart", {"start": start, "contentBlockIndex": 0}),
        es.event("contentBlockDelta", {"delta": {"toolUse": {"input": json.dumps(block["input"])}},
                                       "contentBlockIndex": 0}),
        es.event("contentBlockStop", {"contentBlockIndex": 0}),
    ]
