"""The AppConfig source over HTTP to the local AppConfig Data: sessions, tokens, empty bodies,
the service's poll interval, expired tokens, and the reload guarantees every source has."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config as BotoConfig
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bedrock_lifecycle
from bedrock_lifecycle.api import runtime_of
from bedrock_lifecycle.config import reload, sources
from bedrock_lifecycle.config.appconfig import AppConfigSource
from bedrock_lifecycle.config.schema import Config
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.testing import LocalBedrock

LITE, MICRO, PRO = "amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "amazon.nova-pro-v1:0"
ID = "shop/prod/bedrock-lifecycle"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def doc(model: str) -> dict[str, Any]:
    return {"aliases": {"chat": {"targets": [model]}}}


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def server(bedrock: LocalBedrock) -> Iterator[LocalBedrock]:
    AppConfigSource.forget_sessions()
    bedrock.deploy_appconfig("shop", "prod", "bedrock-lifecycle", doc(LITE))
    yield bedrock
    AppConfigSource.forget_sessions()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def source(server: LocalBedrock, clock: FakeClock, ttl: float = 60.0, ident: str = ID) -> AppConfigSource:
    # one attempt per call: the scripted faults below count calls, not botocore's retries
    client = server.client("appconfigdata", config=BotoConfig(retries={"total_max_attempts": 1}))
    return AppConfigSource(ident, client=client, ttl=ttl, clock=clock)


def gets(server: LocalBedrock) -> int:
    return server.calls(operation="GetLatestConfiguration")


def test_an_empty_body_means_unchanged_and_a_deployment_is_a_new_version(
    server: LocalBedrock, clock: FakeClock
) -> None:
    src = source(server, clock)
    first = src.fetch()
    assert first.data == doc(LITE)
    assert first.version.startswith(f"appconfig:{ID}:")
    assert server.appconfig_sessions == 1

    clock.t += 60
    assert src.fetch() is first  # polled; the empty body kept the document
    assert gets(server) == 2

    server.deploy_appconfig("shop", "prod", "bedrock-lifecycle", doc(MICRO), version_label="v2")
    clock.t += 60
    second = src.fetch()
    assert second.data == doc(MICRO)
    assert second.version.startswith(f"appconfig:{ID}:v2@")
    assert server.appconfig_sessions == 1  # one session, token after token


def test_no_poll_before_the_interval_and_the_service_interval_is_a_floor(
    server: LocalBedrock, clock: FakeClock
) -> None:
    server.set_appconfig_poll_interval(120)
    src = source(server, clock, ttl=60)
    src.fetch()
    for step in (1, 59, 60, 119):
        clock.t = 1000.0 + step
        src.fetch()
        src.fetch(fresh=True)
    assert gets(server) == 1  # the service asked for 120 s: neither the ttl nor fresh= beat it
    clock.t = 1120.0
    src.fetch()
    assert gets(server) == 2


def test_the_ttl_spaces_polls_when_it_is_longer_and_fresh_needs_only_the_service(
    server: LocalBedrock, clock: FakeClock
) -> None:
    server.set_appconfig_poll_interval(15)
    src = source(server, clock, ttl=300)
    src.fetch()
    clock.t += 20
    src.fetch()
    assert gets(server) == 1
    src.fetch(fresh=True)
    assert gets(server) == 2
    # the session asked the service for the ttl as its minimum interval
    start = next(r for r in server.requests if r.operation == "StartConfigurationSession")
    assert isinstance(start.body, dict)
    assert start.body["RequiredMinimumPollIntervalInSeconds"] == 300


def test_an_expired_token_starts_a_new_session_and_the_same_content_is_the_same_version(
    server: LocalBedrock, clock: FakeClock
) -> None:
    src = source(server, clock)
    first = src.fetch()
    assert server.expire_appconfig_tokens() == 1
    clock.t += 60
    again = src.fetch()
    assert again is first
    assert server.appconfig_sessions == 2
    codes = [r.error_code for r in server.requests if r.operation == "GetLatestConfiguration"]
    assert codes == [None, "BadRequestException", None]


def test_a_refused_new_session_is_a_source_error_not_a_loop(server: LocalBedrock, clock: FakeClock) -> None:
    src = source(server, clock)
    src.fetch()
    server.fail_appconfig("GetLatestConfiguration", "BadRequestException", times=2, status=400)
    clock.t += 60
    with pytest.raises(sources.SourceError, match=f"AppConfig {ID}: BadRequestException"):
        src.fetch()
    assert gets(server) == 3
    clock.t += 60
    assert src.fetch().data == doc(LITE)  # recovers with a new session


def test_unreachable_or_failing_service_is_a_source_error_and_the_token_is_not_reused(
    server: LocalBedrock, clock: FakeClock
) -> None:
    src = source(server, clock)
    src.fetch()
    server.fail_appconfig("GetLatestConfiguration", "InternalServerException", times=1)
    clock.t += 60
    with pytest.raises(sources.SourceError, match="InternalServerException"):
        src.fetch()
    clock.t += 60
    assert src.fetch().data == doc(LITE)
    assert server.calls(operation="GetLatestConfiguration") >= 3
    assert all(r.error_code != "BadRequestException" for r in server.requests)


def test_nothing_deployed_fails_start_up_with_a_clear_error(server: LocalBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in server.env().items():
        monkeypatch.setenv(k, v)
    env = {"BEDROCK_LIFECYCLE_CONFIG": "appconfig:shop/staging/bedrock-lifecycle"}
    with pytest.raises(ConfigError, match=r"AppConfig shop/staging/bedrock-lifecycle: cannot start a "
                                          r"configuration session: ResourceNotFoundException.*start-up"):
        sources.initial(env)


@pytest.mark.parametrize("bad", ["shop/prod", "shop//p", "a/b/c/d", ""])
def test_a_malformed_identifier_names_the_value(bad: str) -> None:
    with pytest.raises(ConfigError, match=f"appconfig:'{bad}' must name APPLICATION/ENVIRONMENT/PROFILE"):
        sources.source_from(f"appconfig:{bad}")


def test_toml_content_by_content_type(server: LocalBedrock, clock: FakeClock) -> None:
    server.deploy_appconfig("shop", "prod", "toml", '[aliases.chat]\ntargets = ["amazon.nova-pro-v1:0"]\n',
                            content_type="application/toml")
    assert source(server, clock, ident="shop/prod/toml").fetch().data == doc(PRO)


def test_sources_of_one_profile_share_one_session(server: LocalBedrock, clock: FakeClock) -> None:
    many = [source(server, clock) for _ in range(5)]
    assert len({s.fetch().version for s in many}) == 1
    clock.t += 60
    for s in many:
        s.fetch()
    assert server.appconfig_sessions == 1
    assert gets(server) == 2


def test_concurrent_fetches_never_reuse_a_token(server: LocalBedrock, clock: FakeClock) -> None:
    server.set_appconfig_poll_interval(0)
    src = source(server, clock, ttl=0.05)
    errors: list[BaseException] = []

    def work() -> None:
        for _ in range(20):
            try:
                src.fetch(fresh=True)
            except BaseException as exc:  # collected: a failure in a thread must fail the test
                errors.append(exc)
            clock.t += 0.01

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert server.appconfig_sessions == 1
    assert all(r.error_code is None for r in server.requests)


# --- the reload guarantees ------------------------------------------------------------------


class _Client:
    """Stands in for a lifecycle client: the reloader holds it weakly and applies to it."""


def _reloader(src: AppConfigSource, client: _Client, applied: list[Config]) -> tuple[reload.Reloader, Any]:
    """A reloader of ``src`` for ``client`` (held weakly: the caller keeps it alive),
    recording what it applies; and the first fetched document."""
    first = src.fetch()
    return reload.Reloader(client, src, environ={}, ttl=60, version=first.version,
                           apply=lambda _c, cfg: applied.append(cfg)), first


def test_a_bad_version_is_rejected_once_and_the_last_good_stays(server: LocalBedrock, clock: FakeClock) -> None:
    src = source(server, clock)
    applied: list[Config] = []
    client = _Client()
    rl, first = _reloader(src, client, applied)
    server.deploy_appconfig("shop", "prod", "bedrock-lifecycle", b"{not json", content_type="application/json")
    clock.t += 60
    with pytest.warns(reload.ConfigReloadWarning, match="rejected, keeping appconfig:"):
        assert rl.check() is False
    for _ in range(3):  # the session has seen it: empty bodies, no second warning
        clock.t += 60
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert rl.check() is False
    assert rl.version == first.version
    server.deploy_appconfig("shop", "prod", "bedrock-lifecycle", doc(MICRO))
    clock.t += 60
    assert rl.check() is True
    assert applied[-1].aliases["chat"].targets[0].model == MICRO


def test_an_invalid_configuration_is_rejected_and_an_outage_keeps_the_last_good(
    server: LocalBedrock, clock: FakeClock
) -> None:
    src = source(server, clock)
    applied: list[Config] = []
    client = _Client()
    rl, first = _reloader(src, client, applied)
    server.deploy_appconfig("shop", "prod", "bedrock-lifecycle", {"aliases": {"chat": {"targets": []}}})
    clock.t += 60
    with pytest.warns(reload.ConfigReloadWarning, match="chat"):
        assert rl.check() is False
    server.fail_appconfig("*", "InternalServerException", times=None)
    clock.t += 60
    with pytest.warns(reload.ConfigReloadWarning, match="keeping configuration version appconfig:"):
        assert rl.check() is False
    assert rl.failures == 1 and rl.version == first.version and applied == []


def test_end_to_end_a_client_follows_a_deployment(
    server: LocalBedrock, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    for k, v in server.env().items():
        monkeypatch.setenv(k, v)
    server.set_appconfig_poll_interval(0)  # the local service lets a test poll fast
    env = {"BEDROCK_LIFECYCLE_CONFIG": f"appconfig:{ID}", "BEDROCK_LIFECYCLE_CONFIG_TTL": "0.05"}
    client = bedrock_lifecycle.client(region_name="us-east-1", environ=env)
    reloader = runtime_of(client).reloader
    assert reloader is not None
    request.addfinalizer(reloader.stop)  # the client may outlive the test; its poller must not
    meta = bedrock_lifecycle.lifecycle_metadata(client.converse(modelId="chat", messages=MESSAGES))
    assert meta is not None and meta["model_id"] == LITE
    server.deploy_appconfig("shop", "prod", "bedrock-lifecycle", doc(MICRO))
    deadline = time.monotonic() + 10
    model = LITE
    while model != MICRO and time.monotonic() < deadline:
        time.sleep(0.05)
        meta = bedrock_lifecycle.lifecycle_metadata(client.converse(modelId="chat", messages=MESSAGES))
        assert meta is not None
        model = meta["model_id"]
    assert model == MICRO
    assert server.appconfig_sessions == 1


def test_a_bad_latest_version_stays_refused_on_empty_polls_and_for_new_clients(
    server: LocalBedrock, clock: FakeClock
) -> None:
    server.deploy_appconfig("shop", "prod", "bedrock-lifecycle", b"{broken", content_type="application/json")
    src = source(server, clock)
    with pytest.raises(ConfigError) as first:
        src.fetch()
    clock.t += 60
    with pytest.raises(ConfigError) as again:  # an empty body: the latest content is still bad
        src.fetch()
    assert again.value.version == first.value.version  # type: ignore[attr-defined]
    assert str(again.value) == str(first.value)
    with pytest.raises(ConfigError):  # a second source in the process sees the same
        source(server, clock).fetch()
    assert gets(server) == 2  # ... without asking before the service's interval
    server.deploy_appconfig("shop", "prod", "bedrock-lifecycle", doc(MICRO))
    clock.t += 60
    assert src.fetch().data == doc(MICRO)
    assert server.appconfig_sessions == 1


ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("deploy"), st.sampled_from([LITE, MICRO, PRO])),
    st.tuples(st.just("advance"), st.sampled_from([1, 15, 59, 60, 61, 120, 300])),
    st.tuples(st.just("fetch"), st.booleans()),
    st.tuples(st.just("interval"), st.sampled_from([15, 60, 120])),
    st.tuples(st.just("expire"), st.none()),
    st.tuples(st.just("fail"), st.sampled_from(["InternalServerException", "ThrottlingException"])),
), max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_invariants_under_any_sequence_of_deployments_expiries_and_faults(
    bedrock: LocalBedrock, actions: list[tuple[str, Any]]
) -> None:
    """Never a poll before the interval the service answered, never a reused token, and a
    fetch always answers the content deployed at the last successful poll."""
    bedrock.reset()
    AppConfigSource.forget_sessions()
    clock = FakeClock()
    deployed = doc(LITE)
    bedrock.deploy_appconfig("shop", "prod", "bedrock-lifecycle", deployed)
    src = source(bedrock, clock)
    interval = 60  # what the service answers: the session's minimum (the ttl) until scripted
    expiries = 0
    last_ok: tuple[float, int] | None = None  # clock time and answered interval of the last good poll
    seen_at_last_ok = deployed
    for kind, arg in [("fetch", False), *actions]:
        if kind == "deploy":
            deployed = doc(arg)
            bedrock.deploy_appconfig("shop", "prod", "bedrock-lifecycle", deployed)
        elif kind == "advance":
            clock.t += arg
        elif kind == "interval":
            interval = arg
            bedrock.set_appconfig_poll_interval(arg)
        elif kind == "expire":
            expiries += bedrock.expire_appconfig_tokens()
        elif kind == "fail":
            bedrock.fail_appconfig("GetLatestConfiguration", arg)
        else:
            before = [r.error_code for r in bedrock.requests if r.operation == "GetLatestConfiguration"]
            try:
                got = src.fetch(fresh=arg).data
            except sources.SourceError:
                got = None
            after = [r.error_code for r in bedrock.requests if r.operation == "GetLatestConfiguration"]
            new = after[len(before):]
            if new and new[-1] is None:  # a successful poll now
                if last_ok is not None:
                    assert clock.t - last_ok[0] >= last_ok[1]
                last_ok = (clock.t, interval)
                seen_at_last_ok = deployed
            if got is not None:
                assert got == seen_at_last_ok
    bad_requests = sum(1 for r in bedrock.requests if r.error_code == "BadRequestException")
    assert bad_requests <= expiries


def test_an_appconfig_document_cannot_grant_itself_import_path_adapters(
    server: LocalBedrock, clock: FakeClock
) -> None:
    server.deploy_appconfig("shop", "prod", "bedrock-lifecycle",
                            {**doc(LITE), "routing": {"allow_import_path_adapters": True}})
    document = source(server, clock).fetch()
    assert document.kind == "appconfig"
    with pytest.raises(ConfigError, match=r"allow_import_path_adapters: may be set only locally.*appconfig source"):
        sources.build(document, None, {})
