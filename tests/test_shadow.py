"""Shadow traffic end to end: the real client over HTTP to the local Bedrock."""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config as BotoConfig

import bedrock_lifecycle
from bedrock_lifecycle.api import reconfigure, runtime_of, wrap
from bedrock_lifecycle.config import load_config
from bedrock_lifecycle.config.reload import ConfigReloadWarning
from bedrock_lifecycle.core.flow import META_KEY
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.migrate.shadow import (
    ShadowLogWarning,
    ShadowMirror,
    check_log,
    mirror_of,
    shadow_request,
    similarity,
)
from bedrock_lifecycle.observe.events import AttemptEvent
from bedrock_lifecycle.testing import LocalBedrock
from bedrock_lifecycle.util.text import normalise
from tests.helpers import HAIKU45, MESSAGES, NOVA_LITE, NOVA_MICRO, NOVA_PRO, StaticRegistry, at

PRIMARY = NOVA_LITE
SHADOW = NOVA_PRO
SIDE_KEYS = {"model", "latency_ms", "input_tokens", "output_tokens", "stop_reason", "error_code", "text"}




def config(sample: float = 1.0, shadow_model: str = SHADOW, **top: Any) -> dict[str, Any]:
    return {
        "aliases": {
            "chat": {
                "targets": [PRIMARY],
                "fallbacks": [NOVA_MICRO],
                "shadow": {"model": shadow_model, "sample": sample},
            }
        },
        **top,
    }


def make(bedrock: LocalBedrock, cfg: dict[str, Any], environ: dict[str, str] | None = None) -> Any:
    raw = bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}))
    return wrap(raw, config=cfg, registry=StaticRegistry(), clock=lambda: at("2026-05-01"),
                environ=environ or {}, sleep=lambda s: None)


def mirror(client: Any) -> ShadowMirror:
    m = mirror_of(client)
    assert m is not None
    return m


@pytest.fixture
def closing() -> Iterator[list[ShadowMirror]]:
    mirrors: list[ShadowMirror] = []
    yield mirrors
    for m in mirrors:
        m.close(timeout=0)


def test_sample_one_mirrors_every_call_exactly_once(bedrock: LocalBedrock, closing: list[ShadowMirror]) -> None:
    c = make(bedrock, config(1.0))
    m = mirror(c)
    closing.append(m)
    for _ in range(20):
        r = c.converse(modelId="chat", messages=MESSAGES)
        assert r["ResponseMetadata"][META_KEY]["model_id"] == PRIMARY
    assert m.drain(10)
    assert bedrock.calls(model_id=SHADOW) == 20
    assert bedrock.calls(model_id=PRIMARY) == 20
    s = m.stats()
    assert (s["sampled"], s["sent"], s["completed"], s["dropped"], s["errors"]) == (20, 20, 20, 0, 0)


def test_sample_zero_mirrors_nothing(bedrock: LocalBedrock, closing: list[ShadowMirror]) -> None:
    c = make(bedrock, config(0.0))
    closing.append(mirror(c))
    for _ in range(30):
        c.converse(modelId="chat", messages=MESSAGES)
    assert mirror(c).drain(5)
    assert bedrock.calls(model_id=SHADOW) == 0
    assert mirror(c).stats()["sampled"] == 0


def test_sample_fraction_within_binomial_bound(bedrock: LocalBedrock, closing: list[ShadowMirror]) -> None:
    c = make(bedrock, config(0.3))
    m = mirror(c)
    closing.append(m)
    m.rng = random.Random(20260501)
    m.max_pending = 1000  # no drops: every sampled copy reaches the server
    n = 500
    for _ in range(n):
        c.converse(modelId="chat", messages=MESSAGES)
    assert m.drain(30)
    sampled = m.stats()["sampled"]
    mean, sd = n * 0.3, (n * 0.3 * 0.7) ** 0.5
    assert abs(sampled - mean) < 4 * sd, sampled
    assert bedrock.calls(model_id=SHADOW) == sampled
    assert m.stats()["dropped"] == 0


def test_concrete_model_ids_are_not_mirrored(bedrock: LocalBedrock, closing: list[ShadowMirror]) -> None:
    c = make(bedrock, config(1.0))
    closing.append(mirror(c))
    c.converse(modelId=PRIMARY, messages=MESSAGES)
    assert mirror(c).drain(5)
    assert bedrock.calls(model_id=SHADOW) == 0


def test_no_shadow_configured_installs_nothing(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"chat": {"targets": [PRIMARY]}}})
    assert mirror_of(c) is None
    assert not any(isinstance(o, ShadowMirror) for o in runtime_of(c).observers.items)


def _p50(client: Any, n: int) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        client.converse(modelId="chat", messages=MESSAGES)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000.0


def test_slow_shadow_does_not_slow_the_caller(bedrock: LocalBedrock, closing: list[ShadowMirror]) -> None:
    bedrock.delay(SHADOW, 0.5)
    plain = make(bedrock, {"aliases": {"chat": {"targets": [PRIMARY]}}})
    shadowed = make(bedrock, config(1.0))
    m = mirror(shadowed)
    closing.append(m)
    _p50(plain, 5)
    _p50(shadowed, 5)
    base = _p50(plain, 30)
    with_shadow = _p50(shadowed, 30)
    assert with_shadow < base + 250.0, (base, with_shadow)  # a blocking copy would add 500 ms; load cannot
    assert m.stats()["in_flight"] >= 1  # the shadow copies really were slow and still running
    t0 = time.monotonic()
    m.close(timeout=0.1)
    assert time.monotonic() - t0 < 5.0  # bounded, not 0.5 s per slow copy (generous under load)


def test_failing_shadow_never_reaches_the_caller(bedrock: LocalBedrock, closing: list[ShadowMirror]) -> None:
    bedrock.fail(SHADOW, "InternalServerException", times=None)
    c = make(bedrock, config(1.0))
    m = mirror(c)
    closing.append(m)
    events: list[AttemptEvent] = []
    bedrock_lifecycle.subscribe(events.append, client=c)
    for _ in range(5):
        r = c.converse(modelId="chat", messages=MESSAGES)
        assert r["ResponseMetadata"][META_KEY]["model_id"] == PRIMARY
    assert m.drain(10)
    assert m.stats()["errors"] == 5
    assert [rec["shadow"]["error_code"] for rec in m.recent] == ["InternalServerException"] * 5
    assert all(rec["similarity"] is None and rec["shadow"]["text"] is None for rec in m.recent)
    shadow_events = [e for e in events if e.shadow]
    assert len(shadow_events) == 5
    assert {(e.model, e.outcome, e.error_code, e.role, e.operation, e.alias) for e in shadow_events} == {
        (SHADOW, "error", "InternalServerException", "shadow", "Converse", "chat")
    }
    # The primary's own events are untouched by the shadow.
    assert [e.outcome for e in events if not e.shadow] == ["ok"] * 5


def test_pool_full_drops_and_counts(bedrock: LocalBedrock) -> None:
    bedrock.hang(SHADOW)
    c = make(bedrock, config(1.0))
    m = mirror(c)
    m.workers, m.max_pending = 1, 2
    for _ in range(10):
        c.converse(modelId="chat", messages=MESSAGES)
        assert m.stats()["pending"] <= 2
    s = m.stats()
    # One copy in flight (hung), two queued, seven shed.
    assert (s["sent"], s["dropped"], s["pending"] + s["in_flight"]) == (3, 7, 3)
    t0 = time.monotonic()
    assert m.close(timeout=0.2) is False  # the hung copy is still in flight: bounded wait
    assert time.monotonic() - t0 < 5.0
    assert m.stats()["dropped"] == 9  # the two queued copies were discarded
    bedrock.reset()  # the server lets the hung request go; the worker then ends
    deadline = time.monotonic() + 10
    while m.stats()["workers"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert m.stats()["workers"] == 0


def test_jsonl_records_match_the_format(bedrock: LocalBedrock, tmp_path: Path, closing: list[ShadowMirror]) -> None:
    log_path = tmp_path / "shadow.jsonl"
    bedrock.reply(PRIMARY, "The answer is 42.")
    bedrock.reply(SHADOW, "the answer   is 42.")
    c = make(bedrock, config(1.0, shadow={"log": str(log_path)}))
    m = mirror(c)
    closing.append(m)
    responses = [c.converse(modelId="chat", messages=MESSAGES) for _ in range(3)]
    assert m.drain(10)
    assert os.stat(log_path).st_mode & 0o777 == 0o600
    raw = log_path.read_text()
    assert "answer" not in raw  # no texts without opt-in
    records = [json.loads(line) for line in raw.splitlines()]
    assert len(records) == 3 and m.stats()["recorded"] == 3
    # Records come in completion order (several workers): match latencies as sets.
    assert sorted(r["primary"]["latency_ms"] for r in records) == pytest.approx(
        sorted(resp["ResponseMetadata"][META_KEY]["attempts"][-1]["duration_ms"] for resp in responses), abs=1e-3)
    resp = responses[0]
    for rec in records:
        assert set(rec) == {"at", "alias", "operation", "primary", "shadow", "similarity"}
        assert set(rec["primary"]) == SIDE_KEYS and set(rec["shadow"]) == SIDE_KEYS
        assert (rec["alias"], rec["operation"]) == ("chat", "Converse")
        assert rec["at"].endswith("+00:00") and at(rec["at"][:10])
        p, s = rec["primary"], rec["shadow"]
        assert (p["model"], s["model"]) == (PRIMARY, SHADOW)
        assert s["latency_ms"] > 0
        assert p["input_tokens"] == resp["usage"]["inputTokens"] and p["output_tokens"] == resp["usage"]["outputTokens"]
        assert isinstance(s["input_tokens"], int) and isinstance(s["output_tokens"], int)
        assert p["stop_reason"] == s["stop_reason"] == "end_turn"
        assert p["error_code"] is None and s["error_code"] is None
        assert p["text"] is None and s["text"] is None
        assert rec["similarity"] == 1.0  # same words up to case and whitespace


def test_texts_only_with_opt_in(bedrock: LocalBedrock, tmp_path: Path, closing: list[ShadowMirror]) -> None:
    log_path = tmp_path / "shadow.jsonl"
    bedrock.reply(PRIMARY, "Paris is the capital of France.")
    bedrock.reply(SHADOW, "The capital of France is Paris.")
    env = {"BEDROCK_LIFECYCLE_SHADOW_LOG": str(log_path), "BEDROCK_LIFECYCLE_SHADOW_RECORD_TEXT": "1"}
    c = make(bedrock, config(1.0), environ=env)
    m = mirror(c)
    closing.append(m)
    c.converse(modelId="chat", messages=MESSAGES)
    assert m.drain(10)
    (rec,) = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert rec["primary"]["text"] == "Paris is the capital of France."
    assert rec["shadow"]["text"] == "The capital of France is Paris."
    assert 0.0 < rec["similarity"] < 1.0


def test_stream_primary_is_shadowed_as_converse(bedrock: LocalBedrock, closing: list[ShadowMirror]) -> None:
    c = make(bedrock, config(1.0))
    m = mirror(c)
    closing.append(m)
    r = c.converse_stream(modelId="chat", messages=MESSAGES)
    assert list(r["stream"])
    assert m.drain(10)
    assert bedrock.calls(model_id=SHADOW, operation="Converse") == 1
    assert bedrock.calls(model_id=SHADOW, operation="ConverseStream") == 0
    (rec,) = m.recent
    assert rec["operation"] == "ConverseStream"
    assert rec["primary"]["text"] is None and rec["primary"]["output_tokens"] is None
    assert rec["primary"]["latency_ms"] is not None
    assert rec["shadow"]["output_tokens"] and rec["shadow"]["stop_reason"] == "end_turn"
    assert rec["similarity"] is None


def test_invoke_model_same_family_only(bedrock: LocalBedrock, closing: list[ShadowMirror]) -> None:
    body = b'{"messages": [{"role": "user", "content": [{"text": "hi"}]}]}'
    same = make(bedrock, config(1.0, shadow_model=NOVA_PRO))
    other = make(bedrock, config(1.0, shadow_model=HAIKU45))
    closing.extend([mirror(same), mirror(other)])
    same.invoke_model(modelId="chat", body=body)
    other.invoke_model(modelId="chat", body=body)
    assert mirror(same).drain(10) and mirror(other).drain(10)
    (req,) = [q for q in bedrock.requests if q.model_id == NOVA_PRO]
    assert req.operation == "InvokeModel" and req.body == json.loads(body)
    assert bedrock.calls(model_id=HAIKU45) == 0
    assert mirror(other).stats()["skipped"] == {"family": 1}
    (rec,) = mirror(same).recent
    assert rec["primary"]["text"] is None and rec["similarity"] is None  # the body is the caller's
    assert rec["shadow"]["output_tokens"]


def test_copy_is_taken_on_the_callers_thread(bedrock: LocalBedrock, closing: list[ShadowMirror]) -> None:
    bedrock.delay(SHADOW, 0.2)
    c = make(bedrock, config(1.0))
    m = mirror(c)
    closing.append(m)
    messages = [{"role": "user", "content": [{"text": "hello"}]}]
    r = c.converse(modelId="chat", messages=messages, inferenceConfig={"maxTokens": 50},
                   additionalModelRequestFields={"top_k": 5})
    messages.append(r["output"]["message"])  # what a chat loop does right away
    messages.append({"role": "user", "content": [{"text": "and then?"}]})
    assert m.drain(10)
    (req,) = [q for q in bedrock.requests if q.model_id == SHADOW]
    assert isinstance(req.body, dict)
    assert req.body["messages"] == [{"role": "user", "content": [{"text": "hello"}]}]
    assert req.body["inferenceConfig"] == {"maxTokens": 50}
    assert "additionalModelRequestFields" not in req.body  # model-specific: not copied


def test_close_is_clean_and_stops_mirroring(bedrock: LocalBedrock) -> None:
    c = make(bedrock, config(1.0))
    m = mirror(c)
    c.converse(modelId="chat", messages=MESSAGES)
    assert m.close(timeout=5) is True
    assert m.closed and m.stats()["workers"] == 0
    assert m not in runtime_of(c).observers.items
    c.converse(modelId="chat", messages=MESSAGES)
    time.sleep(0.05)
    assert bedrock.calls(model_id=SHADOW) == 1


def test_a_log_that_cannot_be_opened_fails_client_creation(bedrock: LocalBedrock, tmp_path: Path) -> None:
    missing = tmp_path / "missing-dir" / "s.jsonl"
    with pytest.raises(ConfigError) as err:
        make(bedrock, config(1.0, shadow={"log": str(missing)}))
    msg = str(err.value)
    assert len(msg.splitlines()) == 1
    assert repr(str(missing)) in msg and "BEDROCK_LIFECYCLE_SHADOW_LOG" in msg
    assert "No such file or directory" in msg and f"the directory {missing.parent} does not exist" in msg
    assert not missing.parent.exists()  # nothing created behind the caller's back
    (tmp_path / "a-dir").mkdir()
    with pytest.raises(ConfigError, match="Is a directory"):  # from the environment, too
        make(bedrock, config(1.0), environ={"BEDROCK_LIFECYCLE_SHADOW_LOG": str(tmp_path / "a-dir")})


def test_a_named_log_is_checked_even_without_a_shadow_alias(bedrock: LocalBedrock, tmp_path: Path) -> None:
    cfg = {"aliases": {"chat": {"targets": [PRIMARY]}}, "shadow": {"log": str(tmp_path / "no" / "s.jsonl")}}
    with pytest.raises(ConfigError, match="does not exist"):
        make(bedrock, cfg)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (ENOSPC on every write)")
def test_later_write_failures_warn_once_and_are_counted(bedrock: LocalBedrock, closing: list[ShadowMirror],
                                                        caplog: pytest.LogCaptureFixture) -> None:
    c = make(bedrock, config(1.0, shadow={"log": "/dev/full"}))  # opens fine, every write fails
    m = mirror(c)
    closing.append(m)
    m.workers = 1  # one worker: the records fail in order
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(5):
            c.converse(modelId="chat", messages=MESSAGES)  # the caller never sees the failure
        assert m.drain(10)
    lost = [w for w in caught if issubclass(w.category, ShadowLogWarning)]
    assert len(lost) == 1 and "/dev/full" in str(lost[0].message) and "No space left" in str(lost[0].message)
    assert [r.getMessage() for r in caplog.records if "shadow log" in r.getMessage()] == [str(lost[0].message)]
    s = m.stats()
    assert (s["completed"], s["recorded"], s["write_errors"]) == (5, 0, 5)


def test_a_reloaded_version_whose_log_cannot_be_opened_is_rejected(
        bedrock: LocalBedrock, tmp_path: Path, closing: list[ShadowMirror]) -> None:
    good = tmp_path / "good.jsonl"
    conf = tmp_path / "models.json"
    conf.write_text(json.dumps(config(1.0, shadow={"log": str(good)})))
    c = make(bedrock, {}, environ={"BEDROCK_LIFECYCLE_CONFIG": str(conf)})
    st = runtime_of(c)
    st.reloader.stop()  # polled by hand below
    m = mirror(c)
    closing.append(m)
    version = st.version.config.version
    conf.write_text(json.dumps(config(1.0, shadow={"log": str(tmp_path / "gone" / "s.jsonl")})))
    with pytest.warns(ConfigReloadWarning, match=r"rejected.*gone.*does not exist"):
        assert st.reloader.check() is False
    assert st.version.config.version == version  # the last good version stays in force
    c.converse(modelId="chat", messages=MESSAGES)
    assert m.drain(10)
    assert len(good.read_text().splitlines()) == 1 and m.stats()["write_errors"] == 0
    bad = load_config(config(1.0, shadow={"log": str(tmp_path / "gone" / "s.jsonl")}), environ={})
    with pytest.raises(ConfigError, match="gone"):
        check_log(bad)
    with pytest.raises(ConfigError, match="gone"):
        reconfigure(c, bad)
    # Should a version's log vanish between the check and the switch, it is warned about.
    with pytest.warns(ShadowLogWarning, match="does not exist"):
        assert m.sink.open(str(tmp_path / "gone" / "s.jsonl"), strict=False) is False


def test_interpreter_exit_does_not_wait_for_a_hung_shadow(bedrock: LocalBedrock) -> None:
    bedrock.hang(SHADOW)
    script = textwrap.dedent(f"""
        from botocore.config import Config
        import boto3, bedrock_lifecycle
        raw = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url={bedrock.endpoint_url!r},
                           aws_access_key_id="x", aws_secret_access_key="x",
                           config=Config(retries={{"total_max_attempts": 1}}))
        c = bedrock_lifecycle.wrap(raw, environ={{}}, config={json.dumps(config(1.0))})
        for _ in range(5):
            c.converse(modelId="chat", messages={MESSAGES!r})
        print("done", flush=True)
    """)
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "done"
    assert time.monotonic() - t0 < 15
    assert bedrock.calls(model_id=SHADOW) >= 1


# ------------------------------------------------------------------------- pure parts


def test_shadow_records_the_shared_similarity() -> None:
    assert similarity("Hello,   World!", "hello, world!") == 1.0
    assert similarity("", "") == 1.0
    assert similarity("alpha beta", "gamma delta") == 0.0
    assert 0.0 < similarity("the cat sat on the mat", "the cat sat on a hat") < 1.0
    assert normalise("It's  OK.") == ["it", "s", "ok"]
    long = " ".join(f"w{i}" for i in range(50_000))
    assert similarity(long, long) == 1.0  # capped: cheap even for very long answers (tests/test_text.py)


def test_shadow_request_builds_the_copy() -> None:
    params = {"modelId": "chat", "messages": MESSAGES, "system": [{"text": "be brief"}],
              "inferenceConfig": {"maxTokens": 10}, "toolConfig": {"tools": []},
              "guardrailConfig": {"guardrailIdentifier": "g", "guardrailVersion": "1", "streamProcessingMode": "async"},
              "additionalModelRequestFields": {"top_k": 1}, "requestMetadata": {"k": "v"}}
    op, req = shadow_request("ConverseStream", params, SHADOW)  # type: ignore[misc]
    assert op == "Converse"
    assert set(req) == {"modelId", "messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig"}
    assert req["modelId"] == SHADOW and "streamProcessingMode" not in req["guardrailConfig"]
    assert params["guardrailConfig"]["streamProcessingMode"] == "async"  # the caller's params untouched
    assert req["messages"] == MESSAGES and req["messages"] is not MESSAGES
    assert shadow_request("CountTokens", params, SHADOW) == "operation"
    assert shadow_request("StartAsyncInvoke", params, SHADOW) == "operation"
