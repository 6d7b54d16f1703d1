"""install()/uninstall(): every bedrock-runtime client a session creates is a lifecycle client."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest

import bedrock_lifecycle
from bedrock_lifecycle.api import runtime_of
from bedrock_lifecycle.installer import is_installed
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import framework_env

NOVA_LITE = "amazon.nova-lite-v1:0"
NOVA_MICRO = "amazon.nova-micro-v1:0"
CONFIG = {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}}}
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.fixture
def env(bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalBedrock]:
    framework_env(bedrock, monkeypatch)
    yield bedrock


def _is_lifecycle(client: Any) -> bool:
    try:
        runtime_of(client)
    except TypeError:
        return False
    return True


def _installed_bases(client: Any) -> int:
    return sum(1 for cls in type(client).__mro__ if cls.__name__ == "BedrockLifecycleInstalled")


def test_a_boto3_session_makes_lifecycle_clients_that_route_and_fall_back(env: LocalBedrock) -> None:
    session = boto3.Session(region_name="us-east-1")
    assert bedrock_lifecycle.install(session, config=CONFIG, environ={}) is session
    client = session.client("bedrock-runtime")
    assert _is_lifecycle(client)

    first = client.converse(modelId="chat", messages=MESSAGES)
    assert first["ResponseMetadata"]["BedrockLifecycle"]["model_id"] == NOVA_LITE

    env.fail(NOVA_LITE, "ThrottlingException", times=None)
    second = client.converse(modelId="chat", messages=MESSAGES)
    assert second["ResponseMetadata"]["BedrockLifecycle"]["model_id"] == NOVA_MICRO
    assert [(r.operation, r.model_id) for r in env.requests][-1] == ("Converse", NOVA_MICRO)


def test_the_installed_client_is_what_wrap_makes(env: LocalBedrock) -> None:
    session = boto3.Session(region_name="us-east-1")
    wrapped = bedrock_lifecycle.wrap(session.client("bedrock-runtime"), config=CONFIG, environ={})
    bedrock_lifecycle.install(session, config=CONFIG, environ={})
    installed = session.client("bedrock-runtime")
    # the same runtime type over the same configuration, and the same lifecycle class shape
    assert type(runtime_of(installed)) is type(runtime_of(wrapped))
    assert runtime_of(installed).version.config == runtime_of(wrapped).version.config
    assert type(installed).__name__ == type(wrapped).__name__
    assert isinstance(installed, type(wrapped).__mro__[1])  # the lifecycle mixin

    def meta(client: Any) -> dict[str, Any]:
        out: dict[str, Any] = client.converse(modelId="chat", messages=MESSAGES)
        lifecycle = dict(out["ResponseMetadata"]["BedrockLifecycle"])
        lifecycle["attempts"] = [(a["model"], a["outcome"]) for a in lifecycle["attempts"]]
        return lifecycle

    assert meta(installed) == meta(wrapped)


def test_other_services_are_left_alone(env: LocalBedrock) -> None:
    session = boto3.Session(region_name="us-east-1")
    bedrock_lifecycle.install(session, config=CONFIG, environ={})
    control = session.client("bedrock")
    assert not _is_lifecycle(control)
    assert _installed_bases(control) == 0


def test_install_is_idempotent_and_the_last_options_win(env: LocalBedrock) -> None:
    session = boto3.Session(region_name="us-east-1")
    bedrock_lifecycle.install(session, config={"aliases": {"chat": {"targets": [NOVA_MICRO]}}}, environ={})
    bedrock_lifecycle.install(session, config=CONFIG, environ={})
    bedrock_lifecycle.install(session, config=CONFIG, environ={})
    client = session.client("bedrock-runtime")
    assert _installed_bases(client) == 1
    assert client.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"][
        "BedrockLifecycle"
    ]["model_id"] == NOVA_LITE
    assert env.calls() == 1  # one runtime: the call was not routed twice


def test_uninstall_restores_plain_clients_and_keeps_earlier_ones(env: LocalBedrock) -> None:
    session = boto3.Session(region_name="us-east-1")
    bedrock_lifecycle.install(session, config=CONFIG, environ={})
    before = session.client("bedrock-runtime")
    assert is_installed(session)

    assert bedrock_lifecycle.uninstall(session) is True
    assert bedrock_lifecycle.uninstall(session) is False
    assert not is_installed(session)
    after = session.client("bedrock-runtime")
    assert not _is_lifecycle(after)
    assert _installed_bases(after) == 0
    assert _is_lifecycle(before)
    assert before.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"][
        "BedrockLifecycle"
    ]["model_id"] == NOVA_LITE


def test_sessions_are_independent(env: LocalBedrock) -> None:
    one, two = boto3.Session(region_name="us-east-1"), boto3.Session(region_name="us-east-1")
    bedrock_lifecycle.install(one, config=CONFIG, environ={})
    assert _is_lifecycle(one.client("bedrock-runtime"))
    assert not _is_lifecycle(two.client("bedrock-runtime"))


def test_a_botocore_session(env: LocalBedrock) -> None:
    session = botocore.session.get_session()
    bedrock_lifecycle.install(session, config=CONFIG, environ={})
    client = session.create_client("bedrock-runtime", region_name="us-east-1")
    out = client.converse(modelId="chat", messages=MESSAGES)
    assert out["ResponseMetadata"]["BedrockLifecycle"]["model_id"] == NOVA_LITE
    bedrock_lifecycle.uninstall(session)
    assert not _is_lifecycle(session.create_client("bedrock-runtime", region_name="us-east-1"))


def test_the_default_session_is_what_boto3_client_uses(
    env: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    assert bedrock_lifecycle.uninstall() is False  # nothing to undo, and no session made for it
    assert boto3.DEFAULT_SESSION is None
    bedrock_lifecycle.install(config=CONFIG, environ={})
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    assert client.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"][
        "BedrockLifecycle"
    ]["model_id"] == NOVA_LITE
    assert is_installed()
    assert bedrock_lifecycle.uninstall() is True
    assert not _is_lifecycle(boto3.client("bedrock-runtime", region_name="us-east-1"))


def test_a_bad_configuration_fails_the_client_creation_with_a_clear_error(env: LocalBedrock) -> None:
    session = boto3.Session(region_name="us-east-1")
    bedrock_lifecycle.install(session, config={"aliases": {"chat": {"targets": []}}}, environ={})
    with pytest.raises(bedrock_lifecycle.ConfigError, match="chat"):
        session.client("bedrock-runtime")


def test_anything_else_is_refused_naming_what_it_takes() -> None:
    with pytest.raises(TypeError, match="boto3 Session or a botocore/aiobotocore Session, got int"):
        bedrock_lifecycle.install(42)


_AIO = importlib.util.find_spec("aiobotocore") is not None


@pytest.mark.skipif(not _AIO, reason="aiobotocore is not installed (the [async] extra)")
def test_an_aiobotocore_session(env: LocalBedrock) -> None:
    from aiobotocore.session import AioSession

    async def main() -> dict[str, Any]:
        session = AioSession()
        bedrock_lifecycle.install(session, config=CONFIG, environ={})
        env.fail(NOVA_LITE, "ThrottlingException", times=None)
        async with session.create_client("bedrock-runtime", region_name="us-east-1") as client:
            out: dict[str, Any] = await client.converse(modelId="chat", messages=MESSAGES)
            return out

    out = asyncio.run(main())
    assert out["ResponseMetadata"]["BedrockLifecycle"]["model_id"] == NOVA_MICRO


def test_client_on_an_installed_session_is_wrapped_once_with_its_own_options(env: LocalBedrock) -> None:
    session = boto3.Session(region_name="us-east-1")
    bedrock_lifecycle.install(session, config={"aliases": {"chat": {"targets": [NOVA_MICRO]}}}, environ={})
    client = bedrock_lifecycle.client(session=session, config=CONFIG, environ={})
    out = client.converse(modelId="chat", messages=MESSAGES)
    assert out["ResponseMetadata"]["BedrockLifecycle"]["model_id"] == NOVA_LITE  # client()'s config wins
    assert env.calls() == 1


@pytest.mark.skipif(not _AIO, reason="aiobotocore is not installed (the [async] extra)")
def test_an_aiobotocore_session_streams_and_a_second_install_replaces_the_first(env: LocalBedrock) -> None:
    from aiobotocore.session import AioSession

    async def main() -> tuple[str, list[str]]:
        session = AioSession()
        bedrock_lifecycle.install(session, config={"aliases": {"chat": {"targets": [NOVA_MICRO]}}}, environ={})
        bedrock_lifecycle.install(session, config=CONFIG, environ={})
        env.fail(NOVA_LITE, "ThrottlingException", times=None)
        async with session.create_client("bedrock-runtime", region_name="us-east-1") as client:
            assert _installed_bases(client) == 1
            out = await client.converse_stream(modelId="chat", messages=MESSAGES)
            texts = [e["contentBlockDelta"]["delta"]["text"] async for e in out["stream"]
                     if "contentBlockDelta" in e]
            served = out["ResponseMetadata"]["BedrockLifecycle"]["model_id"]
        assert bedrock_lifecycle.uninstall(session) is True
        async with session.create_client("bedrock-runtime", region_name="us-east-1") as plain:
            assert not _is_lifecycle(plain)
        return served, texts

    served, texts = asyncio.run(main())
    assert served == NOVA_MICRO and NOVA_MICRO in "".join(texts)
