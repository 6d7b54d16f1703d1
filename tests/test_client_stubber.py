"""Fast unit tests of the drop-in client with botocore's Stubber (no network)."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError, ParamValidationError
from botocore.stub import Stubber

import bedrock_lifecycle
from bedrock_lifecycle.api import reset_warnings, runtime_of, wrap
from bedrock_lifecycle.core.flow import META_KEY
from bedrock_lifecycle.core.operations import model_operations
from bedrock_lifecycle.errors import (
    ConfigError,
    ModelApproachingEOLWarning,
    ModelEndOfLifeError,
    ModelLegacyError,
    ModelLegacyWarning,
    ModelLifecycleWarning,
    UnknownModelError,
)
from tests.helpers import (
    HAIKU3,
    HAIKU45,
    MESSAGES,
    NOVA_LITE,
    NOVA_MICRO,
    NOVA_PRO,
    RETIRING,
    StaticRegistry,
    at,
    converse_response,
    invoke_response,
)


def raw_client() -> BaseClient:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def make(config: dict[str, Any] | None = None, *, now: str = "2026-05-01", registry: Any = None, **kw: Any) -> BaseClient:
    return wrap(
        raw_client(),
        config=config or {},
        registry=registry if registry is not None else StaticRegistry(RETIRING),
        clock=lambda: at(now),
        environ={},
        sleep=lambda s: None,
        **kw,
    )


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    reset_warnings()


CHAT = {"aliases": {"chat": {"targets": [NOVA_LITE]}}}


def test_is_a_real_botocore_client() -> None:
    c = make(CHAT)
    plain = raw_client()
    assert isinstance(c, BaseClient)
    assert type(c).__name__ == type(plain).__name__
    for name in dir(plain):
        if not name.startswith("_"):
            assert hasattr(c, name), name
    assert c.exceptions.ThrottlingException is not None
    assert c.can_paginate("list_async_invokes")
    assert c.get_paginator("list_async_invokes") is not None


def test_stubber_sees_the_resolved_model_id() -> None:
    c = make(CHAT)
    with Stubber(c) as st:
        st.add_response("converse", converse_response(), {"modelId": NOVA_LITE, "messages": MESSAGES})
        r = c.converse(modelId="chat", messages=MESSAGES)
        st.assert_no_pending_responses()
    assert r["output"]["message"]["content"][0]["text"] == "hi"
    meta = r["ResponseMetadata"][META_KEY]
    assert meta["alias"] == "chat"
    assert meta["model_id"] == NOVA_LITE
    assert [(a["model"], a["outcome"], a["error_code"]) for a in meta["attempts"]] == [(NOVA_LITE, "ok", None)]


def test_alias_names_are_case_insensitive_with_dash_underscore() -> None:
    c = make({"aliases": {"My-Chat": {"targets": [NOVA_LITE]}}})
    with Stubber(c) as st:
        for _ in range(2):
            st.add_response("converse", converse_response(), {"modelId": NOVA_LITE, "messages": MESSAGES})
        c.converse(modelId="my_chat", messages=MESSAGES)
        c.converse(modelId="MY-CHAT", messages=MESSAGES)


OPERATION_PARAMS: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "Converse": ("converse", {"messages": MESSAGES}, converse_response()),
    "InvokeModel": ("invoke_model", {"body": b"{}"}, invoke_response()),
    "CountTokens": ("count_tokens", {"input": {"converse": {"messages": MESSAGES}}}, {"inputTokens": 4}),
    "StartAsyncInvoke": (
        "start_async_invoke",
        {"modelInput": {}, "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://b/k"}}},
        {"invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdefghij12"},
    ),
}


def test_every_model_carrying_operation_comes_from_the_service_model() -> None:
    ops = set(model_operations(raw_client().meta.service_model))
    # The set is read from botocore's data, not listed by hand: a sanity check of that data.
    assert {"Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream",
            "CountTokens", "StartAsyncInvoke"} <= ops
    assert "ApplyGuardrail" not in ops and "GetAsyncInvoke" not in ops


@pytest.mark.parametrize("operation", sorted(OPERATION_PARAMS))
def test_alias_resolved_on_each_stubbable_operation(operation: str) -> None:
    method, params, response = OPERATION_PARAMS[operation]
    c = make(CHAT)
    with Stubber(c) as st:
        st.add_response(method, response, {"modelId": NOVA_LITE, **params})
        r = getattr(c, method)(modelId="chat", **params)
    assert r["ResponseMetadata"][META_KEY]["model_id"] == NOVA_LITE


def test_operations_without_a_model_pass_through() -> None:
    c = make(CHAT)
    with Stubber(c) as st:
        st.add_response("get_async_invoke", {
            "invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdefghij12",
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:1",
            "status": "InProgress", "submitTime": "2026-05-01T00:00:00Z",
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://b/k"}},
        }, {"invocationArn": "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdefghij12"})
        r = c.get_async_invoke(invocationArn="arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdefghij12")
    assert META_KEY not in r.get("ResponseMetadata", {})
    assert r["status"] == "InProgress"


def test_missing_model_id_is_botocores_own_error() -> None:
    c = make(CHAT)
    with pytest.raises(ParamValidationError):
        c.converse(messages=MESSAGES)


def test_unknown_alias_raises_validation_error_before_any_call() -> None:
    c = make({"aliases": {"chat": {"targets": [NOVA_LITE]}, "summarise": {"targets": [NOVA_PRO]}}})
    with Stubber(c), pytest.raises(c.exceptions.ValidationException) as info:  # no responses queued
        c.converse(modelId="chta", messages=MESSAGES)
    err = info.value
    assert isinstance(err, UnknownModelError) and isinstance(err, ClientError)
    msg = str(err)
    assert "'chat'" in msg and "'summarise'" in msg and "Did you mean 'chat'?" in msg
    assert err.response["Error"]["Code"] == "ValidationException"


def test_concrete_model_ids_pass_through() -> None:
    c = make(CHAT)
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_PRO}"
    with Stubber(c) as st:
        for mid in (NOVA_PRO, f"us.{NOVA_PRO}", arn):
            st.add_response("converse", converse_response(), {"modelId": mid, "messages": MESSAGES})
        for mid in (NOVA_PRO, f"us.{NOVA_PRO}", arn):
            r = c.converse(modelId=mid, messages=MESSAGES)
            assert r["ResponseMetadata"][META_KEY]["alias"] is None


def test_eol_model_refused_before_network_with_aws_code() -> None:
    c = make(now="2026-09-11")
    with Stubber(c), pytest.raises(c.exceptions.ResourceNotFoundException) as info:
        c.converse(modelId=HAIKU3, messages=MESSAGES)
    err = info.value
    assert isinstance(err, ModelEndOfLifeError)
    assert isinstance(err, bedrock_lifecycle.ModelEndOfLifeError)
    assert err.response["Error"]["Code"] == "ResourceNotFoundException"
    text = str(err)
    assert "2026-09-10" in text and HAIKU45 in text and "us-east-1" in text
    assert err.status is not None and err.status.state.value == "eol"


def test_eol_exactly_at_midnight_utc_of_the_date() -> None:
    with Stubber(make(now="2026-09-09T23:59:59")) as st:
        st.add_response("converse", converse_response())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            st.client.converse(modelId=HAIKU3, messages=MESSAGES)
    with pytest.raises(ModelEndOfLifeError):
        make(now="2026-09-10T00:00:00").converse(modelId=HAIKU3, messages=MESSAGES)


def test_legacy_warns_once_per_model_region_state_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    c = make(now="2026-04-01")
    caplog.set_level(logging.WARNING, logger="bedrock_lifecycle")
    with Stubber(c) as st, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(3):
            st.add_response("converse", converse_response())
            c.converse(modelId=HAIKU3, messages=MESSAGES)
    lifecycle = [w for w in seen if issubclass(w.category, ModelLifecycleWarning)]
    assert len(lifecycle) == 1
    w = lifecycle[0]
    assert issubclass(w.category, ModelLegacyWarning) and issubclass(w.category, UserWarning)
    text = str(w.message)
    for part in (HAIKU3, "us-east-1", "Legacy", "2026-03-10", "2026-09-10", "162 days left", HAIKU45):
        assert part in text, part
    assert w.filename == __file__  # points at the application's line, not at botocore
    assert sum(HAIKU3 in r.getMessage() for r in caplog.records) == 1


def test_approaching_eol_warns_for_an_active_model() -> None:
    entry = RETIRING[HAIKU3]
    reg = StaticRegistry({NOVA_LITE: type(entry)(NOVA_LITE, eol=at("2026-07-01"))})
    c = make(registry=reg, now="2026-05-01")
    with Stubber(c) as st, pytest.warns(ModelApproachingEOLWarning, match="61 days left"):
        st.add_response("converse", converse_response())
        c.converse(modelId=NOVA_LITE, messages=MESSAGES)


def test_policy_error_on_legacy_refuses() -> None:
    c = make({"policy": {"on_legacy": "error"}}, now="2026-04-01")
    with Stubber(c), pytest.raises(ModelLegacyError, match="on_legacy"):
        c.converse(modelId=HAIKU3, messages=MESSAGES)


def test_on_eol_fallback_moves_to_next_target() -> None:
    cfg = {"policy": {"on_eol": "fallback"}, "aliases": {"fast": {"targets": [HAIKU3], "fallbacks": [HAIKU45]}}}
    c = make(cfg, now="2026-10-01")
    with Stubber(c) as st:
        st.add_response("converse", converse_response(), {"modelId": HAIKU45, "messages": MESSAGES})
        r = c.converse(modelId="fast", messages=MESSAGES)
    attempts = r["ResponseMetadata"][META_KEY]["attempts"]
    assert [(a["model"], a["outcome"]) for a in attempts] == [(HAIKU3, "skipped"), (HAIKU45, "ok")]


def test_alias_with_only_eol_targets_is_rejected_at_startup() -> None:
    with pytest.raises(ConfigError, match=r"alias 'fast'.*end-of-life.*on_eol = 'fallback'"):
        make({"aliases": {"fast": {"targets": [HAIKU3]}}}, now="2026-10-01")
    with pytest.raises(ConfigError, match=r"alias 'fast': every model is past its end-of-life date"):
        make({"policy": {"on_eol": "fallback"}, "aliases": {"fast": {"targets": [HAIKU3]}}}, now="2026-10-01")


def test_an_eol_target_beside_a_live_one_is_rejected_under_on_eol_error() -> None:
    """Decided once: under on_eol = 'error' a key routed to the EOL target would fail,
    so the configuration is refused at creation, naming alias, model, date, region, fix."""
    cfg = {"aliases": {"chat": {"targets": [HAIKU3, HAIKU45]}}}
    with pytest.raises(ConfigError) as info:
        make(cfg, now="2026-12-01")
    text = str(info.value)
    for part in ("alias 'chat'", HAIKU3, "2026-09-10", "us-east-1", "remove it", "on_eol = 'fallback'"):
        assert part in text
    assert HAIKU45 not in text.split("Use")[0]  # the live target is not blamed
    # A fallback past EOL counts too; under on_eol = 'fallback' the same alias is accepted.
    with pytest.raises(ConfigError, match="alias 'chat'"):
        make({"aliases": {"chat": {"targets": [HAIKU45], "fallbacks": [HAIKU3]}}}, now="2026-12-01")
    c = make({"policy": {"on_eol": "fallback"}, **cfg}, now="2026-12-01")
    with Stubber(c) as st:
        st.add_response("converse", converse_response(), {"modelId": HAIKU45, "messages": MESSAGES})
        with bedrock_lifecycle.routing_key("u1"):
            c.converse(modelId="chat", messages=MESSAGES)


def test_throttled_primary_retries_then_falls_back() -> None:
    cfg = {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}},
           "routing": {"max_attempts_per_target": 2}}
    slept: list[float] = []
    c = wrap(raw_client(), config=cfg, registry=StaticRegistry(), clock=lambda: at("2026-05-01"),
             environ={}, sleep=slept.append)
    with Stubber(c) as st:
        st.add_client_error("converse", "ThrottlingException", "Too many requests", 429)
        st.add_client_error("converse", "ThrottlingException", "Too many requests", 429)
        st.add_response("converse", converse_response(), {"modelId": NOVA_MICRO, "messages": MESSAGES})
        r = c.converse(modelId="chat", messages=MESSAGES)
        st.assert_no_pending_responses()
    attempts = r["ResponseMetadata"][META_KEY]["attempts"]
    assert [(a["model"], a["error_code"]) for a in attempts] == [
        (NOVA_LITE, "ThrottlingException"), (NOVA_LITE, "ThrottlingException"), (NOVA_MICRO, None)]
    assert len(slept) == 1  # one backoff between the two attempts on the primary


def test_every_target_failing_raises_the_plain_clients_exception_with_attempts() -> None:
    cfg = {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}},
           "routing": {"max_attempts_per_target": 1}}
    c = make(cfg)
    with Stubber(c) as st:
        st.add_client_error("converse", "ThrottlingException", "slow down", 429)
        st.add_client_error("converse", "ServiceUnavailableException", "unavailable", 503)
        with pytest.raises(c.exceptions.ServiceUnavailableException) as info:
            c.converse(modelId="chat", messages=MESSAGES)
    err = info.value
    assert [(a["model"], a["error_code"]) for a in err.attempts] == [
        (NOVA_LITE, "ThrottlingException"), (NOVA_MICRO, "ServiceUnavailableException")]
    assert "bedrock-lifecycle attempts" in "\n".join(err.__notes__)
    assert "slow down" in "\n".join(err.__notes__)


def test_callers_own_bad_request_is_not_retried_or_fallen_back() -> None:
    cfg = {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}}}
    c = make(cfg)
    with Stubber(c) as st:
        st.add_client_error("converse", "ValidationException", "messages: too long", 400)
        with pytest.raises(c.exceptions.ValidationException):
            c.converse(modelId="chat", messages=MESSAGES)
        st.assert_no_pending_responses()


def test_service_eol_answer_falls_back() -> None:
    cfg = {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}}}
    c = make(cfg)
    with Stubber(c) as st:
        st.add_client_error("converse", "ResourceNotFoundException",
                            "This model version has reached the end of its life. Please refer to the AWS documentation for more details.", 404)
        st.add_response("converse", converse_response(), {"modelId": NOVA_MICRO, "messages": MESSAGES})
        r = c.converse(modelId="chat", messages=MESSAGES)
    assert r["ResponseMetadata"][META_KEY]["model_id"] == NOVA_MICRO


def test_per_target_converse_overrides() -> None:
    cfg = {"aliases": {"chat": {"targets": [{
        "model": NOVA_PRO,
        "inference_config": {"maxTokens": 512},
        "additional_model_request_fields": {"topK": 20},
        "system": {"text": "Be brief.", "mode": "prepend"},
    }]}}}
    c = make(cfg)
    sent = {"messages": MESSAGES, "system": [{"text": "You are helpful."}], "inferenceConfig": {"temperature": 0.2}}
    with Stubber(c) as st:
        st.add_response("converse", converse_response(), {
            "modelId": NOVA_PRO, "messages": MESSAGES,
            "system": [{"text": "Be brief."}, {"text": "You are helpful."}],
            "inferenceConfig": {"temperature": 0.2, "maxTokens": 512},
            "additionalModelRequestFields": {"topK": 20},
        })
        c.converse(modelId="chat", **sent)
    assert sent["system"] == [{"text": "You are helpful."}]  # the caller's dict is not mutated


def test_invoke_model_on_mixed_family_alias_is_refused() -> None:
    c = make({"aliases": {"chat": {"targets": [{"model": HAIKU45, "weight": 9}, {"model": NOVA_LITE, "weight": 1}]}}})
    with Stubber(c), pytest.raises(c.exceptions.ValidationException, match="mixes model families"):
        c.invoke_model(modelId="chat", body=b"{}")


def test_now_variable_pins_the_clock() -> None:
    c = wrap(raw_client(), registry=StaticRegistry(RETIRING), environ={"BEDROCK_LIFECYCLE_NOW": "2026-09-10"})
    with pytest.raises(ModelEndOfLifeError):
        c.converse(modelId=HAIKU3, messages=MESSAGES)


def test_wrap_rejects_other_clients() -> None:
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with pytest.raises(TypeError, match="bedrock-runtime"):
        wrap(s3)
    with pytest.raises(TypeError):
        wrap("not a client")  # type: ignore[arg-type]


def test_client_factory_turns_botocore_retries_off_and_takes_a_session() -> None:
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1")
    c = bedrock_lifecycle.client(session=session, config=CHAT, registry=StaticRegistry(), environ={})
    assert c.meta.region_name == "eu-west-1"
    assert c.meta.config.retries["total_max_attempts"] == 1
    assert runtime_of(c).owns_retries


def test_config_errors_name_the_variable() -> None:
    with pytest.raises(ConfigError, match="BEDROCK_LIFECYCLE_ON_EOL"):
        wrap(raw_client(), registry=StaticRegistry(), environ={"BEDROCK_LIFECYCLE_ON_EOL": "explode"})


def test_configured_overrides_beat_the_bundled_data(tmp_path: Any) -> None:
    cfg = {"registry": {"cache_dir": str(tmp_path), "overrides": [
        {"model": NOVA_LITE, "regions": ["us-east-1"], "legacy": "2026-01-01", "eol": "2026-04-01",
         "replacements": [NOVA_PRO]}]}}
    c = wrap(raw_client(), config=cfg, clock=lambda: at("2026-05-01"), environ={})
    with Stubber(c), pytest.raises(ModelEndOfLifeError, match=NOVA_PRO):
        c.converse(modelId=f"us.{NOVA_LITE}", messages=MESSAGES)  # a profile follows its base model


def test_application_profile_follows_its_mapped_base_model(tmp_path: Any) -> None:
    app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abcdef123456"
    cfg = {"registry": {"cache_dir": str(tmp_path), "base_models": {app: HAIKU3}}}
    # Real bundled data: Claude 3 Haiku is past EOL in us-east-1 since 2026-09-10.
    c = wrap(raw_client(), config=cfg, clock=lambda: at("2026-10-01"), environ={})
    with Stubber(c), pytest.raises(ModelEndOfLifeError, match="2026-09-10"):
        c.converse(modelId=app, messages=MESSAGES)


def test_client_accepts_boto3s_positional_service_name() -> None:
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-west-2")
    c = bedrock_lifecycle.client("bedrock-runtime", session=session, registry=StaticRegistry(), environ={})
    assert c.meta.service_model.service_name == "bedrock-runtime"
    with pytest.raises(TypeError, match="'s3'"):
        bedrock_lifecycle.client("s3", session=session, environ={})
