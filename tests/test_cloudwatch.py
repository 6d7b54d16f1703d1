"""Fleet metrics in CloudWatch and fleet canary analysis, against moto's server over HTTP."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
import pytest

import bedrock_lifecycle
from bedrock_lifecycle.api import runtime_of, wrap
from bedrock_lifecycle.config.sources import SSMSource
from bedrock_lifecycle.core.flow import META_KEY
from bedrock_lifecycle.fleet import FleetAnalyzer
from bedrock_lifecycle.observe.cloudwatch import CloudWatchPublisher, wait_published
from bedrock_lifecycle.observe.events import AttemptEvent
from bedrock_lifecycle.observe.names import NAMESPACE
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import MESSAGES, NOVA_LITE, NOVA_PRO, StaticRegistry

PARAM = "/fleet/analysis"




@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for k, v in {"AWS_ENDPOINT_URL_SSM": moto_url, "AWS_ENDPOINT_URL_CLOUDWATCH": moto_url,
                 "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    SSMSource._cache.clear()
    return moto_url


def ev(model: str, outcome: str = "ok", *, alias: str = "chat", latency: float = 100.0, fallback: bool = False) -> AttemptEvent:
    return AttemptEvent(alias=alias, model=model, region="us-east-1", operation="Converse", outcome=outcome,
                        error_code=None if outcome == "ok" else "InternalServerException", latency_ms=latency,
                        input_tokens=10 if outcome == "ok" else None, output_tokens=5 if outcome == "ok" else None,
                        fallback=fallback)


def metric_sum(name: str, model: str, alias: str = "chat") -> float:
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    resp = cw.get_metric_statistics(
        Namespace=NAMESPACE, MetricName=name, StartTime=end - dt.timedelta(hours=1), EndTime=end, Period=3600,
        Statistics=["Sum"], Dimensions=[{"Name": "Alias", "Value": alias}, {"Name": "Model", "Value": model},
                                        {"Name": "Region", "Value": "us-east-1"}])
    return sum(p["Sum"] for p in resp["Datapoints"])


def test_publisher_sends_the_right_dimensions_and_sums(aws: str) -> None:
    pub = CloudWatchPublisher(region="us-east-1", start=False)
    for _ in range(7):
        pub(ev(NOVA_LITE))
    for _ in range(3):
        pub(ev(NOVA_LITE, "error"))
    pub(ev(NOVA_PRO, fallback=True))
    assert pub.flush() > 0
    assert metric_sum("Calls", NOVA_LITE) == 10
    assert metric_sum("Errors", NOVA_LITE) == 3
    assert metric_sum("InputTokens", NOVA_LITE) == 70
    assert metric_sum("Fallbacks", NOVA_PRO) == 1
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    dims = {tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))
            for m in cw.list_metrics(Namespace=NAMESPACE, MetricName="Latency")["Metrics"]}
    assert (("Alias", "chat"), ("Model", NOVA_LITE), ("Region", "us-east-1")) in dims


def test_publisher_is_bounded_and_never_raises(aws: str) -> None:
    pub = CloudWatchPublisher(region="us-east-1", start=False, max_series=2)
    for m in ("a.m1-v1", "a.m2-v1", "a.m3-v1"):
        pub(ev(m))
    assert pub.dropped == 1
    pub._client = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    assert pub.flush() == 0 and pub.failures == 1  # logged, not raised


def test_client_events_reach_cloudwatch_through_the_real_client(aws: str, local_bedrock: LocalBedrock) -> None:
    c = wrap(local_bedrock.runtime_client(), config={"aliases": {"chat": {"targets": [NOVA_LITE]}}},
             registry=StaticRegistry(), environ={})
    pub = CloudWatchPublisher(region="us-east-1", start=False)
    bedrock_lifecycle.subscribe(pub, client=c)
    for _ in range(5):
        assert c.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"][META_KEY]["model_id"] == NOVA_LITE
    wait_published(pub)
    assert metric_sum("Calls", NOVA_LITE) >= 5


def put_config(doc: dict[str, Any]) -> None:
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=PARAM, Value=json.dumps(doc), Type="String", Overwrite=True)


def test_fleet_rollback_round_trip(aws: str, local_bedrock: LocalBedrock) -> None:
    alias = "fleetchat"
    put_config({"aliases": {alias: {
        "targets": [{"model": NOVA_LITE, "weight": 50}, {"model": NOVA_PRO, "weight": 50}],
        "ramp": [{"at": "2026-01-01", "weights": [20, 80]}],
        "analysis": {"min_calls": 20, "max_error_rate_increase": 0.05}}}})
    # Two processes' worth of numbers: the canary fails 30 % of the time fleet-wide.
    for _ in range(2):
        pub = CloudWatchPublisher(region="us-east-1", start=False)
        for i in range(40):
            pub(ev(NOVA_LITE, alias=alias))
            pub(ev(NOVA_PRO, "error" if i % 10 < 3 else "ok", alias=alias))
        pub.flush()
    analyzer = FleetAnalyzer(SSMSource(PARAM), region="us-east-1")
    dry = analyzer.run_once(apply=False)
    assert [d["rollback"] for d in dry] == [True]
    assert dry[0]["canary_stats"] == {"calls": 80, "errors": 24, "p95_ms": dry[0]["canary_stats"]["p95_ms"]}
    decisions = analyzer.run_once(apply=True)
    param = boto3.client("ssm", region_name="us-east-1").get_parameter(Name=PARAM)["Parameter"]
    assert decisions[0]["written_version"].startswith(f"ssm:{PARAM}:{param['Version']}:")
    doc = json.loads(param["Value"])
    a = doc["aliases"][alias]
    assert a["targets"][1]["weight"] == 0 and a["ramp"][0]["weights"] == [20, 0]
    assert doc["rollbacks"][0]["model"] == NOVA_PRO and "error rate" in doc["rollbacks"][0]["reason"]
    # Every process following the parameter now sends nothing to the canary.
    environ = {**local_bedrock.env(), "AWS_ENDPOINT_URL_SSM": aws, "BEDROCK_LIFECYCLE_CONFIG": f"ssm:{PARAM}"}
    c = wrap(local_bedrock.runtime_client(), registry=StaticRegistry(), environ=environ)
    runtime_of(c).reloader.stop()
    served = {c.converse(modelId=alias, messages=MESSAGES)["ResponseMetadata"][META_KEY]["model_id"] for _ in range(20)}
    assert served == {NOVA_LITE}


def test_healthy_fleet_canary_is_kept(aws: str) -> None:
    alias = "healthy"
    put_config({"aliases": {alias: {
        "targets": [{"model": NOVA_LITE, "weight": 50}, {"model": NOVA_PRO, "weight": 50}],
        "analysis": {"min_calls": 10}}}})
    pub = CloudWatchPublisher(region="us-east-1", start=False)
    for _ in range(30):
        pub(ev(NOVA_LITE, alias=alias))
        pub(ev(NOVA_PRO, alias=alias))
    pub.flush()
    decisions = FleetAnalyzer(SSMSource(PARAM), region="us-east-1").run_once(apply=True)
    assert [d["rollback"] for d in decisions] == [False]
    doc = json.loads(boto3.client("ssm", region_name="us-east-1").get_parameter(Name=PARAM)["Parameter"]["Value"])
    assert "rollbacks" not in doc


def test_analyze_cli_dry_run_and_bad_input(aws: str, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from bedrock_lifecycle.cli import main

    alias = "clichat"
    put_config({"aliases": {alias: {
        "targets": [{"model": NOVA_LITE, "weight": 90}, {"model": NOVA_PRO, "weight": 10}],
        "analysis": {"min_calls": 5}}}})
    pub = CloudWatchPublisher(region="us-east-1", start=False)
    for _ in range(10):
        pub(ev(NOVA_LITE, alias=alias))
        pub(ev(NOVA_PRO, "error", alias=alias))
    pub.flush()
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", f"ssm:{PARAM}")
    assert main(["analyze", "--fleet", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["applied"] is False and out["decisions"][0]["rollback"] is True
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", "/etc/models.toml")
    assert main(["analyze", "--fleet"]) == 2
    err = capsys.readouterr().err
    assert "ssm:" in err and len(err.strip().splitlines()) == 1
