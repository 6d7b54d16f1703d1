"""The drop-in client end to end: the real botocore client over HTTP to the local Bedrock."""

from __future__ import annotations

import math
import threading
import warnings
from collections import Counter
from typing import Any

import pytest
from botocore.config import Config as BotoConfig
from botocore.eventstream import EventStream
from botocore.exceptions import EventStreamError

import bedrock_lifecycle
from bedrock_lifecycle.api import wrap
from bedrock_lifecycle.core.flow import META_KEY
from bedrock_lifecycle.errors import ModelEndOfLifeError
from bedrock_lifecycle.testing import LocalBedrock
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
)

EOL_MESSAGE = "This model version has reached the end of its life. Please refer to the AWS documentation for more details."




def make(bedrock: LocalBedrock, config: dict[str, Any], *, now: str = "2026-05-01", sleeps: list[float] | None = None, **kw: Any) -> Any:
    raw = bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}))
    return wrap(raw, config=config, registry=kw.pop("registry", StaticRegistry(RETIRING)),
                clock=lambda: at(now), environ={},
                sleep=(sleeps.append if sleeps is not None else (lambda s: None)), **kw)


def served(resp: dict[str, Any]) -> str:
    return str(resp["ResponseMetadata"][META_KEY]["model_id"])


CHAT = {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}}}


def test_alias_resolved_on_the_wire(bedrock: LocalBedrock) -> None:
    c = make(bedrock, CHAT)
    r = c.converse(modelId="chat", messages=MESSAGES)
    assert served(r) == NOVA_LITE
    assert [q.model_id for q in bedrock.requests] == [NOVA_LITE]
    assert r["output"]["message"]["content"][0]["text"]
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_arn_with_colons_and_slashes_travels_intact(bedrock: LocalBedrock) -> None:
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{NOVA_PRO}"
    c = make(bedrock, {"aliases": {"chat": {"targets": [arn]}}})
    assert served(c.converse(modelId="chat", messages=MESSAGES)) == arn
    assert bedrock.requests[-1].model_id == arn


def test_every_model_operation_over_http(bedrock: LocalBedrock) -> None:
    c = make(bedrock, CHAT)
    c.converse(modelId="chat", messages=MESSAGES)
    body = c.invoke_model(modelId="chat", body=b'{"inputText": "hi"}')["body"].read()
    assert body
    c.count_tokens(modelId="chat", input={"converse": {"messages": MESSAGES}})
    c.start_async_invoke(modelId="chat", modelInput={"x": 1},
                         outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://bucket/out"}})
    events = list(c.converse_stream(modelId="chat", messages=MESSAGES)["stream"])
    assert any("contentBlockDelta" in e for e in events) and any("messageStop" in e for e in events)
    chunks = list(c.invoke_model_with_response_stream(modelId="chat", body=b'{"inputText": "hi"}')["body"])
    assert chunks and all("chunk" in ch for ch in chunks)
    ops = [(q.operation, q.model_id) for q in bedrock.requests]
    assert {m for _, m in ops} == {NOVA_LITE}
    assert {o for o, _ in ops} >= {"Converse", "InvokeModel", "CountTokens", "StartAsyncInvoke",
                                   "ConverseStream", "InvokeModelWithResponseStream"}


def test_stream_response_keeps_its_type_and_metadata(bedrock: LocalBedrock) -> None:
    c = make(bedrock, CHAT)
    r = c.converse_stream(modelId="chat", messages=MESSAGES)
    assert isinstance(r["stream"], EventStream)
    assert served(r) == NOVA_LITE
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in r["stream"] if "contentBlockDelta" in e)
    assert text


def test_eol_refused_with_no_request_sent(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {}, now="2026-09-11")
    with pytest.raises(c.exceptions.ResourceNotFoundException) as info:
        c.converse(modelId=HAIKU3, messages=MESSAGES)
    assert isinstance(info.value, ModelEndOfLifeError)
    assert bedrock.calls() == 0


def test_service_eol_and_legacy_answers_fall_back(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_PRO, NOVA_MICRO]}}})
    bedrock.eol(NOVA_LITE)
    bedrock.legacy_inactive(NOVA_PRO, days=15)
    r = c.converse(modelId="chat", messages=MESSAGES)
    assert served(r) == NOVA_MICRO
    codes = [(a["model"], a["error_code"]) for a in r["ResponseMetadata"][META_KEY]["attempts"]]
    assert codes == [(NOVA_LITE, "ResourceNotFoundException"), (NOVA_PRO, "ResourceNotFoundException"), (NOVA_MICRO, None)]


def test_on_demand_throughput_validation_falls_back(bedrock: LocalBedrock) -> None:
    c = make(bedrock, CHAT)
    bedrock.fail(NOVA_LITE, "ValidationException", times=None, message=(
        f"Invocation of model ID {NOVA_LITE} with on-demand throughput isn’t supported. Retry your request "
        "with the ID or ARN of an inference profile that contains this model."))
    assert served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_MICRO


def test_callers_bad_request_is_raised_untouched(bedrock: LocalBedrock) -> None:
    c = make(bedrock, CHAT)
    bedrock.fail(NOVA_LITE, "ValidationException", times=None, message="messages.0.content: must not be empty")
    with pytest.raises(c.exceptions.ValidationException, match="must not be empty"):
        c.converse(modelId="chat", messages=MESSAGES)
    assert bedrock.calls(model_id=NOVA_MICRO) == 0
    assert bedrock.calls(model_id=NOVA_LITE) == 1


def test_throttle_is_retried_with_retry_after_then_served(bedrock: LocalBedrock) -> None:
    sleeps: list[float] = []
    c = make(bedrock, {**CHAT, "routing": {"max_attempts_per_target": 3}}, sleeps=sleeps)
    bedrock.fail(NOVA_LITE, "ThrottlingException", times=2, retry_after=2)
    r = c.converse(modelId="chat", messages=MESSAGES)
    assert served(r) == NOVA_LITE
    assert bedrock.calls(model_id=NOVA_LITE) == 3
    assert len(sleeps) == 2 and all(s >= 2 for s in sleeps)


def test_all_targets_failing_raise_the_plain_exception_with_every_attempt(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {**CHAT, "routing": {"max_attempts_per_target": 2}})
    bedrock.fail("*", "ThrottlingException", times=None)
    with pytest.raises(c.exceptions.ThrottlingException) as info:
        c.converse(modelId="chat", messages=MESSAGES)
    attempts = info.value.attempts
    assert [(a["model"], a["error_code"]) for a in attempts] == [
        (NOVA_LITE, "ThrottlingException")] * 2 + [(NOVA_MICRO, "ThrottlingException")] * 2
    assert bedrock.calls() == 4


def test_stream_error_before_first_event_falls_back(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {**CHAT, "routing": {"max_attempts_per_target": 1}})
    bedrock.stream_error(NOVA_LITE, "throttlingException", after_events=0, times=None)
    r = c.converse_stream(modelId="chat", messages=MESSAGES)
    assert served(r) == NOVA_MICRO
    assert list(r["stream"])


def test_stream_error_after_events_surfaces_normalised_with_attempts(bedrock: LocalBedrock) -> None:
    c = make(bedrock, CHAT)
    bedrock.stream_error(NOVA_LITE, "throttlingException", after_events=2, times=None)
    r = c.converse_stream(modelId="chat", messages=MESSAGES)
    got = []
    with pytest.raises(c.exceptions.ThrottlingException) as info:
        for e in r["stream"]:
            got.append(e)
    err = info.value
    assert len(got) == 2
    assert isinstance(err, EventStreamError)
    assert err.response["Error"]["Code"] == "ThrottlingException"
    assert err.attempts[-1]["outcome"] == "stream_error"
    assert bedrock.calls(model_id=NOVA_MICRO) == 0  # delivered events cannot be replayed


def test_sixteen_threads_share_one_client_with_exact_accounting(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"chat": {"targets": [{"model": NOVA_LITE, "weight": 1}, {"model": NOVA_PRO, "weight": 1}]}}})
    per_thread = 25
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(per_thread):
                m = served(c.converse(modelId="chat", messages=MESSAGES))
                with lock:
                    counts[m] += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(counts.values()) == 16 * per_thread
    assert bedrock.calls(model_id=NOVA_LITE) == counts[NOVA_LITE]
    assert bedrock.calls(model_id=NOVA_PRO) == counts[NOVA_PRO]


def test_weighted_split_over_http_within_binomial_bound(bedrock: LocalBedrock) -> None:
    import random

    c = make(bedrock, {"aliases": {"chat": {"targets": [{"model": NOVA_LITE, "weight": 80}, {"model": NOVA_PRO, "weight": 20}]}}},
             rng=random.Random(7))
    n = 600
    hits = sum(served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_PRO for _ in range(n))
    sigma = math.sqrt(n * 0.2 * 0.8)
    assert abs(hits - n * 0.2) <= 4.5 * sigma


def test_sticky_key_over_http(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"chat": {"targets": [{"model": NOVA_LITE, "weight": 50}, {"model": NOVA_PRO, "weight": 50}]}}})
    for key in ("alice", "bob", "carol", "dave"):
        with bedrock_lifecycle.routing_key(key):
            seen = {served(c.converse(modelId="chat", messages=MESSAGES)) for _ in range(5)}
        assert len(seen) == 1


def test_cooldown_skips_a_failing_primary_then_probes(bedrock: LocalBedrock) -> None:
    clock = {"t": 1000.0}
    c = make(bedrock, {**CHAT, "routing": {"max_attempts_per_target": 1, "cooldown_after_failures": 2, "cooldown_seconds": 30}})
    rt = c.__dict__["_bedrock_lifecycle"]
    rt.cooldowns.monotonic = lambda: clock["t"]
    bedrock.fail(NOVA_LITE, "ServiceUnavailableException", times=None)
    for _ in range(2):
        assert served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_MICRO
    assert bedrock.calls(model_id=NOVA_LITE) == 2
    for _ in range(3):  # open: the primary is not tried
        assert served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_MICRO
    assert bedrock.calls(model_id=NOVA_LITE) == 2
    bedrock.reset()
    clock["t"] += 31  # half-open: one probe goes to the primary, which has recovered
    assert served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_LITE
    assert served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_LITE


def test_every_target_cooling_still_tries_rather_than_failing_unseen(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {**CHAT, "routing": {"max_attempts_per_target": 1, "cooldown_after_failures": 1, "cooldown_seconds": 600}})
    bedrock.fail("*", "ServiceUnavailableException", times=1)  # each model fails once
    bedrock.fail(NOVA_LITE, "ServiceUnavailableException", times=1)
    with pytest.raises(c.exceptions.ServiceUnavailableException):
        c.converse(modelId="chat", messages=MESSAGES)
    # Both are cooling now; the call is still made, least recently failed first.
    r = c.converse(modelId="chat", messages=MESSAGES)
    assert served(r) in (NOVA_LITE, NOVA_MICRO)


def test_deadline_bounds_the_whole_call(bedrock: LocalBedrock) -> None:
    import time

    c = wrap(bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}, read_timeout=5)),
             config={**CHAT, "routing": {"max_attempts_per_target": 5, "deadline_seconds": 0.5,
                                         "backoff_initial_seconds": 0.2}},
             registry=StaticRegistry(), environ={})
    bedrock.fail("*", "ThrottlingException", times=None)
    t0 = time.monotonic()
    with pytest.raises(c.exceptions.ThrottlingException):
        c.converse(modelId="chat", messages=MESSAGES)
    # 0.5 s deadline; the bound is generous so machine load cannot fail it (it catches a
    # call that would sleep through 5 attempts of backoff).
    assert time.monotonic() - t0 < 3.0


def test_client_factory_reads_the_environment(bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in bedrock.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("BEDROCK_LIFECYCLE_ALIAS_CHAT", f"{NOVA_PRO}")
    monkeypatch.setenv("BEDROCK_LIFECYCLE_FALLBACKS_CHAT", f"{HAIKU45}")
    c = bedrock_lifecycle.client(region_name="us-east-1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_PRO
    bedrock.fail(NOVA_PRO, "ServiceUnavailableException", times=None)
    assert served(c.converse(modelId="chat", messages=MESSAGES)) == HAIKU45


def test_events_one_per_attempt_with_tokens_and_flags(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}},
                       "routing": {"max_attempts_per_target": 1}})
    seen: list[Any] = []
    unsubscribe = bedrock_lifecycle.subscribe(seen.append, c)
    c.converse(modelId="chat", messages=MESSAGES)
    bedrock.fail(NOVA_LITE, "ThrottlingException", times=1)
    c.converse(modelId="chat", messages=MESSAGES)
    unsubscribe()
    c.converse(modelId="chat", messages=MESSAGES)
    assert [(e.model, e.outcome, e.error_code, e.fallback) for e in seen] == [
        (NOVA_LITE, "ok", None, False),
        (NOVA_LITE, "error", "ThrottlingException", False),
        (NOVA_MICRO, "ok", None, True),
    ]
    assert seen[0].input_tokens and seen[0].output_tokens and seen[0].alias == "chat"
    assert seen[1].input_tokens is None


def test_a_failing_hook_never_breaks_the_call(bedrock: LocalBedrock) -> None:
    c = make(bedrock, CHAT)

    def boom(event: Any) -> None:
        raise RuntimeError("hook bug")

    bedrock_lifecycle.subscribe(boom, c)
    assert served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_LITE


def test_set_weight_rolls_a_canary_back_through_ramps(bedrock: LocalBedrock) -> None:
    from bedrock_lifecycle.api import runtime_of

    c = make(bedrock, {"aliases": {"chat": {
        "targets": [{"model": NOVA_LITE, "weight": 50}, {"model": NOVA_PRO, "weight": 50}],
        "ramp": [{"at": "2026-01-01", "weights": [10, 90]}]}}})
    runtime_of(c).set_weight("chat", NOVA_PRO, 0)
    assert {served(c.converse(modelId="chat", messages=MESSAGES)) for _ in range(30)} == {NOVA_LITE}
    with pytest.raises(ValueError, match="no target"):
        runtime_of(c).set_weight("chat", NOVA_MICRO, 0)


def test_reconfigure_switches_atomically_under_load(bedrock: LocalBedrock) -> None:
    """Two versions whose alias and fallback always agree: any mix would show up."""
    from bedrock_lifecycle.api import reconfigure
    from bedrock_lifecycle.config import load_config

    v1 = load_config({"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_LITE]}}}, environ={})
    v2 = load_config({"aliases": {"chat": {"targets": [NOVA_PRO], "fallbacks": [NOVA_PRO]}},
                      "version": "v2"}, environ={})
    c = make(bedrock, v1.model_dump())
    stop = threading.Event()
    bad: list[str] = []
    served_models: Counter[str] = Counter()

    def work() -> None:
        while not stop.is_set():
            r = c.converse(modelId="chat", messages=MESSAGES)
            meta = r["ResponseMetadata"][META_KEY]
            m = meta["model_id"]
            served_models[m] += 1
            if (meta["config_version"] == "v2") != (m == NOVA_PRO):
                bad.append(f"{meta['config_version']} served {m}")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(20):
        reconfigure(c, v2 if i % 2 == 0 else v1)
    stop.set()
    for t in threads:
        t.join()
    assert not bad
    assert served_models[NOVA_LITE] and sum(served_models.values()) == bedrock.calls()


def test_reconfigure_rejects_a_bad_version_and_keeps_the_old(bedrock: LocalBedrock) -> None:
    from bedrock_lifecycle.api import reconfigure
    from bedrock_lifecycle.config import load_config
    from bedrock_lifecycle.errors import ConfigError

    c = make(bedrock, CHAT, now="2026-10-01")
    all_eol = load_config({"aliases": {"chat": {"targets": [HAIKU3]}}}, environ={})
    with pytest.raises(ConfigError):
        reconfigure(c, all_eol)
    assert served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_LITE


def test_rollback_override_stands_until_the_configuration_changes_that_alias(bedrock: LocalBedrock) -> None:
    from bedrock_lifecycle.api import reconfigure, runtime_of
    from bedrock_lifecycle.config import load_config

    base = {"aliases": {"chat": {"targets": [{"model": NOVA_LITE, "weight": 50}, {"model": NOVA_PRO, "weight": 50}]},
                        "other": {"targets": [NOVA_MICRO]}}}
    c = make(bedrock, base)
    runtime_of(c).set_weight("chat", NOVA_PRO, 0)
    # An unrelated change keeps the rollback...
    reconfigure(c, load_config({**base, "routing": {"max_attempts_per_target": 3}}, environ={}))
    assert {served(c.converse(modelId="chat", messages=MESSAGES)) for _ in range(20)} == {NOVA_LITE}
    # ...a new split for that alias replaces it.
    new = {"aliases": {"chat": {"targets": [{"model": NOVA_LITE, "weight": 0}, {"model": NOVA_PRO, "weight": 1}]}}}
    reconfigure(c, load_config(new, environ={}))
    assert {served(c.converse(modelId="chat", messages=MESSAGES)) for _ in range(5)} == {NOVA_PRO}


def test_every_weight_overridden_to_zero_still_serves_the_baseline(bedrock: LocalBedrock) -> None:
    from bedrock_lifecycle.api import runtime_of

    c = make(bedrock, {"aliases": {"chat": {"targets": [{"model": NOVA_LITE, "weight": 1}, {"model": NOVA_PRO, "weight": 1}]}}})
    rt = runtime_of(c)
    rt.set_weight("chat", NOVA_LITE, 0)
    rt.set_weight("chat", NOVA_PRO, 0)
    assert served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_LITE
    with bedrock_lifecycle.routing_key("k"):
        assert served(c.converse(modelId="chat", messages=MESSAGES)) == NOVA_LITE
    assert rt.clear_weight("chat", NOVA_PRO) and not rt.clear_weight("chat", NOVA_PRO)


def test_invoke_model_body_adapter_converts_for_another_family(bedrock: LocalBedrock) -> None:
    import json as _json

    from tests.adapters import anthropic_to_nova

    bedrock_lifecycle.register_adapter("anthropic_to_nova", anthropic_to_nova, replace=True)
    c = make(bedrock, {"aliases": {"chat": {"api": "invoke", "targets": [
        {"model": HAIKU45, "weight": 1},
        {"model": NOVA_PRO, "weight": 1, "body_adapter": "anthropic_to_nova"}]}}})
    body = _json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]})
    for _ in range(30):
        c.invoke_model(modelId="chat", body=body)["body"].read()
    sent = {q.model_id: q.body for q in bedrock.requests}
    assert set(sent) == {HAIKU45, NOVA_PRO}
    assert "anthropic_version" in sent[HAIKU45]
    assert sent[NOVA_PRO]["adapted_for"] == NOVA_PRO and "anthropic_version" not in sent[NOVA_PRO]


def test_invoke_alias_mixing_families_without_adapter_is_a_load_time_error(bedrock: LocalBedrock) -> None:
    from bedrock_lifecycle.errors import ConfigError

    with pytest.raises(ConfigError, match="body_adapter"):
        make(bedrock, {"aliases": {"chat": {"api": "invoke", "targets": [HAIKU45, NOVA_PRO]}}})


def test_read_timeout_is_retried_then_falls_back(bedrock: LocalBedrock) -> None:
    c = wrap(bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}, read_timeout=0.3)),
             config={**CHAT, "routing": {"max_attempts_per_target": 2}}, registry=StaticRegistry(),
             environ={}, sleep=lambda s: None)
    bedrock.hang(NOVA_LITE)
    r = c.converse(modelId="chat", messages=MESSAGES)
    assert served(r) == NOVA_MICRO
    assert [a["error_code"] for a in r["ResponseMetadata"][META_KEY]["attempts"]] == ["ReadTimeout", "ReadTimeout", None]


def test_wrapped_client_with_botocore_retries_counts_them(bedrock: LocalBedrock) -> None:
    # botocore standard mode: up to 3 attempts per call; the budget is 2 per target, so one
    # botocore call on the primary (3 wire attempts) exhausts it and the call falls back.
    raw = bedrock.runtime_client(config=BotoConfig(retries={"mode": "standard", "total_max_attempts": 3}))
    c = wrap(raw, config={**CHAT, "routing": {"max_attempts_per_target": 2}}, registry=StaticRegistry(), environ={})
    bedrock.fail(NOVA_LITE, "ServiceUnavailableException", times=None)
    r = c.converse(modelId="chat", messages=MESSAGES)
    assert served(r) == NOVA_MICRO
    assert bedrock.calls(model_id=NOVA_LITE) == 3  # botocore's own attempts, then no more from us
