"""LocalBedrock through the real boto3 client over HTTP: shapes, errors, streams, control plane."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import EventStreamError, ReadTimeoutError

from bedrock_lifecycle.testing import (
    EOL_MESSAGE,
    INVALID_MODEL_MESSAGE,
    LocalBedrock,
    RecordedRequest,
    legacy_message,
)

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN = "amazon.titan-text-express-v1"
SONNET4 = "anthropic.claude-sonnet-4-20250514-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello, how are you today?"}]}]
ONE_ATTEMPT = Config(retries={"total_max_attempts": 1})
UTC = dt.timezone.utc


@pytest.fixture
def runtime(local_bedrock: LocalBedrock) -> Any:
    return local_bedrock.runtime_client(config=ONE_ATTEMPT)


@pytest.fixture
def control(local_bedrock: LocalBedrock) -> Any:
    return local_bedrock.control_client(config=ONE_ATTEMPT)


def _anthropic_body(text: str = "hi") -> str:
    return json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": text}],
        }
    )


# --- every runtime operation succeeds with the real shapes ---------------------------------


def test_converse_shape_and_deterministic_default_text(runtime: Any) -> None:
    first = runtime.converse(modelId=HAIKU, messages=MESSAGES)
    content = first["output"]["message"]["content"]
    assert first["output"]["message"]["role"] == "assistant"
    assert content[0]["text"].startswith(f"[{HAIKU}] ")
    assert first["stopReason"] == "end_turn"
    usage = first["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] > 0
    assert isinstance(first["metrics"]["latencyMs"], int)
    again = runtime.converse(modelId=HAIKU, messages=MESSAGES)
    assert again["output"] == first["output"]
    other = runtime.converse(modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "x"}]}])
    assert other["output"] != first["output"]


def test_reply_scripts_text_tokens_and_wildcard(local_bedrock: LocalBedrock, runtime: Any) -> None:
    local_bedrock.reply("*", "from every model")
    local_bedrock.reply(
        HAIKU, "scripted", stop_reason="max_tokens", input_tokens=7, output_tokens=3
    )
    r = runtime.converse(modelId=HAIKU, messages=MESSAGES)
    assert r["output"]["message"]["content"][0]["text"] == "scripted"
    assert r["stopReason"] == "max_tokens"
    assert r["usage"] == {"inputTokens": 7, "outputTokens": 3, "totalTokens": 10}
    other = runtime.converse(modelId=TITAN, messages=MESSAGES)
    assert other["output"]["message"]["content"][0]["text"] == "from every model"


def test_reply_text_may_be_a_function_of_the_request(
    local_bedrock: LocalBedrock, runtime: Any
) -> None:
    seen: list[RecordedRequest] = []

    def echo(request: RecordedRequest) -> str:
        seen.append(request)
        assert isinstance(request.body, dict)
        return "echo: " + request.body["messages"][0]["content"][0]["text"]

    local_bedrock.reply(HAIKU, echo)
    r = runtime.converse(modelId=HAIKU, messages=MESSAGES)
    assert r["output"]["message"]["content"][0]["text"] == "echo: Hello, how are you today?"
    assert seen[0].operation == "Converse" and seen[0].model_id == HAIKU


def test_reply_latency_is_slept_and_reported(local_bedrock: LocalBedrock, runtime: Any) -> None:
    local_bedrock.reply(HAIKU, "slow", latency=0.15)
    t0 = time.perf_counter()
    r = runtime.converse(modelId=HAIKU, messages=MESSAGES)
    assert time.perf_counter() - t0 >= 0.15
    assert r["metrics"]["latencyMs"] == 150


def test_converse_stream_events_to_the_end(runtime: Any) -> None:
    events = list(runtime.converse_stream(modelId=HAIKU, messages=MESSAGES)["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart" and events[0]["messageStart"] == {"role": "assistant"}
    deltas = [e["contentBlockDelta"] for e in events if "contentBlockDelta" in e]
    assert len(deltas) >= 2
    assert kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert kinds[1 : 1 + len(deltas)] == ["contentBlockDelta"] * len(deltas)
    text = "".join(d["delta"]["text"] for d in deltas)
    assert (
        text
        == runtime.converse(modelId=HAIKU, messages=MESSAGES)["output"]["message"]["content"][0][
            "text"
        ]
    )
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    usage = events[-1]["metadata"]["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert "latencyMs" in events[-1]["metadata"]["metrics"]


def test_invoke_model_anthropic_body_and_token_headers(
    local_bedrock: LocalBedrock, runtime: Any
) -> None:
    local_bedrock.reply(HAIKU, "the answer", input_tokens=11, output_tokens=2)
    r = runtime.invoke_model(modelId=HAIKU, body=_anthropic_body())
    body = json.loads(r["body"].read())
    assert r["contentType"] == "application/json"
    assert body["type"] == "message" and body["role"] == "assistant"
    assert body["content"] == [{"type": "text", "text": "the answer"}]
    assert body["stop_reason"] == "end_turn"
    assert body["usage"] == {"input_tokens": 11, "output_tokens": 2}
    headers = r["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == "11"
    assert headers["x-amzn-bedrock-output-token-count"] == "2"


def test_invoke_model_generic_body(runtime: Any) -> None:
    r = runtime.invoke_model(modelId=TITAN, body=json.dumps({"inputText": "hello"}))
    body = json.loads(r["body"].read())
    assert body["model"] == TITAN and body["outputText"].startswith(f"[{TITAN}] ")


def test_invoke_model_records_non_json_bodies_as_bytes(
    local_bedrock: LocalBedrock, runtime: Any
) -> None:
    runtime.invoke_model(modelId=TITAN, body=b"\x00raw", contentType="application/octet-stream")
    assert local_bedrock.requests[-1].body == b"\x00raw"


def test_invoke_model_with_response_stream_anthropic_chunks(
    local_bedrock: LocalBedrock, runtime: Any
) -> None:
    local_bedrock.reply(HAIKU, "one two three four five")
    r = runtime.invoke_model_with_response_stream(modelId=HAIKU, body=_anthropic_body())
    parts = [json.loads(e["chunk"]["bytes"]) for e in r["body"]]
    types = [p["type"] for p in parts]
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    text = "".join(p["delta"]["text"] for p in parts if p["type"] == "content_block_delta")
    assert text == "one two three four five"
    assert parts[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] > 0


def test_invoke_model_with_response_stream_generic_chunks(
    local_bedrock: LocalBedrock, runtime: Any
) -> None:
    local_bedrock.reply(TITAN, "alpha beta gamma delta")
    r = runtime.invoke_model_with_response_stream(
        modelId=TITAN, body=json.dumps({"inputText": "x"})
    )
    parts = [json.loads(e["chunk"]["bytes"]) for e in r["body"]]
    assert len(parts) >= 2
    assert "".join(p["outputText"] for p in parts) == "alpha beta gamma delta"
    assert parts[-1]["stopReason"] == "end_turn"


def test_count_tokens_agrees_with_converse(runtime: Any) -> None:
    counted = runtime.count_tokens(modelId=HAIKU, input={"converse": {"messages": MESSAGES}})
    used = runtime.converse(modelId=HAIKU, messages=MESSAGES)["usage"]["inputTokens"]
    assert counted["inputTokens"] == used
    body = _anthropic_body()
    via_invoke = runtime.count_tokens(modelId=HAIKU, input={"invokeModel": {"body": body}})
    invoked = runtime.invoke_model(modelId=HAIKU, body=body)
    assert via_invoke["inputTokens"] == json.loads(invoked["body"].read())["usage"]["input_tokens"]


def test_async_invoke_start_get_list(local_bedrock: LocalBedrock, runtime: Any) -> None:
    output = {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out/"}}
    started = runtime.start_async_invoke(
        modelId="amazon.nova-reel-v1:1",
        modelInput={"taskType": "TEXT_VIDEO"},
        outputDataConfig=output,
    )
    arn = started["invocationArn"]
    assert arn.startswith("arn:aws:bedrock:us-east-1:123456789012:async-invoke/")
    assert local_bedrock.requests[-1].model_id == "amazon.nova-reel-v1:1"
    job = runtime.get_async_invoke(invocationArn=arn)
    assert job["status"] == "Completed" and job["outputDataConfig"] == output
    assert job["modelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:1"
    assert isinstance(job["submitTime"], dt.datetime)
    local_bedrock.set_async_status(arn, "Failed", "boom")
    job = runtime.get_async_invoke(invocationArn=arn)
    assert (job["status"], job["failureMessage"]) == ("Failed", "boom")
    local_bedrock.set_async_status(None, "InProgress")
    second = runtime.start_async_invoke(
        modelId="amazon.nova-reel-v1:1",
        modelInput={},
        outputDataConfig=output,
        clientRequestToken="t" * 32,
    )
    same = runtime.start_async_invoke(
        modelId="amazon.nova-reel-v1:1",
        modelInput={},
        outputDataConfig=output,
        clientRequestToken="t" * 32,
    )
    assert second["invocationArn"] == same["invocationArn"]  # idempotency token
    listed = runtime.list_async_invokes()["asyncInvokeSummaries"]
    assert [j["invocationArn"] for j in listed] == [second["invocationArn"], arn]  # newest first
    in_progress = runtime.list_async_invokes(statusEquals="InProgress")["asyncInvokeSummaries"]
    assert [j["invocationArn"] for j in in_progress] == [second["invocationArn"]]
    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.get_async_invoke(invocationArn=arn + "x")


def test_apply_guardrail(runtime: Any) -> None:
    r = runtime.apply_guardrail(
        guardrailIdentifier="gr-1",
        guardrailVersion="DRAFT",
        source="INPUT",
        content=[{"text": {"text": "x"}}],
    )
    assert r["action"] == "NONE" and r["outputs"] == [] and r["usage"]["topicPolicyUnits"] == 0


# --- errors --------------------------------------------------------------------------------

ERRORS = [
    ("AccessDeniedException", 403),
    ("ResourceNotFoundException", 404),
    ("ThrottlingException", 429),
    ("ModelNotReadyException", 429),
    ("ModelTimeoutException", 408),
    ("InternalServerException", 500),
    ("ServiceUnavailableException", 503),
    ("ValidationException", 400),
    ("ServiceQuotaExceededException", 400),
    ("ModelErrorException", 424),
]


@pytest.mark.parametrize(("code", "status"), ERRORS)
def test_every_modelled_error_surfaces_as_its_class(
    local_bedrock: LocalBedrock, runtime: Any, code: str, status: int
) -> None:
    local_bedrock.fail(HAIKU, code, times=1, message=f"scripted {code}")
    with pytest.raises(getattr(runtime.exceptions, code)) as info:
        runtime.invoke_model(modelId=HAIKU, body=_anthropic_body())
    err = info.value.response
    assert err["Error"]["Code"] == code
    assert err["Error"]["Message"] == f"scripted {code}"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status
    assert local_bedrock.requests[-1].status == status
    assert local_bedrock.requests[-1].error_code == code
    runtime.invoke_model(modelId=HAIKU, body=_anthropic_body())  # times=1: next call succeeds


def test_default_messages_are_realistic(local_bedrock: LocalBedrock, runtime: Any) -> None:
    local_bedrock.fail(HAIKU, "Throttling")  # suffix optional
    with pytest.raises(runtime.exceptions.ThrottlingException, match="Too many requests"):
        runtime.converse(modelId=HAIKU, messages=MESSAGES)


def test_retry_after_headers(local_bedrock: LocalBedrock, runtime: Any) -> None:
    local_bedrock.fail(HAIKU, "ThrottlingException", retry_after=2.5)
    with pytest.raises(runtime.exceptions.ThrottlingException) as info:
        runtime.converse(modelId=HAIKU, messages=MESSAGES)
    headers = info.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["retry-after"] == "3"
    assert headers["x-amz-retry-after"] == "2500"
    assert headers["x-amzn-errortype"].startswith("ThrottlingException:")


@pytest.mark.parametrize("operation", ["converse", "invoke", "converse_stream", "invoke_stream"])
def test_eol_message_verbatim_on_every_model_operation(
    local_bedrock: LocalBedrock, runtime: Any, operation: str
) -> None:
    local_bedrock.eol(HAIKU)
    with pytest.raises(runtime.exceptions.ResourceNotFoundException) as info:
        _call(runtime, operation, HAIKU)
    assert info.value.response["Error"]["Message"] == (
        "This model version has reached the end of its life. "
        "Please refer to the AWS documentation for more details."
    )
    assert info.value.response["Error"]["Message"] == EOL_MESSAGE


@pytest.mark.parametrize("days", [15, 30])
def test_legacy_inactive_message_verbatim(
    local_bedrock: LocalBedrock, runtime: Any, days: int
) -> None:
    profile = "us.anthropic.claude-3-5-sonnet-20241022-v2:0"
    local_bedrock.legacy_inactive(profile, days=days)
    for _ in range(2):  # always, not once
        with pytest.raises(runtime.exceptions.ResourceNotFoundException) as info:
            runtime.converse(modelId=profile, messages=MESSAGES)
        assert info.value.response["Error"]["Message"] == (
            "Access denied. This Model is marked by provider as Legacy and you have not been "
            f"actively using the model in the last {days} days. Please upgrade to an active model "
            "on Amazon Bedrock"
        )
    assert legacy_message(days) == info.value.response["Error"]["Message"]


def test_unparseable_model_id_is_a_validation_error(
    local_bedrock: LocalBedrock, runtime: Any
) -> None:
    with pytest.raises(runtime.exceptions.ValidationException, match=INVALID_MODEL_MESSAGE):
        runtime.converse(modelId="chat", messages=MESSAGES)
    assert local_bedrock.requests[-1].model_id == "chat"
    local_bedrock.reply("chat", "a scripted ID is always accepted")
    r = runtime.converse(modelId="chat", messages=MESSAGES)
    assert r["output"]["message"]["content"][0]["text"] == "a scripted ID is always accepted"


def test_faults_select_operations_and_fire_in_order(
    local_bedrock: LocalBedrock, runtime: Any
) -> None:
    local_bedrock.fail(HAIKU, "ThrottlingException", times=1, operations=["invoke_model"])
    local_bedrock.fail("*", "ServiceUnavailableException", times=1)
    local_bedrock.fail(HAIKU, "ModelTimeoutException", times=1)
    with pytest.raises(runtime.exceptions.ModelTimeoutException):  # Converse skips the Invoke fault
        runtime.converse(modelId=HAIKU, messages=MESSAGES)
    with pytest.raises(runtime.exceptions.ThrottlingException):
        runtime.invoke_model(modelId=HAIKU, body=_anthropic_body())
    with pytest.raises(runtime.exceptions.ServiceUnavailableException):  # "*" after the model's own
        runtime.converse(modelId=HAIKU, messages=MESSAGES)
    runtime.converse(modelId=HAIKU, messages=MESSAGES)
    assert local_bedrock.calls(HAIKU) == 4
    assert (
        local_bedrock.calls(HAIKU, "InvokeModel")
        == local_bedrock.calls(operation="invoke_model")
        == 1
    )


def test_fail_for_ever(local_bedrock: LocalBedrock, runtime: Any) -> None:
    local_bedrock.fail(HAIKU, "AccessDeniedException", times=None)
    for _ in range(3):
        with pytest.raises(runtime.exceptions.AccessDeniedException):
            runtime.converse(modelId=HAIKU, messages=MESSAGES)


def test_unknown_codes_need_a_status(local_bedrock: LocalBedrock, runtime: Any) -> None:
    with pytest.raises(ValueError, match="ThrottleException"):
        local_bedrock.fail(HAIKU, "ThrottleException")
    with pytest.raises(ValueError, match="unknown operation"):
        local_bedrock.fail(HAIKU, "ThrottlingException", operations=["Conversation"])
    local_bedrock.fail(HAIKU, "TeapotException", status=418, message="short and stout")
    with pytest.raises(runtime.exceptions.ClientError) as info:
        runtime.converse(modelId=HAIKU, messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "TeapotException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 418


# --- mid-stream exceptions -----------------------------------------------------------------

CONVERSE_STREAM_ERRORS = [
    "throttlingException",
    "modelStreamErrorException",
    "internalServerException",
    "serviceUnavailableException",
    "validationException",
]


@pytest.mark.parametrize("kind", CONVERSE_STREAM_ERRORS)
def test_converse_stream_error_after_n_events(
    local_bedrock: LocalBedrock, runtime: Any, kind: str
) -> None:
    local_bedrock.stream_error(HAIKU, kind, after_events=2, message="mid-stream")
    response = runtime.converse_stream(modelId=HAIKU, messages=MESSAGES)  # headers say 200
    received = []
    with pytest.raises(EventStreamError) as info:
        for event in response["stream"]:
            received.append(next(iter(event)))
    assert received == ["messageStart", "contentBlockDelta"]
    assert info.value.response["Error"]["Code"] == kind
    assert info.value.response["Error"]["Message"] == "mid-stream"
    assert local_bedrock.requests[-1].error_code == kind
    assert len(list(runtime.converse_stream(modelId=HAIKU, messages=MESSAGES)["stream"])) > 4


@pytest.mark.parametrize(
    "kind", ["modelTimeoutException", "ThrottlingException", "modelStreamError"]
)
def test_invoke_stream_error(local_bedrock: LocalBedrock, runtime: Any, kind: str) -> None:
    local_bedrock.stream_error(HAIKU, kind, after_events=1)
    response = runtime.invoke_model_with_response_stream(modelId=HAIKU, body=_anthropic_body())
    chunks = 0
    with pytest.raises(EventStreamError) as info:
        for _ in response["body"]:
            chunks += 1
    assert chunks == 1
    code = info.value.response["Error"]["Code"]
    assert (
        code[0].islower()
        and code.endswith("Exception")
        and code.lower().startswith(kind.lower()[:8])
    )


def test_stream_error_at_start_and_only_on_streams(
    local_bedrock: LocalBedrock, runtime: Any
) -> None:
    local_bedrock.stream_error("*", "throttlingException", after_events=0, times=None)
    runtime.converse(modelId=HAIKU, messages=MESSAGES)  # not a stream: unaffected
    with pytest.raises(EventStreamError):
        next(iter(runtime.converse_stream(modelId=HAIKU, messages=MESSAGES)["stream"]))


# --- control plane -------------------------------------------------------------------------


def test_default_catalogue_with_and_without_lifecycle_dates(control: Any) -> None:
    models = {m["modelId"]: m for m in control.list_foundation_models()["modelSummaries"]}
    legacy = models[SONNET4]["modelLifecycle"]
    assert legacy == {
        "status": "LEGACY",
        "startOfLifeTime": dt.datetime(2025, 5, 22, tzinfo=UTC),
        "legacyTime": dt.datetime(2026, 4, 14, 8, tzinfo=UTC),
        "publicExtendedAccessTime": dt.datetime(2026, 7, 14, 8, tzinfo=UTC),
        "endOfLifeTime": dt.datetime(2026, 10, 14, 8, tzinfo=UTC),
    }
    active = models["anthropic.claude-sonnet-4-5-20250929-v1:0"]["modelLifecycle"]
    assert active == {"status": "ACTIVE", "startOfLifeTime": dt.datetime(2025, 9, 29, tzinfo=UTC)}
    assert models["amazon.nova-lite-v1:0"]["modelLifecycle"] == {"status": "ACTIVE"}
    assert models[SONNET4]["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET4}"
    assert models[SONNET4]["providerName"] == "Anthropic"


def test_add_get_remove_foundation_model(local_bedrock: LocalBedrock, control: Any) -> None:
    local_bedrock.add_foundation_model(
        HAIKU,
        "LEGACY",
        legacy_time=dt.datetime(2026, 3, 10, 8, tzinfo=UTC),
        eol_time="2026-09-10T08:00:00Z",
        extended_access_time="2026-06-10",
        name="Claude 3 Haiku",
    )
    details = control.get_foundation_model(modelIdentifier=HAIKU)["modelDetails"]
    assert details["modelName"] == "Claude 3 Haiku"
    assert details["modelLifecycle"] == {
        "status": "LEGACY",
        "legacyTime": dt.datetime(2026, 3, 10, 8, tzinfo=UTC),
        "publicExtendedAccessTime": dt.datetime(2026, 6, 10, tzinfo=UTC),
        "endOfLifeTime": dt.datetime(2026, 9, 10, 8, tzinfo=UTC),
    }
    by_arn = control.get_foundation_model(
        modelIdentifier=f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
    )
    assert by_arn["modelDetails"]["modelId"] == HAIKU
    local_bedrock.remove_foundation_model(HAIKU)
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_foundation_model(modelIdentifier=HAIKU)
    with pytest.raises(ValueError, match="ACTIVE or LEGACY"):
        local_bedrock.add_foundation_model(HAIKU, "EOL")


def test_lifecycle_is_regional(local_bedrock: LocalBedrock) -> None:
    model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    local_bedrock.add_foundation_model(
        model, "LEGACY", eol_time="2026-06-01", regions=["eu-central-2"]
    )
    local_bedrock.add_foundation_model(model, "ACTIVE", regions=["ap-northeast-1"])
    eu = local_bedrock.control_client(region_name="eu-central-2")
    ap = local_bedrock.control_client(region_name="ap-northeast-1")
    us = local_bedrock.control_client(region_name="us-east-1", config=ONE_ATTEMPT)
    eu_details = eu.get_foundation_model(modelIdentifier=model)["modelDetails"]
    assert eu_details["modelLifecycle"]["status"] == "LEGACY"
    assert eu_details["modelArn"].startswith("arn:aws:bedrock:eu-central-2::")
    assert ap.get_foundation_model(modelIdentifier=model)["modelDetails"]["modelLifecycle"] == {
        "status": "ACTIVE"
    }
    with pytest.raises(us.exceptions.ResourceNotFoundException):
        us.get_foundation_model(modelIdentifier=model)
    assert model not in [m["modelId"] for m in us.list_foundation_models()["modelSummaries"]]
    assert local_bedrock.requests[-1].region == "us-east-1"


def test_list_filters(local_bedrock: LocalBedrock, control: Any) -> None:
    local_bedrock.add_foundation_model(
        "amazon.titan-embed-text-v2:0", output_modalities=["EMBEDDING"]
    )
    anthropic = control.list_foundation_models(byProvider="anthropic")["modelSummaries"]
    assert anthropic and all(m["providerName"] == "Anthropic" for m in anthropic)
    embed = control.list_foundation_models(byOutputModality="EMBEDDING")["modelSummaries"]
    assert [m["modelId"] for m in embed] == ["amazon.titan-embed-text-v2:0"]


def test_eol_also_hides_the_model_from_the_control_plane(
    local_bedrock: LocalBedrock, control: Any
) -> None:
    local_bedrock.eol(SONNET4)
    assert SONNET4 not in [m["modelId"] for m in control.list_foundation_models()["modelSummaries"]]
    with pytest.raises(control.exceptions.ResourceNotFoundException, match="end of its life"):
        control.get_foundation_model(modelIdentifier=SONNET4)


def test_inference_profiles(local_bedrock: LocalBedrock, control: Any) -> None:
    pid = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    profile = control.get_inference_profile(inferenceProfileIdentifier=pid)
    assert profile["type"] == "SYSTEM_DEFINED" and profile["status"] == "ACTIVE"
    assert {m["modelArn"] for m in profile["models"]} == {
        f"arn:aws:bedrock:{r}::foundation-model/{SONNET4}"
        for r in ("us-east-1", "us-east-2", "us-west-2")
    }
    by_arn = control.get_inference_profile(
        inferenceProfileIdentifier=profile["inferenceProfileArn"]
    )
    assert by_arn["inferenceProfileId"] == pid
    app_arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"
    local_bedrock.add_inference_profile(app_arn, models=[HAIKU])
    app = control.get_inference_profile(inferenceProfileIdentifier=app_arn)
    assert app["type"] == "APPLICATION" and app["inferenceProfileArn"] == app_arn
    assert app["models"] == [{"modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"}]
    apps = control.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"]
    assert [p["inferenceProfileId"] for p in apps] == ["a1b2c3d4e5f6"]
    assert len(control.list_inference_profiles()["inferenceProfileSummaries"]) > 1
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_inference_profile(inferenceProfileIdentifier="eu.nope.nothing-v1:0")
    with pytest.raises(ValueError, match="models="):
        local_bedrock.add_inference_profile(
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/x"
        )


def test_provisioned_and_custom_models(local_bedrock: LocalBedrock, control: Any) -> None:
    pt = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123xyz"
    custom = f"arn:aws:bedrock:us-east-1:123456789012:custom-model/{HAIKU}/a1b2c3d4e5f6"
    local_bedrock.add_provisioned_model(pt, HAIKU)
    local_bedrock.add_custom_model(custom, HAIKU)
    got = control.get_provisioned_model_throughput(provisionedModelId=pt)
    assert got["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
    assert (
        control.get_provisioned_model_throughput(provisionedModelId="abc123xyz")[
            "provisionedModelArn"
        ]
        == pt
    )
    cm = control.get_custom_model(modelIdentifier=custom)
    assert cm["baseModelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
    assert local_bedrock.requests[-1].model_id == custom  # decoded, slashes and colons intact
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_custom_model(modelIdentifier="nope")
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_provisioned_model_throughput(provisionedModelId="nope")


def test_control_plane_faults(local_bedrock: LocalBedrock, control: Any) -> None:
    local_bedrock.fail_control("ListFoundationModels", "ThrottlingException", times=1)
    local_bedrock.fail_control("list_foundation_models", "InternalServerException", times=1)
    with pytest.raises(control.exceptions.ThrottlingException):
        control.list_foundation_models()
    with pytest.raises(control.exceptions.InternalServerException):
        control.list_foundation_models()
    assert control.list_foundation_models()["modelSummaries"]
    control.get_foundation_model(modelIdentifier=SONNET4)  # other operations untouched
    assert [r.status for r in local_bedrock.requests] == [429, 500, 200, 200]
    assert {r.service for r in local_bedrock.requests} == {"bedrock"}
    with pytest.raises(ValueError):
        local_bedrock.fail_control("Converse", "ThrottlingException")


def test_reset_restores_catalogue_and_clears_records(
    local_bedrock: LocalBedrock, control: Any
) -> None:
    local_bedrock.remove_foundation_model(SONNET4)
    local_bedrock.fail_control("*", "AccessDeniedException")
    with pytest.raises(control.exceptions.AccessDeniedException):
        control.get_foundation_model(modelIdentifier=SONNET4)
    local_bedrock.reset()
    assert local_bedrock.requests == []
    assert (
        control.get_foundation_model(modelIdentifier=SONNET4)["modelDetails"]["modelId"] == SONNET4
    )


def test_empty_catalogue() -> None:
    with LocalBedrock(catalogue=False) as bedrock:
        assert bedrock.control_client().list_foundation_models()["modelSummaries"] == []


# --- retries, concurrency, encoding, timeouts ----------------------------------------------


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore sleeps up to 1 s, then 2 s, between throttling retries; not in a unit test."""
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setitem(ExponentialBackoff._DEFAULT_BACKOFF_CONFIG, "throttling_base_scale", 0.001)


@pytest.mark.usefixtures("fast_backoff")
def test_botocore_standard_retries_absorb_two_throttles(local_bedrock: LocalBedrock) -> None:
    client = local_bedrock.runtime_client(config=Config(retries={"mode": "standard"}))
    local_bedrock.fail(HAIKU, "ThrottlingException", times=2)
    r = client.converse(modelId=HAIKU, messages=MESSAGES)
    assert r["ResponseMetadata"]["RetryAttempts"] == 2
    assert [q.status for q in local_bedrock.requests] == [429, 429, 200]
    local_bedrock.fail(HAIKU, "ThrottlingException", times=3)
    with pytest.raises(client.exceptions.ThrottlingException):
        client.converse(modelId=HAIKU, messages=MESSAGES)
    assert local_bedrock.calls(HAIKU) == 6


def test_records_are_exact_under_16_threads(local_bedrock: LocalBedrock) -> None:
    client = local_bedrock.runtime_client(
        config=Config(max_pool_connections=16, retries={"total_max_attempts": 1})
    )
    local_bedrock.fail("*", "ValidationException", times=100)
    errors = [0] * 16
    barrier = threading.Barrier(16)

    def work(i: int) -> None:
        model = f"amazon.model-{i}-v1:0"
        barrier.wait()
        for _ in range(50):
            try:
                client.converse(modelId=model, messages=MESSAGES)
            except client.exceptions.ValidationException:
                errors[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = local_bedrock.requests
    assert len(records) == 800
    assert sum(errors) == 100 == sum(r.status == 400 for r in records)  # each fault used once
    for i in range(16):
        assert local_bedrock.calls(f"amazon.model-{i}-v1:0", "Converse") == 50
    assert [r.at for r in records] == sorted(r.at for r in records)


@pytest.mark.parametrize(
    "model_id",
    [
        f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
        f"arn:aws:bedrock:us-east-1:123456789012:custom-model/{HAIKU}/a1b2c3d4e5f6",
        "anthropic.claude-v2:1:200k",
    ],
)
def test_percent_encoded_model_ids_are_decoded(
    local_bedrock: LocalBedrock, runtime: Any, model_id: str
) -> None:
    local_bedrock.reply(model_id, "matched exactly")
    r = runtime.converse(modelId=model_id, messages=MESSAGES)
    assert r["output"]["message"]["content"][0]["text"] == "matched exactly"
    record = local_bedrock.requests[-1]
    assert record.model_id == model_id
    assert "%3A" in record.path  # it did travel encoded


def test_delay_and_hang_with_client_read_timeout(local_bedrock: LocalBedrock) -> None:
    local_bedrock.delay(HAIKU, 0.1, times=1)
    client = local_bedrock.runtime_client(
        config=Config(read_timeout=0.3, retries={"total_max_attempts": 1})
    )
    t0 = time.perf_counter()
    client.converse(modelId=HAIKU, messages=MESSAGES)
    assert time.perf_counter() - t0 >= 0.1
    local_bedrock.hang(HAIKU, operations="Converse")
    with pytest.raises(ReadTimeoutError):
        client.converse(modelId=HAIKU, messages=MESSAGES)
    assert local_bedrock.calls(HAIKU) == 2  # recorded on arrival, though never answered
    client.invoke_model(modelId=HAIKU, body=_anthropic_body())  # other operations still answer
    local_bedrock.reset()  # releases the parked handler
    client.converse(modelId=HAIKU, messages=MESSAGES)


def test_env_points_boto3_at_the_server(local_bedrock_env: LocalBedrock) -> None:
    import boto3

    assert local_bedrock_env.env() == {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": local_bedrock_env.endpoint_url,
        "AWS_ENDPOINT_URL_BEDROCK": local_bedrock_env.endpoint_url,
        "AWS_ENDPOINT_URL_SERVICE_QUOTAS": local_bedrock_env.endpoint_url,
        "AWS_ENDPOINT_URL_HEALTH": local_bedrock_env.endpoint_url,
        "AWS_ENDPOINT_URL_PRICING": local_bedrock_env.endpoint_url,
        "AWS_ENDPOINT_URL_APPCONFIGDATA": local_bedrock_env.endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    session = boto3.session.Session()
    session.client("bedrock-runtime").converse(modelId=HAIKU, messages=MESSAGES)
    session.client("bedrock").list_foundation_models()
    assert [r.operation for r in local_bedrock_env.requests] == ["Converse", "ListFoundationModels"]
    assert "testing/" in local_bedrock_env.requests[0].headers["authorization"]


def test_unknown_route(local_bedrock: LocalBedrock) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(local_bedrock.endpoint_url + "/nothing/here", timeout=5)
    assert info.value.code == 404
    assert info.value.headers["x-amzn-ErrorType"].startswith("UnknownOperationException:")


# --- lifecycle of the server itself --------------------------------------------------------


@pytest.fixture
def own_server() -> Iterator[LocalBedrock]:
    with LocalBedrock() as bedrock:
        yield bedrock


def test_stop_is_prompt_with_idle_keep_alive_connections(own_server: LocalBedrock) -> None:
    client = own_server.runtime_client(config=ONE_ATTEMPT)
    client.converse(modelId=HAIKU, messages=MESSAGES)
    own_server.hang(TITAN)
    outcome: list[BaseException | None] = []

    def call() -> None:
        try:
            client.converse(modelId=TITAN, messages=MESSAGES)
            outcome.append(None)
        except Exception as exc:
            outcome.append(exc)

    hung = threading.Thread(target=call, daemon=True)
    hung.start()
    while own_server.calls(TITAN) == 0:
        time.sleep(0.005)
    t0 = time.perf_counter()
    own_server.stop()
    assert time.perf_counter() - t0 < 5.0  # does not wait for the hung request (generous under load)
    hung.join(timeout=5)
    assert not hung.is_alive()
    assert isinstance(outcome[0], Exception)  # the connection dropped; no late success
    assert not own_server.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = own_server.endpoint_url
    own_server.stop()  # idempotent


def test_restart_and_repr() -> None:
    bedrock = LocalBedrock()
    assert "stopped" in repr(bedrock)
    with bedrock:
        assert bedrock.endpoint_url in repr(bedrock)
    with bedrock:  # a stopped server starts again, on a new port, fresh
        assert bedrock.runtime_client().converse(modelId=HAIKU, messages=MESSAGES)
        assert bedrock.calls() == 1


def _call(client: Any, operation: str, model_id: str) -> None:
    if operation == "converse":
        client.converse(modelId=model_id, messages=MESSAGES)
    elif operation == "invoke":
        client.invoke_model(modelId=model_id, body=_anthropic_body())
    elif operation == "converse_stream":
        list(client.converse_stream(modelId=model_id, messages=MESSAGES)["stream"])
    else:
        list(
            client.invoke_model_with_response_stream(modelId=model_id, body=_anthropic_body())[
                "body"
            ]
        )


def test_base64_bodies_in_records_are_not_decoded_twice(
    local_bedrock: LocalBedrock, runtime: Any
) -> None:
    body = _anthropic_body("count me")
    runtime.count_tokens(modelId=HAIKU, input={"invokeModel": {"body": body}})
    record = local_bedrock.requests[-1]
    assert isinstance(record.body, dict)
    assert base64.b64decode(record.body["input"]["invokeModel"]["body"]).decode() == body


def test_chunked_request_bodies_and_bad_framing(local_bedrock: LocalBedrock) -> None:
    import socket

    body = json.dumps({"messages": MESSAGES}).encode()
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, body[:5], len(body) - 5, body[5:])
    head = f"POST /model/{TITAN}/converse HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    with socket.create_connection(("127.0.0.1", local_bedrock.port), timeout=5) as sock:
        sock.sendall(head.encode() + chunked)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
    assert local_bedrock.requests[-1].body == {"messages": MESSAGES}
    with socket.create_connection(("127.0.0.1", local_bedrock.port), timeout=5) as sock:
        sock.sendall(b"POST /model/x/converse HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 400")
