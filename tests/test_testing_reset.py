"""LocalBedrock.reset_connection: the request is read, then the TCP connection is reset
without an answer; botocore raises a connection error and the client recovers."""

from __future__ import annotations

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ConnectionClosedError

from bedrock_lifecycle.api import wrap
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import MESSAGES, NOVA_LITE, NOVA_MICRO, StaticRegistry

ONE_TRY = BotoConfig(retries={"total_max_attempts": 1})


def test_reset_is_a_connection_error_recorded_with_status_0(local_bedrock: LocalBedrock) -> None:
    c = local_bedrock.runtime_client(config=ONE_TRY)
    local_bedrock.reset_connection(NOVA_LITE, times=2, operations="Converse")
    for _ in range(2):
        with pytest.raises(ConnectionClosedError):
            c.converse(modelId=NOVA_LITE, messages=MESSAGES)
    assert c.converse(modelId=NOVA_LITE, messages=MESSAGES)["stopReason"] == "end_turn"  # pool recovers
    assert [(r.status, r.error_code) for r in local_bedrock.requests] == [
        (0, "ConnectionReset"), (0, "ConnectionReset"), (200, None)]


def test_reset_and_fail_share_one_queue_in_scripted_order(local_bedrock: LocalBedrock) -> None:
    c = local_bedrock.runtime_client(config=ONE_TRY)
    local_bedrock.fail("*", "ThrottlingException")
    local_bedrock.reset_connection("*")
    with pytest.raises(c.exceptions.ThrottlingException):
        c.converse(modelId=NOVA_LITE, messages=MESSAGES)
    with pytest.raises(ConnectionClosedError):
        c.converse(modelId=NOVA_MICRO, messages=MESSAGES)


def test_the_lifecycle_client_falls_back_after_a_reset(local_bedrock: LocalBedrock) -> None:
    cfg = {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}},
           "routing": {"max_attempts_per_target": 1}}
    c = wrap(local_bedrock.runtime_client(config=ONE_TRY), config=cfg, registry=StaticRegistry(), environ={})
    local_bedrock.reset_connection(NOVA_LITE)
    meta = c.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"]["BedrockLifecycle"]
    assert [(a["model"], a["outcome"], a["error_code"]) for a in meta["attempts"]] == [
        (NOVA_LITE, "error", "ConnectionError"), (NOVA_MICRO, "ok", None)]
