"""Attempts on one target: backoff, Retry-After, deadlines, botocore's own attempts.

Driven through the real call flow (``core.drive.call``: the sync driver) for
one concrete model with no fallback. A fake monotonic clock that the recorded ``sleep``
advances: no test really waits.
"""

from __future__ import annotations

import random
import types
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.eventstream import EventStream
from botocore.exceptions import ClientError, EventStreamError, ReadTimeoutError

from bedrock_lifecycle.config import Config
from bedrock_lifecycle.core.backoff import botocore_attempts, retry_after_seconds
from bedrock_lifecycle.core.classify import DEFAULT_CLASSIFIER, Disposition, error_code
from bedrock_lifecycle.core.drive import call
from bedrock_lifecycle.core.operations import model_operations
from bedrock_lifecycle.core.state import ClientState
from bedrock_lifecycle.lifecycle.registry import Registry

RETRY, FALLBACK, FATAL = Disposition.RETRY, Disposition.FALLBACK, Disposition.FATAL
STATUS = {
    "ThrottlingException": 429,
    "ServiceUnavailableException": 503,
    "AccessDeniedException": 403,
    "ValidationException": 400,
    "ModelNotReadyException": 429,
}


def classify(exc: BaseException) -> Disposition:
    return DEFAULT_CLASSIFIER.classify(*error_code(exc))


def client_error(
    code: str = "ThrottlingException",
    message: str = "Too many requests, please wait before trying again.",
    *,
    headers: dict[str, str] | None = None,
    retry_attempts: int = 0,
) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {
                "RequestId": "0f5e9a9c-1111-4222-8333-444455556666",
                "HTTPStatusCode": STATUS.get(code, 400),
                "HTTPHeaders": {
                    "date": "Wed, 01 Jul 2026 12:00:00 GMT",
                    "content-type": "application/json",
                    "x-amzn-requestid": "0f5e9a9c-1111-4222-8333-444455556666",
                    "x-amzn-errortype": f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
                    **(headers or {}),
                },
                "RetryAttempts": retry_attempts,
            },
        },
        "Converse",
    )


def ok(retry_attempts: int = 0) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
        "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": retry_attempts},
    }


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []
        self.woke: list[float] = []  # the clock when each sleep ended

    def monotonic(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        assert s >= 0
        self.sleeps.append(s)
        self.t += s
        self.woke.append(self.t)


class Send:
    """Plays a script of responses/exceptions; each call takes ``cost`` seconds."""

    def __init__(self, clock: Clock, script: list[Any], cost: float = 0.05) -> None:
        self.clock = clock
        self.script = list(script)
        self.calls = 0
        self.cost = cost
        self.params: list[tuple[str, dict[str, Any]]] = []
        self.started: list[float] = []

    def __call__(self, operation: str, params: dict[str, Any]) -> Any:
        self.calls += 1
        self.params.append((operation, params))
        self.started.append(self.clock.t)
        self.clock.t += self.cost
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, BaseException):
            raise item
        return item


MODEL = "anthropic.claude-sonnet-4-6"
_OPS = model_operations(__import__("botocore.session").session.get_session().get_service_model("bedrock-runtime"))
_REGISTRY = Registry.default()


class Runner:
    def __init__(self, clock: Clock, owns_retries: bool, routing: dict[str, Any]) -> None:
        self.clock, self.owns_retries, self.routing = clock, owns_retries, routing


class Outcome:
    def __init__(self, response: Any, error: BaseException | None) -> None:
        self.response = response
        self.error = error
        raw = getattr(error, "attempts", None) or (
            response["ResponseMetadata"]["BedrockLifecycle"]["attempts"] if isinstance(response, dict) else [])
        self.attempts = [types.SimpleNamespace(duration=a["duration_ms"] / 1000.0, error=a["error_code"], **a) for a in raw]
        self.disposition = None if error is None else classify(error)


def runner(clock: Clock, *, owns_retries: bool = True, **routing: Any) -> Runner:
    cfg = {"max_attempts_per_target": 3, "backoff_initial_seconds": 0.1, "backoff_max_seconds": 2.0, **routing}
    return Runner(clock, owns_retries, cfg)


def run(r: Runner, send: Send, deadline: float | None = None, stream_member: str | None = None) -> Outcome:
    routing = dict(r.routing)
    if deadline is not None:
        routing["deadline_seconds"] = deadline - r.clock.t
    st = ClientState(region="us-east-1", model_ops=_OPS, sleep=r.clock.sleep, owns_retries=r.owns_retries,
                     registry=_REGISTRY)
    st.monotonic = r.clock.monotonic
    st.put_in_force(st.build(Config(routing=routing)))
    op = "ConverseStream" if stream_member else "Converse"
    try:
        # The client's plain _make_api_call is the test's send; the stream is not guarded.
        return Outcome(call(object(), st, lambda _client, o, p: send(o, p), op, {"modelId": MODEL},
                            lambda *_: None), None)
    except Exception as exc:
        return Outcome(None, exc)


@pytest.fixture(autouse=True)
def _seeded_jitter() -> Iterator[None]:
    """tenacity's jitter draws from the global random: seed it, and put it back after."""
    state = random.getstate()
    random.seed(12345)
    yield
    random.setstate(state)


# ------------------------------------------------------------------ basics


def test_success_first_try_does_not_sleep() -> None:
    clock = Clock()
    send = Send(clock, [ok()])
    out = run(runner(clock), send)
    assert out.error is None and out.disposition is None
    assert out.response["output"]["message"]["content"][0]["text"] == "hi"
    assert send.calls == 1 and clock.sleeps == []
    assert [a.outcome for a in out.attempts] == ["ok"]
    assert out.attempts[0].duration == pytest.approx(0.05)
    assert send.params == [("Converse", {"modelId": MODEL})]


def test_retry_then_success() -> None:
    clock = Clock()
    send = Send(clock, [client_error(), ok()])
    out = run(runner(clock), send)
    assert out.error is None and out.response is not None
    assert send.calls == 2
    assert len(clock.sleeps) == 1 and 0 <= clock.sleeps[0] <= 0.1
    assert [a.outcome for a in out.attempts] == ["error", "ok"]
    assert out.attempts[0].error is not None


def test_retry_twice_then_success_goes_through_tenacity() -> None:
    clock = Clock()
    send = Send(clock, [client_error(), client_error("ServiceUnavailableException", "busy"), ok()])
    out = run(runner(clock, max_attempts_per_target=5), send)
    assert out.error is None and send.calls == 3 and len(clock.sleeps) == 2
    assert [a.outcome for a in out.attempts] == ["error", "error", "ok"]


@pytest.mark.parametrize("max_attempts", [1, 2, 3, 5, 8])
def test_max_attempts_per_target_respected_exactly(max_attempts: int) -> None:
    clock = Clock()
    last = client_error("ModelNotReadyException", "not ready")
    send = Send(clock, [client_error()] * (max_attempts - 1) + [last])
    out = run(runner(clock, max_attempts_per_target=max_attempts), send)
    assert send.calls == max_attempts
    assert len(clock.sleeps) == max_attempts - 1
    assert out.disposition is RETRY
    assert out.error is last  # the last error is reported
    assert len(out.attempts) == max_attempts and all(a.outcome == "error" for a in out.attempts)


@pytest.mark.parametrize(
    ("code", "message", "disposition"),
    [
        ("AccessDeniedException", "You don't have access to the model with the specified model ID.", FALLBACK),
        ("ResourceNotFoundException", "This model version has reached the end of its life.", FALLBACK),
        ("ValidationException", "Malformed input request", FATAL),
        ("ModelErrorException", "boom", FATAL),
    ],
)
def test_fallback_and_fatal_errors_are_not_retried(code: str, message: str, disposition: Disposition) -> None:
    clock = Clock()
    err = client_error(code, message)
    send = Send(clock, [err])
    out = run(runner(clock, max_attempts_per_target=5), send)
    assert send.calls == 1 and clock.sleeps == []
    assert out.disposition is disposition and out.error is err


def test_a_fallback_error_during_retries_stops_them() -> None:
    clock = Clock()
    denied = client_error("AccessDeniedException", "denied")
    send = Send(clock, [client_error(), client_error(), denied, ok()])
    out = run(runner(clock, max_attempts_per_target=10), send)
    assert send.calls == 3
    assert out.disposition is FALLBACK and out.error is denied


def test_transport_errors_are_retried() -> None:
    clock = Clock()
    send = Send(clock, [ReadTimeoutError(endpoint_url="https://x"), ok()])
    out = run(runner(clock), send)
    assert out.error is None and send.calls == 2


# ------------------------------------------------------------------ backoff


def test_backoff_windows_double_from_the_first_retry() -> None:
    """Full jitter: wait k is uniform in [0, initial * 2**(k-1)], capped at the max."""
    per_wait: list[list[float]] = [[], [], [], []]
    for _ in range(300):
        clock = Clock()
        send = Send(clock, [client_error()])
        run(runner(clock, max_attempts_per_target=5, backoff_initial_seconds=1.0, backoff_max_seconds=6.0), send)
        assert len(clock.sleeps) == 4
        for k, s in enumerate(clock.sleeps):
            per_wait[k].append(s)
    for k, windows in enumerate(per_wait):
        cap = min(6.0, 2.0**k)
        assert max(windows) <= cap
        # the window really widens: the largest draw of 300 is near the cap
        assert max(windows) > 0.9 * cap, (k, max(windows))


def test_backoff_never_exceeds_the_max() -> None:
    clock = Clock()
    send = Send(clock, [client_error()])
    run(runner(clock, max_attempts_per_target=12, backoff_initial_seconds=1.0, backoff_max_seconds=1.5), send)
    assert len(clock.sleeps) == 11 and max(clock.sleeps) <= 1.5


# ------------------------------------------------------------------ Retry-After


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"x-amz-retry-after": "2500"}, 2.5),
        ({"x-amz-retry-after": "750", "retry-after": "9"}, 0.75),  # the precise one wins
        ({"x-amz-retry-after": "soon", "retry-after": "4"}, 4.0),  # a bad one does not hide a good one
        ({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
        ({"retry-after": "-5"}, 0.0),
        ({"retry-after": "nan"}, None),
        ({}, None),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(client_error(headers=headers)) == expected


def test_retry_after_ignores_non_client_errors() -> None:
    assert retry_after_seconds(ValueError("x")) is None
    assert retry_after_seconds(ClientError({"Error": {"Code": "X"}}, "Converse")) is None


@pytest.mark.parametrize(
    ("headers", "wait"),
    [({"retry-after": "2"}, 2.0), ({"x-amz-retry-after": "1500"}, 1.5)],
)
def test_retry_after_raises_every_wait(headers: dict[str, str], wait: float) -> None:
    clock = Clock()
    send = Send(clock, [client_error(headers=headers), client_error(headers=headers), ok()])
    out = run(runner(clock, max_attempts_per_target=3), send)
    assert out.error is None and send.calls == 3
    # backoff alone would be <= 0.1 then <= 0.2
    assert clock.sleeps == [pytest.approx(wait), pytest.approx(wait)]


def test_retry_after_below_backoff_does_not_lower_it() -> None:
    clock = Clock()
    send = Send(clock, [client_error(headers={"x-amz-retry-after": "0"})] * 3 + [ok()])
    run(runner(clock, max_attempts_per_target=4, backoff_initial_seconds=1.0), send)
    assert len(clock.sleeps) == 3 and sum(clock.sleeps) > 0


# ------------------------------------------------------------------ deadline


def test_deadline_stops_retries_instead_of_sleeping_into_it() -> None:
    """A Retry-After longer than the time left: give up at once, so the fallback target
    still has the remaining budget (sleeping until the deadline left it none)."""
    clock = Clock()
    send = Send(clock, [client_error(headers={"retry-after": "30"}), ok()])
    deadline = clock.t + 5.0
    out = run(runner(clock, max_attempts_per_target=5), send, deadline=deadline)
    assert send.calls == 1
    assert clock.sleeps == []
    assert out.disposition is RETRY and out.error is not None
    assert clock.t < deadline


def test_deadline_stops_retries_in_later_attempts_too() -> None:
    clock = Clock()
    send = Send(clock, [client_error(), client_error(headers={"retry-after": "30"}), ok()])
    deadline = clock.t + 5.0
    out = run(runner(clock, max_attempts_per_target=5), send, deadline=deadline)
    assert send.calls == 2 and len(clock.sleeps) == 1
    assert out.disposition is RETRY and clock.t < deadline


@pytest.mark.parametrize("seed", range(20))
def test_deadline_caps_total_time(seed: int) -> None:
    random.seed(seed)
    clock = Clock()
    send = Send(clock, [client_error()], cost=0.3)
    deadline = clock.t + 4.0
    r = runner(clock, max_attempts_per_target=20, backoff_initial_seconds=0.5, backoff_max_seconds=3.0)
    out = run(r, send, deadline=deadline)
    assert out.disposition is RETRY
    assert all(t <= deadline for t in clock.woke)  # no sleep ran past the deadline
    assert all(t < deadline for t in send.started)  # no attempt started after it
    assert send.calls < 20  # the deadline, not the attempt budget, ended it


def test_deadline_already_passed_after_first_failure() -> None:
    clock = Clock()
    send = Send(clock, [client_error(), ok()], cost=2.0)
    out = run(runner(clock), send, deadline=clock.t + 1.0)
    assert send.calls == 1 and clock.sleeps == [] and out.disposition is RETRY


# ------------------------------------------------------------------ botocore's own attempts


def test_botocore_attempts() -> None:
    assert botocore_attempts(client_error(retry_attempts=2)) == 3
    assert botocore_attempts(ok(retry_attempts=1)) == 2
    assert botocore_attempts(ok()) == 1
    assert botocore_attempts({"ResponseMetadata": {"RetryAttempts": "x"}}) == 1
    assert botocore_attempts(ValueError()) == 1


def test_botocore_retries_count_against_the_budget() -> None:
    # botocore already made 3 attempts (RetryAttempts=2): a budget of 3 is spent.
    clock = Clock()
    send = Send(clock, [client_error(retry_attempts=2), ok()])
    out = run(runner(clock, owns_retries=False, max_attempts_per_target=3), send)
    assert send.calls == 1 and clock.sleeps == [] and out.disposition is RETRY


def test_botocore_retries_counted_across_calls() -> None:
    # 2 + 2 >= 4: two calls, not four
    clock = Clock()
    send = Send(clock, [client_error(retry_attempts=1)] * 3 + [ok()])
    out = run(runner(clock, owns_retries=False, max_attempts_per_target=4), send)
    assert send.calls == 2 and out.disposition is RETRY
    # 2 + 1 < 4: a third call is allowed
    clock = Clock()
    send = Send(clock, [client_error(retry_attempts=1), client_error(retry_attempts=0), ok()])
    out = run(runner(clock, owns_retries=False, max_attempts_per_target=4), send)
    assert send.calls == 3 and out.error is None


def test_owning_retries_ignores_retry_attempts() -> None:
    clock = Clock()
    send = Send(clock, [client_error(retry_attempts=5), ok()])
    out = run(runner(clock, owns_retries=True, max_attempts_per_target=2), send)
    assert send.calls == 2 and out.error is None


# ------------------------------------------------------------------ streams


class FakeStream(EventStream):  # type: ignore[misc]
    """An EventStream whose events are given (an exception item is raised)."""

    def __init__(self, events: list[Any]) -> None:
        self._events = events

    def __iter__(self) -> Iterator[Any]:
        for e in self._events:
            if isinstance(e, BaseException):
                raise e
            yield e


def test_stream_error_before_the_first_event_is_retried() -> None:
    clock = Clock()
    throttled = EventStreamError({"Error": {"Code": "throttlingException", "Message": "slow"}}, "ConverseStream")
    good = FakeStream([{"messageStart": {"role": "assistant"}}, {"messageStop": {}}])
    send = Send(clock, [{"stream": FakeStream([throttled])}, {"stream": good}])
    out = run(runner(clock), send, stream_member="stream")
    assert out.error is None and send.calls == 2
    first, rest = out.response["stream"]._bl_peeked
    assert first == {"messageStart": {"role": "assistant"}}
    assert list(rest) == [{"messageStop": {}}]


def test_stream_validation_error_is_fatal() -> None:
    clock = Clock()
    bad = EventStreamError({"Error": {"Code": "validationException", "Message": "bad input"}}, "ConverseStream")
    send = Send(clock, [{"stream": FakeStream([bad])}])
    out = run(runner(clock), send, stream_member="stream")
    assert send.calls == 1 and out.disposition is FATAL


def test_empty_stream_is_a_success() -> None:
    clock = Clock()
    send = Send(clock, [{"stream": FakeStream([])}])
    out = run(runner(clock), send, stream_member="stream")
    assert out.error is None
    assert out.response["stream"]._bl_peeked[0] is None
