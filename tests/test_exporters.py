"""Exporters: ``log`` JSON lines, ``emf`` documents, ``otel`` instruments and spans, the
``file`` snapshot and ``status``; nothing secret ever written; nothing ever raised."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config as BotoConfig

import bedrock_lifecycle
from bedrock_lifecycle.api import runtime_of, wrap
from bedrock_lifecycle.cli import main as cli_main
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.observe import exporters, metrics
from bedrock_lifecycle.observe.events import AttemptEvent, bus_of
from bedrock_lifecycle.observe.exporters import EmfExporter, LogExporter, parse_names
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import (
    MESSAGES,
    NOVA_LITE,
    NOVA_MICRO,
    NOVA_PRO,
    StaticRegistry,
    at,
    config_file_env,
)

SECRET_PROMPT = "SECRET-PROMPT-7f3a9c the launch code is 0000"
SECRET_ANSWER = "SECRET-ANSWER-b21e44"
ACCESS_KEY = "AKIASECRETKEYID12345"
SECRET_KEY = "SECRET-ACCESS-KEY-do-not-log"
SECRETS = (SECRET_PROMPT, "SECRET-PROMPT", SECRET_ANSWER, ACCESS_KEY, SECRET_KEY)
UNITS = {"Milliseconds", "Count", "None"}  # EstimatedCost is USD: no CloudWatch unit


def ev(outcome: str = "ok", *, alias: str | None = "chat", model: str = NOVA_LITE, code: str | None = None,
       latency: float = 10.0, tin: int | None = None, tout: int | None = None, **kw: Any) -> AttemptEvent:
    return AttemptEvent(alias, model, "us-east-1", "Converse", outcome, code, latency, tin, tout,
                        at=time.time(), **kw)


def validate_emf(doc: dict[str, Any]) -> None:
    """The CloudWatch Embedded Metric Format specification's structural rules."""
    aws = doc["_aws"]
    assert isinstance(aws["Timestamp"], int) and aws["Timestamp"] > 1_500_000_000_000
    directives = aws["CloudWatchMetrics"]
    assert isinstance(directives, list) and directives
    for d in directives:
        assert isinstance(d["Namespace"], str) and 1 <= len(d["Namespace"]) <= 255
        assert isinstance(d["Dimensions"], list)
        for dims in d["Dimensions"]:
            assert isinstance(dims, list) and 1 <= len(dims) <= 30
            for name in dims:
                assert isinstance(doc[name], str) and doc[name], name
        assert isinstance(d["Metrics"], list) and 1 <= len(d["Metrics"]) <= 100
        for m in d["Metrics"]:
            assert set(m) <= {"Name", "Unit", "StorageResolution"}
            assert m.get("Unit", "None") in UNITS
            value = doc[m["Name"]]
            values = value if isinstance(value, list) else [value]
            assert 1 <= len(values) <= 100
            assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def emf_lines(text: str) -> list[dict[str, Any]]:
    docs = [json.loads(line) for line in text.splitlines() if line.strip()]
    for d in docs:
        validate_emf(d)
    return docs


# ----------------------------------------------------------------------------- names


def test_exporter_names_are_parsed_and_validated() -> None:
    assert parse_names(None) == parse_names("") == parse_names(" , ") == ()
    assert parse_names(" LOG, emf ,log,otel,file,CloudWatch") == ("log", "emf", "otel", "file", "cloudwatch")
    assert parse_names("Off") == ("off",)


@pytest.mark.parametrize(("value", "words"), [
    ("log,prometheus", ["BEDROCK_LIFECYCLE_METRICS", "'log,prometheus'", "'prometheus'",
                        "cloudwatch, emf, file, log, otel"]),
    ("off,log", ["BEDROCK_LIFECYCLE_METRICS", "'off,log'", "cannot be combined"]),
])
def test_bad_exporter_names_are_config_errors_naming_the_variable(value: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_names(value)
    for w in words:
        assert w in str(info.value)


def test_unknown_exporter_fails_at_client_creation() -> None:
    import boto3

    raw = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with pytest.raises(ConfigError, match=r"BEDROCK_LIFECYCLE_METRICS='statsd'.*unknown exporter 'statsd'"):
        wrap(raw, config={}, registry=StaticRegistry(), environ={"BEDROCK_LIFECYCLE_METRICS": "statsd"})


def test_otel_missing_is_a_config_error_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # importing it now fails, installed or not
    monkeypatch.setitem(sys.modules, "opentelemetry.metrics", None)
    monkeypatch.delitem(exporters._instances, "otel", raising=False)
    raw = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with pytest.raises(ConfigError) as info:
        wrap(raw, config={}, registry=StaticRegistry(), environ={"BEDROCK_LIFECYCLE_METRICS": "log,otel"})
    assert "BEDROCK_LIFECYCLE_METRICS" in str(info.value)
    assert "pip install 'bedrock-lifecycle[otel]'" in str(info.value)
    rt = raw.__dict__.get("_bedrock_lifecycle")  # whether wrap() swapped the class before failing
    assert rt is None  # validated before the client changed at all


# ----------------------------------------------------------------------------- over HTTP




@pytest.fixture
def captured_log() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(message)s"))
    lg = logging.getLogger(exporters.LOGGER_NAME)
    old = lg.level
    lg.setLevel(logging.INFO)
    lg.addHandler(handler)
    yield buf
    lg.removeHandler(handler)
    lg.setLevel(old)


@pytest.fixture
def emf_out() -> Iterator[io.StringIO]:
    """The process-wide EMF exporter, writing to a buffer for the test."""
    emf = exporters.get("emf")
    assert isinstance(emf, EmfExporter)
    emf.flush()
    buf = io.StringIO()
    emf.stream = buf
    yield buf
    emf.flush()
    emf.stream = None


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "cache"
    metrics.WRITER.stop()
    metrics.WRITER.interval = metrics.SNAPSHOT_INTERVAL


def make(bedrock: LocalBedrock, cfg: dict[str, Any], environ: dict[str, str]) -> Any:
    raw = bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}),
                                 aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    return wrap(raw, config=cfg, registry=StaticRegistry(), clock=lambda: at("2026-05-01"),
                environ=environ, sleep=lambda s: None)


SECRET_MESSAGES = [{"role": "user", "content": [{"text": SECRET_PROMPT}]}]
CHAT = {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_MICRO]}}}


def test_no_prompt_response_or_credential_in_any_output(
    bedrock: LocalBedrock, captured_log: io.StringIO, emf_out: io.StringIO, writer: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {"BEDROCK_LIFECYCLE_METRICS": "log,emf,file", "BEDROCK_LIFECYCLE_CACHE_DIR": str(writer)}
    c = make(bedrock, CHAT, env)
    bedrock.reply(NOVA_LITE, SECRET_ANSWER)
    bedrock.reply(NOVA_MICRO, SECRET_ANSWER)
    bedrock.fail(NOVA_LITE, "ValidationException", times=1, message=f"bad input: {SECRET_PROMPT}")
    bedrock.fail(NOVA_LITE, "ThrottlingException", times=2)
    with pytest.raises(c.exceptions.ValidationException):
        c.converse(modelId="chat", messages=SECRET_MESSAGES)
    for _ in range(3):
        r = c.converse(modelId="chat", messages=SECRET_MESSAGES, system=[{"text": SECRET_PROMPT}])
        assert r["output"]["message"]["content"][0]["text"] == SECRET_ANSWER
    stream = c.converse_stream(modelId="chat", messages=SECRET_MESSAGES)["stream"]
    assert "".join(e["contentBlockDelta"]["delta"]["text"] for e in stream if "contentBlockDelta" in e)
    assert bedrock.calls() == 7

    exporters.get("emf").flush()  # type: ignore[attr-defined]
    (path,) = metrics.WRITER.write()
    code = cli_main(["status", "--json"])
    cli_out = capsys.readouterr().out
    assert code == 0

    log_lines = captured_log.getvalue().splitlines()
    assert len(log_lines) == 7  # one per attempt
    records = [json.loads(line) for line in log_lines]
    assert all(r["event"] == "bedrock_lifecycle.attempt" for r in records)
    assert [r["outcome"] for r in records].count("error") == 3
    assert {r["error_code"] for r in records} == {"ValidationException", "ThrottlingException", None}
    assert records[-1]["operation"] == "ConverseStream" and records[-1]["output_tokens"] is None
    assert {"alias", "model", "region", "latency_ms", "input_tokens", "role", "fallback", "at"} <= set(records[0])

    outputs = {"log": captured_log.getvalue(), "emf": emf_out.getvalue(), "file": path.read_text(),
               "status": cli_out}
    for name, text in outputs.items():
        assert text, name
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} leaked into {name} output"


def test_emf_documents_validate_and_carry_the_values(bedrock: LocalBedrock, emf_out: io.StringIO) -> None:
    c = make(bedrock, CHAT, {"BEDROCK_LIFECYCLE_METRICS": "emf"})
    bedrock.reply(NOVA_LITE, "hi", input_tokens=7, output_tokens=11)
    bedrock.reply(NOVA_MICRO, "hi", input_tokens=5, output_tokens=3)
    bedrock.fail(NOVA_LITE, "ThrottlingException", times=2)  # first call: 2 throttles, then the fallback
    for _ in range(4):
        c.converse(modelId="chat", messages=MESSAGES)
    c.converse(modelId=NOVA_PRO, messages=MESSAGES)
    exporters.get("emf").flush()  # type: ignore[attr-defined]
    docs = {(d["Alias"], d["Model"], d["Region"]): d for d in emf_lines(emf_out.getvalue())}
    assert set(docs) == {("chat", NOVA_LITE, "us-east-1"), ("chat", NOVA_MICRO, "us-east-1"),
                         ("(none)", NOVA_PRO, "us-east-1")}
    lite = docs[("chat", NOVA_LITE, "us-east-1")]
    directive = lite["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "BedrockLifecycle"
    assert directive["Dimensions"] == [["Alias", "Model", "Region"]]
    units = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert units == {"Calls": "Count", "Errors": "Count", "Refusals": "Count", "Fallbacks": "Count",
                     "InputTokens": "Count", "OutputTokens": "Count", "Latency": "Milliseconds",
                     "EstimatedCost": "None"}
    assert (lite["Calls"], lite["Errors"], lite["Fallbacks"]) == (5, 2, 0)
    assert (lite["InputTokens"], lite["OutputTokens"]) == (21, 33)
    from bedrock_lifecycle.lifecycle.prices import price_of

    p = price_of(NOVA_LITE, "us-east-1")
    assert p is not None  # Nova Lite is in the bundled price table
    assert lite["EstimatedCost"] == pytest.approx((21 * p.input_per_1k + 33 * p.output_per_1k) / 1000, rel=1e-6)
    assert len(lite["Latency"]) == 3 and all(v > 0 for v in lite["Latency"])
    micro = docs[("chat", NOVA_MICRO, "us-east-1")]
    assert (micro["Calls"], micro["Errors"], micro["Fallbacks"], micro["InputTokens"]) == (1, 0, 1, 5)
    assert abs(lite["_aws"]["Timestamp"] / 1000 - time.time()) < 60


def test_emf_splits_latency_arrays_at_100_values_and_counts_shadow_apart() -> None:
    buf = io.StringIO()
    emf = EmfExporter(stream=buf, interval=3600, batch=10_000)
    try:
        for i in range(250):
            emf(ev("ok", latency=float(i + 1), tin=1, tout=2))
        emf(ev("error", code="ThrottlingException"))
        emf(ev("stream_error", code="ModelStreamErrorException"))
        emf(ev("refused", code="ResourceNotFoundException"))
        emf(ev("ok", model=NOVA_PRO, shadow=True, role="shadow", latency=9.0))
        assert emf.flush() == 4
    finally:
        emf.close()
    docs = emf_lines(buf.getvalue())
    lite = [d for d in docs if d["Model"] == NOVA_LITE]
    assert [len(d["Latency"]) for d in lite] == [100, 100, 50]
    assert sorted(v for d in lite for v in d["Latency"]) == [float(i + 1) for i in range(250)]
    first = lite[0]
    assert (first["Calls"], first["Errors"], first["Refusals"], first["InputTokens"]) == (251, 2, 1, 250)
    assert all("Calls" not in d for d in lite[1:])  # counts once per series
    (shadow,) = [d for d in docs if d["Model"] == f"{NOVA_PRO} (shadow)"]
    assert shadow["Calls"] == 1 and shadow["Latency"] == [9.0]


def test_emf_flushes_by_itself_when_a_batch_is_full_and_sheds_when_backed_up() -> None:
    buf = io.StringIO()
    emf = EmfExporter(stream=buf, interval=3600, batch=5)
    try:
        for _ in range(5):
            emf(ev("ok"))
        deadline = time.monotonic() + 5
        while not buf.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        (doc,) = emf_lines(buf.getvalue())
        assert doc["Calls"] == 5
    finally:
        emf.close()
    backed_up = EmfExporter(stream=io.StringIO(), interval=3600, batch=10_000, max_pending=3)
    try:
        for _ in range(10):
            backed_up(ev("ok"))
        assert backed_up.dropped == 7
    finally:
        backed_up.close()


class _Broken(io.StringIO):
    def write(self, s: str) -> int:
        raise OSError("disk full")


def test_exporter_failures_never_reach_the_caller(
    bedrock: LocalBedrock, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exporters, "_last_complaint", {})  # failures are logged once a minute
    emf = exporters.get("emf")
    assert isinstance(emf, EmfExporter)
    emf.flush()
    emf.stream = _Broken()

    class BadLogger(logging.Logger):
        def isEnabledFor(self, level: int) -> bool:
            return True

        def log(self, *a: Any, **k: Any) -> None:
            raise RuntimeError("handler exploded")

    log_ex = exporters.get("log")
    assert isinstance(log_ex, LogExporter)
    good_logger = log_ex.logger
    log_ex.logger = BadLogger("bad")
    try:
        c = make(bedrock, CHAT, {"BEDROCK_LIFECYCLE_METRICS": "log,emf"})
        for _ in range(3):
            assert c.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"]["HTTPStatusCode"] == 200
        errors = emf.write_errors
        assert emf.flush() == 0  # the write failed, and was swallowed
        assert emf.write_errors == errors + 1
    finally:
        emf.stream = None
        log_ex.logger = good_logger
    assert any("exporter failed" in r.getMessage() for r in caplog.records)
    s = metrics.series("chat", NOVA_LITE)
    assert s is not None and s["calls"] == 3  # the built-in metrics still counted


def test_cloudwatch_name_wires_the_publisher_of_the_clients_region(bedrock: LocalBedrock) -> None:
    from bedrock_lifecycle.observe.cloudwatch import CloudWatchPublisher

    class FakeCloudWatch:
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        def put_metric_data(self, **kw: Any) -> None:
            self.calls.append(kw)

    c = make(bedrock, CHAT, {"BEDROCK_LIFECYCLE_METRICS": "cloudwatch"})
    pub = exporters._instances.pop("cloudwatch:us-east-1")  # the test owns it from here
    try:
        assert isinstance(pub, CloudWatchPublisher) and pub in bus_of(runtime_of(c)).subscribers
        fake = FakeCloudWatch()
        pub._client = fake
        c.converse(modelId="chat", messages=MESSAGES)
        assert pub.flush() > 0
        (call,) = fake.calls
        assert call["Namespace"] == "BedrockLifecycle"
        calls = [d for d in call["MetricData"] if d["MetricName"] == "Calls"]
        assert calls[0]["Value"] == 1.0
        assert {"Name": "Alias", "Value": "chat"} in calls[0]["Dimensions"]
    finally:
        pub.close(timeout=1)


# ----------------------------------------------------------------------------- otel


def test_otel_counters_histogram_and_spans(bedrock: LocalBedrock) -> None:
    pytest.importorskip("opentelemetry.sdk.metrics")
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    reader = InMemoryMetricReader()
    spans = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans))
    otel = exporters.OtelExporter(meter_provider=MeterProvider(metric_readers=[reader]), tracer_provider=tp)

    c = make(bedrock, CHAT, {})
    bedrock_lifecycle.subscribe(otel, client=c)
    bedrock.reply(NOVA_LITE, SECRET_ANSWER, input_tokens=7, output_tokens=11)
    bedrock.fail(NOVA_LITE, "ThrottlingException", times=1)
    for _ in range(3):
        c.converse(modelId="chat", messages=SECRET_MESSAGES)

    points: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                points[m.name] = list(m.data.data_points)
    calls = {(p.attributes["gen_ai.request.model"], p.attributes["bedrock_lifecycle.outcome"]): p.value
             for p in points["bedrock_lifecycle.calls"]}
    assert calls == {(NOVA_LITE, "error"): 1, (NOVA_LITE, "ok"): 3}
    (err,) = points["bedrock_lifecycle.errors"]
    assert err.value == 1 and err.attributes["error.type"] == "ThrottlingException"
    tokens = {p.attributes["gen_ai.token.type"]: p.value for p in points["bedrock_lifecycle.tokens"]}
    assert tokens == {"input": 21, "output": 33}
    (lat,) = points["bedrock_lifecycle.latency"]
    assert lat.count == 3 and lat.attributes["bedrock_lifecycle.alias"] == "chat"

    finished = spans.get_finished_spans()
    assert len(finished) == 4
    assert all(s.name == f"Converse {NOVA_LITE}" for s in finished)
    assert all(s.end_time >= s.start_time for s in finished)
    assert sum(not s.status.is_ok for s in finished) == 1
    ok = [s for s in finished if s.status.is_ok]
    assert ok[0].attributes["gen_ai.usage.output_tokens"] == 11
    dump = json.dumps([dict(s.attributes) for s in finished], default=str) + str(data.to_json())
    assert SECRET_ANSWER not in dump and SECRET_PROMPT not in dump and SECRET_KEY not in dump


def test_otel_exporter_never_raises_into_the_request(bedrock: LocalBedrock) -> None:
    pytest.importorskip("opentelemetry.metrics")
    otel = exporters.OtelExporter()

    class Boom:
        def add(self, *a: Any, **k: Any) -> None:
            raise RuntimeError("exporter bug")

    otel.calls = Boom()
    c = make(bedrock, CHAT, {})
    bedrock_lifecycle.subscribe(otel, client=c)
    assert c.converse(modelId="chat", messages=MESSAGES)["output"]


# ----------------------------------------------------------------------------- file and status

CONFIG = f"""
[aliases.chat]
targets = [{{ model = "{NOVA_LITE}", weight = 9 }}, {{ model = "{NOVA_PRO}", weight = 1 }}]
fallbacks = ["{NOVA_MICRO}"]
"""


@pytest.fixture
def cli_env(tmp_path: Path, writer: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config_file_env(tmp_path, monkeypatch, CONFIG, writer)
    return writer


def fake_doc(pid: int, calls: int, written_at: float) -> dict[str, Any]:
    m = metrics.Metrics()
    for _ in range(calls):
        m(ev("ok", latency=1000.0))
    doc = m.document()
    doc["pid"] = pid
    doc["written_at"] = written_at
    return doc


def test_file_snapshot_is_atomic_0600_and_read_back_by_status(
    bedrock: LocalBedrock, cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    metrics_dir = cli_env / "metrics"
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        # The complete document sits in a 0600 temp file beside the target before the rename.
        assert Path(src).parent == Path(dst).parent == metrics_dir
        assert stat.S_IMODE(os.stat(src).st_mode) == 0o600
        json.loads(Path(src).read_text())
        replaced.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    c = make(bedrock, CONFIG_DICT, {"BEDROCK_LIFECYCLE_METRICS": "file", "BEDROCK_LIFECYCLE_CACHE_DIR": str(cli_env)})
    bedrock.fail(NOVA_LITE, "ThrottlingException", times=1)
    for _ in range(6):
        c.converse(modelId="chat", messages=MESSAGES)
    (path,) = metrics.WRITER.write()
    assert path == metrics_dir / f"{os.getpid()}.json"
    assert replaced and replaced[-1][1] == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(metrics_dir.stat().st_mode) == 0o700
    assert [p.name for p in metrics_dir.iterdir()] == [path.name]  # no temp file left behind
    doc = json.loads(path.read_text())
    assert doc["schema"] == "bedrock-lifecycle/metrics" and doc["pid"] == os.getpid()

    # Another live process, and a stale one (ignored).
    now = time.time()
    (metrics_dir / "999998.json").write_text(json.dumps(fake_doc(999998, 4, now - 5)))
    (metrics_dir / "999999.json").write_text(json.dumps(fake_doc(999999, 1000, now - 600)))
    (metrics_dir / "notes.json").write_text("{not json")

    assert cli_main(["status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {t["model_id"]: t for t in data["aliases"][0]["targets"]}
    assert rows[NOVA_LITE]["share"] == 0.9 and rows[NOVA_LITE]["state"] == "active"  # unchanged keys
    assert {"model_id", "state", "share", "role", "eol_date"} <= set(rows[NOVA_LITE])
    lite_calls = bedrock.calls(NOVA_LITE)
    assert rows[NOVA_LITE]["metrics"]["calls"] == lite_calls + 4
    assert rows[NOVA_LITE]["metrics"]["error_codes"] == {"ThrottlingException": 1}
    assert rows[NOVA_LITE]["metrics"]["latency_ms"]["p99"] == pytest.approx(1000.0, rel=0.01)
    pro_calls = bedrock.calls(NOVA_PRO)
    assert (rows[NOVA_PRO]["metrics"] or {"calls": 0})["calls"] == pro_calls
    live = data["metrics"]
    assert sorted(p["pid"] for p in live["processes"]) == sorted([os.getpid(), 999998])
    assert live["aliases"]["chat"][NOVA_LITE]["calls"] == lite_calls + 4
    assert live["unconfigured"] == []

    assert cli_main(["status"]) == 0
    table = capsys.readouterr().out
    assert "CALLS" in table and "P95 MS" in table and "2 processes" in table


CONFIG_DICT = {"aliases": {"chat": {"targets": [{"model": NOVA_LITE, "weight": 9}, {"model": NOVA_PRO, "weight": 1}],
                                    "fallbacks": [NOVA_MICRO]}}}


def test_status_without_snapshots_is_unchanged(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["status"]) == 0
    out = capsys.readouterr().out
    assert "CALLS" not in out and "Live metrics" not in out
    assert cli_main(["status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metrics"]["aliases"] == {} and data["metrics"]["processes"] == []
    assert all(t["metrics"] is None for t in data["aliases"][0]["targets"])


def test_the_writer_thread_writes_periodically(bedrock: LocalBedrock, writer: Path) -> None:
    metrics.WRITER.interval = 0.05
    c = make(bedrock, CHAT, {"BEDROCK_LIFECYCLE_METRICS": "file", "BEDROCK_LIFECYCLE_CACHE_DIR": str(writer)})
    c.converse(modelId="chat", messages=MESSAGES)
    path = writer / "metrics" / f"{os.getpid()}.json"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if path.exists() and json.loads(path.read_text())["series"]:
            break
        time.sleep(0.02)
    assert json.loads(path.read_text())["series"][0]["calls"] == 1


def test_metrics_are_written_at_exit_without_a_flush(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import bedrock_lifecycle, boto3
        from botocore.stub import Stubber
        raw = boto3.client("bedrock-runtime", region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x")
        st = Stubber(raw)
        for _ in range(3):
            st.add_response("converse", {{"output": {{"message": {{"role": "assistant", "content": [{{"text": "hi"}}]}}}},
                                          "stopReason": "end_turn", "metrics": {{"latencyMs": 1}},
                                          "usage": {{"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}}}})
        st.activate()
        c = bedrock_lifecycle.wrap(raw, config={{"aliases": {{"chat": {{"targets": ["{NOVA_LITE}"]}}}}}})
        for _ in range(3):
            c.converse(modelId="chat", messages=[{{"role": "user", "content": [{{"text": "hello"}}]}}])
        print("PID", __import__("os").getpid())
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEDROCK_LIFECYCLE_")}
    env.update(BEDROCK_LIFECYCLE_METRICS="emf,file", BEDROCK_LIFECYCLE_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    pid = next(line.split()[1] for line in lines if line.startswith("PID "))
    (doc,) = emf_lines("\n".join(line for line in lines if line.startswith("{")))
    assert doc["Calls"] == 3 and doc["Alias"] == "chat"
    snap = json.loads((tmp_path / "metrics" / f"{pid}.json").read_text())
    assert snap["series"][0]["calls"] == 3 and snap["series"][0]["input_tokens"] == 9


def test_foreign_corrupt_and_stale_snapshot_files_are_ignored(tmp_path: Path) -> None:
    d = tmp_path / "metrics"
    d.mkdir()
    now = time.time()
    (d / "1.json").write_text("{truncated")
    (d / "2.json").write_text(json.dumps({"schema": "something-else", "written_at": now}))
    bad = fake_doc(3, 2, now)
    bad["series"] = [{"model": "x", "latency": {"buckets": [[1]]}}, "junk", *bad["series"]]
    (d / "3.json").write_text(json.dumps(bad))
    other_layout = fake_doc(4, 5, now)
    other_layout["relative_accuracy"] = 0.02  # buckets would not line up
    (d / "4.json").write_text(json.dumps(other_layout))
    (d / "5.json").write_text(json.dumps(fake_doc(5, 7, now - metrics.STALE_AFTER - 1)))
    live = metrics.live_snapshot(tmp_path)
    assert [p["pid"] for p in live["processes"]] == [3]
    assert live["aliases"]["chat"][NOVA_LITE]["calls"] == 2
    (row,) = metrics.status_rows(live)
    assert row["calls"] == 2 and row["p95_ms"] == pytest.approx(1000.0, rel=0.01)
