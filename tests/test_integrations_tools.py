"""Tool use and structured output through lifecycle clients, over HTTP to the local Bedrock:
the raw Converse API, then Strands, LangChain, pydantic-ai and LlamaIndex agents."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import jsonschema
import pytest
from pydantic import BaseModel

import bedrock_lifecycle
from bedrock_lifecycle.testing import LocalBedrock
from bedrock_lifecycle.testing.tools import smallest
from tests.helpers import framework_env

LITE, MICRO = "amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0"
CONFIG = {"aliases": {"chat": {"targets": [LITE], "fallbacks": [MICRO]}}}
WEATHER = {"toolSpec": {"name": "weather", "description": "Weather in a city.", "inputSchema": {"json": {
    "type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city", "days"]}}}}
ASK = [{"role": "user", "content": [{"text": "weather in Paris?"}]}]


class City(BaseModel):
    """The structured output the frameworks' tests ask for."""

    name: str
    population: int


@pytest.fixture
def session(bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    framework_env(bedrock, monkeypatch)
    s = boto3.Session(region_name="us-east-1")
    bedrock_lifecycle.install(s, config=CONFIG, environ={})
    yield s
    bedrock_lifecycle.uninstall(s)


def test_a_tool_use_turn_then_text_after_the_result(bedrock: LocalBedrock, session: boto3.Session) -> None:
    client = session.client("bedrock-runtime")
    bedrock.reply_tool_use(LITE)
    out = client.converse(modelId="chat", messages=ASK, toolConfig={"tools": [WEATHER]})
    assert out["stopReason"] == "tool_use"
    [block] = out["output"]["message"]["content"]
    use = block["toolUse"]
    assert (use["name"], use["input"]) == ("weather", {"city": "x", "days": 1})  # smallest valid input
    follow = [*ASK, out["output"]["message"], {"role": "user", "content": [{"toolResult": {
        "toolUseId": use["toolUseId"], "content": [{"text": "sunny"}]}}]}]
    final = client.converse(modelId="chat", messages=follow, toolConfig={"tools": [WEATHER]})
    assert final["stopReason"] == "end_turn" and "text" in final["output"]["message"]["content"][0]
    # the script was used once; a further question gets text
    again = client.converse(modelId="chat", messages=ASK, toolConfig={"tools": [WEATHER]})
    assert again["stopReason"] == "end_turn"


def test_scripted_input_and_tool_choice_and_the_stream_form(bedrock: LocalBedrock, session: boto3.Session) -> None:
    client = session.client("bedrock-runtime")
    other = {"toolSpec": {"name": "other", "inputSchema": {"json": {"type": "object"}}}}
    bedrock.reply_tool_use(LITE, times=2)
    out = client.converse(modelId="chat", messages=ASK,
                          toolConfig={"tools": [other, WEATHER], "toolChoice": {"tool": {"name": "weather"}}})
    assert out["output"]["message"]["content"][0]["toolUse"]["name"] == "weather"
    bedrock.fail(LITE, "ThrottlingException", times=None)
    bedrock.reply_tool_use(MICRO, "weather", {"city": "Paris", "days": 3})
    stream = client.converse_stream(modelId="chat", messages=ASK, toolConfig={"tools": [WEATHER]})["stream"]
    events = list(stream)
    start = next(e["contentBlockStart"]["start"]["toolUse"] for e in events if "contentBlockStart" in e)
    delta = "".join(e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e)
    assert start["name"] == "weather" and json.loads(delta) == {"city": "Paris", "days": 3}
    assert next(e["messageStop"]["stopReason"] for e in events if "messageStop" in e) == "tool_use"
    assert bedrock.requests[-1].model_id == MICRO  # fell back, and the fallback's script answered


def test_structured_output_follows_the_schema_or_the_script(bedrock: LocalBedrock, session: boto3.Session) -> None:
    client = session.client("bedrock-runtime")
    schema = {"type": "object", "properties": {"name": {"type": "string"},
                                               "size": {"enum": ["S", "M"]}}, "required": ["name", "size"]}
    output_config = {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
        "schema": json.dumps(schema), "name": "city"}}}}
    out = client.converse(modelId="chat", messages=ASK, outputConfig=output_config)
    value = json.loads(out["output"]["message"]["content"][0]["text"])
    jsonschema.validate(value, schema)
    bedrock.reply(LITE, json.dumps({"name": "Paris", "size": "M"}))
    out = client.converse(modelId="chat", messages=ASK, outputConfig=output_config)
    assert json.loads(out["output"]["message"]["content"][0]["text"]) == {"name": "Paris", "size": "M"}


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"type": "string", "minLength": 3}}, "required": ["a"]},
    {"type": "array", "items": {"type": "integer", "exclusiveMinimum": 4}, "minItems": 2},
    {"$defs": {"P": {"type": "object", "properties": {"n": {"type": ["null", "number"]}}, "required": ["n"]}},
     "type": "object", "properties": {"p": {"$ref": "#/$defs/P"}}, "required": ["p"]},
    {"anyOf": [{"type": "boolean"}, {"type": "string"}]},
    {"type": "object", "properties": {"k": {"const": 7}, "e": {"enum": ["b", "a"]}}, "required": ["k", "e"]},
])
def test_the_smallest_document_is_valid(schema: dict[str, Any]) -> None:
    jsonschema.validate(smallest(schema), schema)


# --- frameworks --------------------------------------------------------------------------------


def test_strands_agent_runs_a_tool_through_an_installed_session(bedrock: LocalBedrock, session: boto3.Session) -> None:
    strands = pytest.importorskip("strands")
    from strands.models import BedrockModel

    seen: list[str] = []

    @strands.tool
    def weather(city: str) -> str:
        """Weather in a city."""
        seen.append(city)
        return "sunny"

    bedrock.fail(LITE, "ThrottlingException", times=None)
    bedrock.reply_tool_use(MICRO, "weather", {"city": "Paris"})
    agent = strands.Agent(model=BedrockModel(model_id="chat", boto_session=session), tools=[weather],
                          callback_handler=None)
    assert MICRO in str(agent("weather in Paris?"))
    assert seen == ["Paris"]
    assert [r.model_id for r in bedrock.requests if r.error_code is None] == [MICRO, MICRO]


def test_langchain_tools_and_structured_output(bedrock: LocalBedrock, session: boto3.Session) -> None:
    lc = pytest.importorskip("langchain_aws")
    client = session.client("bedrock-runtime")
    llm = lc.ChatBedrockConverse(client=client, model="chat", base_model_id=LITE, provider="amazon",
                                 region_name="us-east-1")
    bedrock.reply_tool_use(LITE, "weather", {"city": "Paris", "days": 2})
    calls = llm.bind_tools([WEATHER["toolSpec"] | {"input_schema": WEATHER["toolSpec"]["inputSchema"]["json"]}
                            ]).invoke("weather?").tool_calls
    assert [(c["name"], c["args"]) for c in calls] == [("weather", {"city": "Paris", "days": 2})]
    bedrock.reply_tool_use(LITE, tool_input={"name": "Paris", "population": 2100000})
    assert llm.with_structured_output(City).invoke("a city") == City(name="Paris", population=2100000)


def test_pydantic_ai_structured_output_and_a_tool(bedrock: LocalBedrock, session: boto3.Session) -> None:
    pydantic_ai = pytest.importorskip("pydantic_ai")
    from pydantic_ai.models.bedrock import BedrockConverseModel
    from pydantic_ai.providers.bedrock import BedrockProvider

    client = session.client("bedrock-runtime")
    provider = BedrockProvider(bedrock_client=client)
    model = BedrockConverseModel("chat", provider=provider,
                                 profile=provider.model_profile(bedrock_lifecycle.concrete_model("chat", client)))
    bedrock.reply_tool_use(LITE, tool_input={"name": "Paris", "population": 2100000})
    assert pydantic_ai.Agent(model, output_type=City).run_sync("a city").output == City(name="Paris",
                                                                                         population=2100000)
    agent = pydantic_ai.Agent(model)
    seen: list[str] = []

    @agent.tool_plain
    def weather(city: str) -> str:
        seen.append(city)
        return "rain"

    bedrock.reply_tool_use(LITE, "weather", {"city": "Oslo"})
    assert LITE in agent.run_sync("weather?").output
    assert seen == ["Oslo"]


def test_llamaindex_predict_and_call(bedrock: LocalBedrock, session: boto3.Session) -> None:
    li = pytest.importorskip("llama_index.llms.bedrock_converse")
    from llama_index.core.tools import FunctionTool

    def weather(city: str) -> str:
        """Weather in a city."""
        return f"snow in {city}"

    llm = li.BedrockConverse(model=LITE, application_inference_profile_arn="chat",
                             client=session.client("bedrock-runtime"), region_name="us-east-1")
    bedrock.reply_tool_use(LITE, "weather", {"city": "Bergen"})
    out = llm.predict_and_call([FunctionTool.from_defaults(fn=weather)], user_msg="weather?")
    assert str(out) == "snow in Bergen"
