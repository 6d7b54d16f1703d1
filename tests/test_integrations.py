"""Libraries that take a bedrock-runtime client take ours unchanged (LangChain here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import bedrock_lifecycle
from bedrock_lifecycle.testing import LocalBedrock

langchain_aws = pytest.importorskip("langchain_aws")

NOVA_LITE = "amazon.nova-lite-v1:0"
NOVA_MICRO = "amazon.nova-micro-v1:0"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[object, LocalBedrock]]:
    with LocalBedrock() as bedrock:
        for k, v in bedrock.env().items():
            monkeypatch.setenv(k, v)
        c = bedrock_lifecycle.client(
            region_name="us-east-1",
            config={"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}}},
            environ={},
        )
        yield c, bedrock


def test_langchain_converse_with_an_alias_and_fallback(client: tuple[object, LocalBedrock]) -> None:
    c, bedrock = client
    # provider= and disable_streaming=False because LangChain infers both from the model
    # name, and an alias names no provider.
    llm = langchain_aws.ChatBedrockConverse(
        client=c, model="chat", provider="amazon", region_name="us-east-1", disable_streaming=False
    )
    first = llm.invoke("hello")
    assert NOVA_LITE in first.content
    assert first.response_metadata["ResponseMetadata"]["BedrockLifecycle"]["model_id"] == NOVA_LITE

    bedrock.fail(NOVA_LITE, "ThrottlingException", times=None)
    second = llm.invoke("hello again")
    assert NOVA_MICRO in second.content

    chunks = [ch.content for ch in llm.stream("stream please")]
    assert "".join(str(c) for c in chunks)
    assert {(q.operation, q.model_id) for q in bedrock.requests} >= {
        ("Converse", NOVA_LITE), ("Converse", NOVA_MICRO), ("ConverseStream", NOVA_MICRO)}
