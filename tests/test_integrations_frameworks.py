"""Frameworks over the local Bedrock (real HTTP): LangChain, Strands, pydantic-ai, LlamaIndex.

Each test names an alias, fails the alias's primary with throttling and checks that the
framework's answer came from the fallback: only a lifecycle client in the path does that.
The capability hints are the recipes of docs/integrations.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest

import bedrock_lifecycle
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import framework_env

NOVA_LITE = "amazon.nova-lite-v1:0"
NOVA_MICRO = "amazon.nova-micro-v1:0"
HAIKU45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET46 = "anthropic.claude-sonnet-4-6"
CONFIG = {
    "aliases": {
        "chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]},
        "claude": {"targets": [HAIKU45], "fallbacks": [SONNET46]},
    }
}


@pytest.fixture
def env(bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalBedrock]:
    framework_env(bedrock, monkeypatch)
    yield bedrock


@pytest.fixture
def session(env: LocalBedrock) -> Iterator[boto3.Session]:
    s = boto3.Session(region_name="us-east-1")
    bedrock_lifecycle.install(s, config=CONFIG, environ={})
    yield s
    bedrock_lifecycle.uninstall(s)


def _ops(bedrock: LocalBedrock) -> list[tuple[str, str | None]]:
    return [(r.operation, r.model_id) for r in bedrock.requests]


# --- LangChain -----------------------------------------------------------------------------


def test_langchain_converse_streams_an_alias_with_the_base_model_hint(
    env: LocalBedrock, session: boto3.Session
) -> None:
    lc = pytest.importorskip("langchain_aws")
    client = session.client("bedrock-runtime")
    concrete = bedrock_lifecycle.concrete_model("chat", client)
    llm = lc.ChatBedrockConverse(
        client=client, model="chat", base_model_id=concrete,
        provider=bedrock_lifecycle.parse_model_id(concrete).provider, region_name="us-east-1",
    )
    assert llm.disable_streaming is False
    # without the hints LangChain turns streaming off for the alias
    assert lc.ChatBedrockConverse(client=client, model="chat", region_name="us-east-1").disable_streaming
    assert NOVA_LITE in str(llm.invoke("hello").content)

    env.fail(NOVA_LITE, "ThrottlingException", times=None)
    assert NOVA_MICRO in "".join(str(c.content) for c in llm.stream("stream please"))
    assert NOVA_MICRO in str(asyncio.run(llm.ainvoke("async please")).content)
    assert ("ConverseStream", NOVA_MICRO) in _ops(env)


def test_langchain_chat_bedrock_over_invoke_model(env: LocalBedrock, session: boto3.Session) -> None:
    lc = pytest.importorskip("langchain_aws")
    client = session.client("bedrock-runtime")
    llm = lc.ChatBedrock(
        client=client, model_id="claude", provider="anthropic",
        base_model_id=bedrock_lifecycle.concrete_model("claude", client), region_name="us-east-1",
    )
    assert HAIKU45 in str(llm.invoke("hello").content)
    env.fail(HAIKU45, "ThrottlingException", times=None)
    assert SONNET46 in "".join(str(c.content) for c in llm.stream("stream please"))
    assert SONNET46 in str(asyncio.run(llm.ainvoke("async please")).content)
    ops = _ops(env)
    assert ("InvokeModel", HAIKU45) in ops
    assert ("InvokeModelWithResponseStream", SONNET46) in ops


def test_langchain_chat_bedrock_tool_use_over_invoke_model(env: LocalBedrock, session: boto3.Session) -> None:
    """ChatBedrock sends Anthropic's Messages body over InvokeModel: a tool call comes back
    as a ``tool_use`` block from the fallback when the alias's first model throttles, and the
    turn carrying the tool's result is answered with text."""
    lc = pytest.importorskip("langchain_aws")
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import tool

    @tool
    def weather(city: str) -> str:
        """Weather in a city."""
        return "sunny"

    client = session.client("bedrock-runtime")
    llm = lc.ChatBedrock(
        client=client, model_id="claude", provider="anthropic",
        base_model_id=bedrock_lifecycle.concrete_model("claude", client), region_name="us-east-1",
    ).bind_tools([weather])
    env.fail(HAIKU45, "ThrottlingException", times=None)
    env.reply_tool_use(SONNET46, "weather", {"city": "Paris"})
    first = llm.invoke([HumanMessage("weather in Paris?")])
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [("weather", {"city": "Paris"})]
    answer = llm.invoke([HumanMessage("weather in Paris?"), first,
                         ToolMessage("sunny", tool_call_id=first.tool_calls[0]["id"])])
    assert not answer.tool_calls and SONNET46 in str(answer.content)
    ops = _ops(env)
    assert ("InvokeModel", SONNET46) in ops and ("InvokeModel", HAIKU45) in ops


# --- Strands Agents --------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False])
def test_strands_bedrock_model_through_install(
    env: LocalBedrock, session: boto3.Session, streaming: bool
) -> None:
    strands = pytest.importorskip("strands")
    from strands.models import BedrockModel

    model = BedrockModel(model_id="chat", boto_session=session, streaming=streaming)
    agent = strands.Agent(model=model, callback_handler=None)
    assert NOVA_LITE in str(agent("hello"))
    env.fail(NOVA_LITE, "ThrottlingException", times=None)
    assert NOVA_MICRO in str(asyncio.run(agent.invoke_async("async please")))
    op = "ConverseStream" if streaming else "Converse"
    assert _ops(env)[-1] == (op, NOVA_MICRO)


# --- pydantic-ai -----------------------------------------------------------------------------


def _pydantic_ai_model(client: Any) -> Any:
    from pydantic_ai.models.bedrock import BedrockConverseModel
    from pydantic_ai.providers.bedrock import BedrockProvider

    provider = BedrockProvider(bedrock_client=client)
    profile = provider.model_profile(bedrock_lifecycle.concrete_model("chat", client))
    return BedrockConverseModel("chat", provider=provider, profile=profile)


def test_pydantic_ai_runs_and_streams_an_alias(env: LocalBedrock, session: boto3.Session) -> None:
    pydantic_ai = pytest.importorskip("pydantic_ai")
    from pydantic_ai.providers.bedrock import BedrockProvider

    client = session.client("bedrock-runtime")
    model = _pydantic_ai_model(client)
    # the hint matters: "chat" alone gets no Bedrock profile (no tool choice, no prompt caching)
    assert BedrockProvider.model_profile("chat") is None
    assert model.profile["bedrock_supports_tool_choice"] is True
    assert model.profile["supports_cache"] is True
    agent = pydantic_ai.Agent(model)
    assert NOVA_LITE in agent.run_sync("hello").output

    env.fail(NOVA_LITE, "ThrottlingException", times=None)

    async def stream() -> str:
        async with agent.run_stream("stream please") as run:
            return await run.get_output()

    assert NOVA_MICRO in asyncio.run(stream())
    assert ("ConverseStream", NOVA_MICRO) in _ops(env)


# --- LlamaIndex ------------------------------------------------------------------------------


def test_llamaindex_converse_through_a_botocore_session(env: LocalBedrock) -> None:
    li = pytest.importorskip("llama_index.llms.bedrock_converse")
    bs = botocore.session.get_session()
    bedrock_lifecycle.install(bs, config=CONFIG, environ={})
    try:
        with pytest.raises(ValueError, match="Unknown model: chat"):  # without the hint
            _ = li.BedrockConverse(model="chat", botocore_session=bs, region_name="us-east-1").metadata
        probe = bs.create_client("bedrock-runtime", region_name="us-east-1")  # a lifecycle client
        llm = li.BedrockConverse(
            model=bedrock_lifecycle.concrete_model("chat", probe),  # capabilities: the concrete model
            application_inference_profile_arn="chat",  # what is sent: the alias
            botocore_session=bs, region_name="us-east-1",
            max_retries=2,  # LlamaIndex's default 10 makes botocore back off ~2 minutes before a fallback
        )
        assert llm.metadata.context_window > 0
        assert NOVA_LITE in llm.complete("hello").text
        env.fail(NOVA_LITE, "ThrottlingException", times=None)
        assert NOVA_MICRO in "".join(r.delta or "" for r in llm.stream_complete("stream please"))
        assert NOVA_MICRO in asyncio.run(llm.acomplete("async please")).text
    finally:
        bedrock_lifecycle.uninstall(bs)
    ops = _ops(env)
    assert ("ConverseStream", NOVA_MICRO) in ops
    assert all(model != "chat" for _, model in ops)  # the alias never reached the wire
