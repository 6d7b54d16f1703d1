"""The behaviour suite, run against the sync client and the async (aiobotocore) client.

Both are driven by the same call flow (core.flow); these tests are written once and
parametrised over the two drivers, each sending over real HTTP to the local Bedrock:
aliases, weights and sticky keys, ramps, retries, fallback, policy refusals before any
network call, streams (fallback before the first event, normalised errors after it),
response metadata, observers, cooldowns and the deadline.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

import bedrock_lifecycle
from bedrock_lifecycle.api import wrap
from bedrock_lifecycle.core.flow import META_KEY
from bedrock_lifecycle.errors import ModelLegacyError
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import MESSAGES, NOVA_LITE, NOVA_MICRO, NOVA_PRO, at

SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # Legacy from 2026-10-08


class Driver:
    """Makes a client of one flavour and calls it synchronously from the test."""

    def __init__(self, flavour: str, bedrock: LocalBedrock) -> None:
        self.flavour = flavour
        self.bedrock = bedrock
        self.loop = asyncio.new_event_loop() if flavour == "async" else None
        self._exits: list[Any] = []

    def make(self, config: dict[str, Any], *, now: str = "2026-05-01", **kw: Any) -> Any:
        common = dict(config=config, clock=lambda: at(now), environ={"BEDROCK_LIFECYCLE_METRICS": "off"}, **kw)
        if self.loop is None:
            from botocore.config import Config as BotoConfig

            raw = self.bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}))
            return wrap(raw, sleep=lambda s: None, **common)
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        async def create() -> Any:
            ctx = get_session().create_client(
                "bedrock-runtime", region_name="us-east-1", endpoint_url=self.bedrock.endpoint_url,
                aws_access_key_id="x", aws_secret_access_key="x",
                config=AioConfig(retries={"total_max_attempts": 1}))
            raw = await ctx.__aenter__()
            self._exits.append(ctx)

            async def no_sleep(s: float) -> None:
                return None

            return wrap(raw, asleep=no_sleep, **common)

        return self.loop.run_until_complete(create())

    def call(self, c: Any, method: str, **params: Any) -> Any:
        if self.loop is None:
            return getattr(c, method)(**params)
        return self.loop.run_until_complete(getattr(c, method)(**params))

    def stream(self, c: Any, method: str, member: str, **params: Any) -> tuple[Any, list[Any]]:
        """Call a streaming operation and read every event (an error propagates)."""
        if self.loop is None:
            resp = getattr(c, method)(**params)
            return resp, list(resp[member])

        async def go() -> tuple[Any, list[Any]]:
            resp = await getattr(c, method)(**params)
            return resp, [e async for e in resp[member]]

        return self.loop.run_until_complete(go())

    def close(self) -> None:
        if self.loop is not None:
            for ctx in self._exits:
                self.loop.run_until_complete(ctx.__aexit__(None, None, None))
            self.loop.close()


@pytest.fixture(params=["sync", "async"])
def drv(request: pytest.FixtureRequest, bedrock: LocalBedrock) -> Iterator[Driver]:
    d = Driver(request.param, bedrock)
    yield d
    d.close()


def served(resp: dict[str, Any]) -> str:
    return str(resp["ResponseMetadata"][META_KEY]["model_id"])


def test_alias_resolved_on_the_wire(drv: Driver, bedrock: LocalBedrock) -> None:
    c = drv.make({"aliases": {"chat": {"targets": [NOVA_LITE]}}})
    r = drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    assert served(r) == NOVA_LITE and bedrock.requests[-1].model_id == NOVA_LITE
    meta = r["ResponseMetadata"]
    assert meta[META_KEY]["alias"] == "chat" and meta["HTTPStatusCode"] == 200
    assert "MaxAttemptsReached" not in meta and meta["RetryAttempts"] == 0


def test_sticky_keys_and_weights(drv: Driver) -> None:
    c = drv.make({"aliases": {"chat": {"targets": [{"model": NOVA_LITE, "weight": 50},
                                                   {"model": NOVA_PRO, "weight": 50}]}}})
    picks = {}
    for key in ("a", "b", "c", "d", "e", "f", "g", "h"):
        with bedrock_lifecycle.routing_key(key):
            first = served(drv.call(c, "converse", modelId="chat", messages=MESSAGES))
            again = served(drv.call(c, "converse", modelId="chat", messages=MESSAGES))
        assert first == again
        picks[key] = first
    assert set(picks.values()) == {NOVA_LITE, NOVA_PRO}  # 8 keys at 50/50: both (p = 1 - 2/256)


def test_ramp_follows_the_clock(drv: Driver) -> None:
    cfg = {"aliases": {"chat": {"targets": [NOVA_LITE, {"model": NOVA_PRO, "weight": 0}],
                                "ramp": [{"at": "2026-06-01", "weights": [0, 100]}]}}}
    assert served(drv.call(drv.make(cfg, now="2026-05-01"), "converse", modelId="chat", messages=MESSAGES)) == NOVA_LITE
    assert served(drv.call(drv.make(cfg, now="2026-06-02"), "converse", modelId="chat", messages=MESSAGES)) == NOVA_PRO


def test_retry_then_fallback(drv: Driver, bedrock: LocalBedrock) -> None:
    bedrock.fail(NOVA_LITE, "ThrottlingException", times=None)
    c = drv.make({"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}},
                  "routing": {"max_attempts_per_target": 2}})
    r = drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    attempts = r["ResponseMetadata"][META_KEY]["attempts"]
    assert [(a["model"], a["outcome"]) for a in attempts] == [
        (NOVA_LITE, "error"), (NOVA_LITE, "error"), (NOVA_MICRO, "ok")]
    assert bedrock.calls(NOVA_LITE) == 2 and served(r) == NOVA_MICRO


def test_retry_on_the_same_model_sets_retry_attempts(drv: Driver, bedrock: LocalBedrock) -> None:
    bedrock.fail(NOVA_LITE, "ServiceUnavailableException", times=1)
    c = drv.make({"aliases": {"chat": {"targets": [NOVA_LITE]}}})
    r = drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    assert r["ResponseMetadata"]["RetryAttempts"] == 1 and "MaxAttemptsReached" not in r["ResponseMetadata"]


def test_every_target_failing_raises_the_plain_error_with_attempts(drv: Driver, bedrock: LocalBedrock) -> None:
    bedrock.fail("*", "ServiceUnavailableException", times=None)
    c = drv.make({"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}},
                  "routing": {"max_attempts_per_target": 1}})
    with pytest.raises(ClientError) as info:
        drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "ServiceUnavailableException"
    assert [a["model"] for a in info.value.attempts] == [NOVA_LITE, NOVA_MICRO]  # type: ignore[attr-defined]
    assert isinstance(info.value, c.exceptions.ServiceUnavailableException)


def test_caller_errors_are_not_retried_or_fallen_back(drv: Driver, bedrock: LocalBedrock) -> None:
    bedrock.fail(NOVA_LITE, "ValidationException", times=None, message="messages.0.content: must not be empty")
    c = drv.make({"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}}})
    with pytest.raises(c.exceptions.ValidationException):
        drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    assert bedrock.calls() == 1


def test_policy_refuses_before_any_network_call(drv: Driver, bedrock: LocalBedrock) -> None:
    c = drv.make({"policy": {"on_legacy": "error"}, "aliases": {"chat": {"targets": [SONNET_45]}}}, now="2026-11-01")
    with pytest.raises(ModelLegacyError) as info:
        drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    assert isinstance(info.value, c.exceptions.ResourceNotFoundException)
    assert bedrock.calls() == 0


def test_policy_fallback_skips_a_legacy_target(drv: Driver, bedrock: LocalBedrock) -> None:
    c = drv.make({"policy": {"on_legacy": "fallback"}, "aliases": {"chat": {"targets": [SONNET_45],
                                                                            "fallbacks": [NOVA_LITE]}}},
                 now="2026-11-01")
    r = drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    assert [a["outcome"] for a in r["ResponseMetadata"][META_KEY]["attempts"]] == ["skipped", "ok"]
    assert bedrock.calls(SONNET_45) == 0


def test_warning_on_legacy(drv: Driver) -> None:
    c = drv.make({"aliases": {"chat": {"targets": [SONNET_45]}}}, now="2026-11-01")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    assert any(isinstance(w.message, bedrock_lifecycle.ModelLegacyWarning) for w in seen)


def test_stream_falls_back_before_the_first_event(drv: Driver, bedrock: LocalBedrock) -> None:
    bedrock.stream_error(NOVA_LITE, "throttlingException", after_events=0, times=None)
    c = drv.make({"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}},
                  "routing": {"max_attempts_per_target": 1}})
    resp, events = drv.stream(c, "converse_stream", "stream", modelId="chat", messages=MESSAGES)
    assert served(resp) == NOVA_MICRO
    assert "messageStart" in events[0] and "messageStop" in [next(iter(e)) for e in events]


def test_stream_error_after_the_first_event_is_normalised(drv: Driver, bedrock: LocalBedrock) -> None:
    bedrock.stream_error(NOVA_LITE, "throttlingException", after_events=2, times=None)
    c = drv.make({"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}}})
    with pytest.raises(ClientError) as info:
        drv.stream(c, "converse_stream", "stream", modelId="chat", messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert info.value.attempts[-1]["outcome"] == "stream_error"  # type: ignore[attr-defined]


def test_invoke_model_stream_and_body(drv: Driver) -> None:
    import json

    c = drv.make({"aliases": {"nova": {"targets": [NOVA_LITE]}}})
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "hi"}]}]})
    r = drv.call(c, "invoke_model", modelId="nova", body=body)
    assert served(r) == NOVA_LITE
    resp, events = drv.stream(c, "invoke_model_with_response_stream", "body", modelId="nova", body=body)
    assert served(resp) == NOVA_LITE and events


def test_observers_see_every_attempt(drv: Driver, bedrock: LocalBedrock) -> None:
    bedrock.fail(NOVA_LITE, "ThrottlingException", times=1)
    c = drv.make({"aliases": {"chat": {"targets": [NOVA_LITE]}}})
    seen: list[Any] = []
    bedrock_lifecycle.subscribe(seen.append, client=c)
    drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    assert [(e.model, e.outcome) for e in seen] == [(NOVA_LITE, "error"), (NOVA_LITE, "ok")]
    assert seen[-1].output_tokens is not None


def test_cooldown_puts_a_failing_target_last(drv: Driver, bedrock: LocalBedrock) -> None:
    bedrock.fail(NOVA_LITE, "ServiceUnavailableException", times=None)
    c = drv.make({"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}},
                  "routing": {"max_attempts_per_target": 1, "cooldown_after_failures": 1, "cooldown_seconds": 60}})
    drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    r = drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    assert [a["model"] for a in r["ResponseMetadata"][META_KEY]["attempts"]] == [NOVA_MICRO]


def test_concrete_model_ids_and_count_tokens_pass_through(drv: Driver, bedrock: LocalBedrock) -> None:
    c = drv.make({})
    assert served(drv.call(c, "converse", modelId=NOVA_PRO, messages=MESSAGES)) == NOVA_PRO
    drv.call(c, "count_tokens", modelId=NOVA_PRO, input={"converse": {"messages": MESSAGES}})
    assert bedrock.requests[-1].model_id == NOVA_PRO


def test_wrap_refuses_what_is_not_a_bedrock_runtime_client() -> None:
    with pytest.raises(TypeError, match="boto3/botocore or aiobotocore bedrock-runtime client"):
        wrap(object())


def test_a_thousand_concurrent_async_calls_with_faults_lose_nothing(bedrock: LocalBedrock) -> None:
    """1,000 calls at once on one event loop, with throttles, 5xx and mid-stream-free
    faults scripted on the primary: every call returns or raises a documented error
    carrying its attempts; the server saw exactly the attempts the client reports."""
    drv = Driver("async", bedrock)
    try:
        bedrock.fail(NOVA_LITE, "ThrottlingException", times=250)
        bedrock.fail(NOVA_PRO, "ServiceUnavailableException", times=150)
        bedrock.fail(NOVA_MICRO, "InternalServerException", times=40)
        c = drv.make({"aliases": {"chat": {"targets": [{"model": NOVA_LITE, "weight": 70},
                                                       {"model": NOVA_PRO, "weight": 30}],
                                           "fallbacks": [NOVA_MICRO]}},
                      "routing": {"max_attempts_per_target": 2}})

        async def one(i: int) -> tuple[str, int]:
            with bedrock_lifecycle.routing_key(f"user-{i}"):
                try:
                    r = await c.converse(modelId="chat", messages=MESSAGES)
                except ClientError as exc:
                    tried = {a["model"] for a in exc.attempts}  # type: ignore[attr-defined]
                    assert tried == {NOVA_LITE, NOVA_PRO, NOVA_MICRO}  # failed only when all did
                    return "failed", len(exc.attempts)  # type: ignore[attr-defined]
            return "ok", len(r["ResponseMetadata"][META_KEY]["attempts"])

        async def all_calls() -> list[tuple[str, int]]:
            return await asyncio.gather(*(one(i) for i in range(1000)))

        assert drv.loop is not None
        results = drv.loop.run_until_complete(all_calls())
    finally:
        drv.close()
    assert len(results) == 1000  # nothing lost: every task ended with a response or an error
    sent = sum(n for _, n in results)
    assert sent == bedrock.calls(operation="Converse")  # attempts reported == requests received
    assert sum(1 for s, _ in results if s == "ok") >= 900


def test_shadow_copies_are_sent_off_the_callers_path(drv: Driver, bedrock: LocalBedrock) -> None:
    from bedrock_lifecycle.migrate.shadow import mirror_of

    c = drv.make({"aliases": {"chat": {"targets": [NOVA_LITE], "shadow": {"model": NOVA_PRO, "sample": 1.0}}}})
    r = drv.call(c, "converse", modelId="chat", messages=MESSAGES)
    assert served(r) == NOVA_LITE
    mirror = mirror_of(c)
    assert mirror is not None
    if drv.loop is None:
        assert mirror.drain(10)
    else:  # the copy runs on the client's loop: keep it running while the pool drains
        assert drv.loop.run_until_complete(asyncio.to_thread(mirror.drain, 10))
    assert bedrock.calls(NOVA_PRO) == 1 and mirror.stats()["completed"] == 1
