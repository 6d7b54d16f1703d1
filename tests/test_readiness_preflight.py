"""``bedrock-lifecycle preflight`` end to end: real botocore clients over HTTP to the local
Bedrock (control plane, Service Quotas), the configuration as the client reads it, and load
from metrics snapshot files or CloudWatch (moto). Every check's negative answers and missing
permissions."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import config_file_env
from tests.helpers import run_cli as run

NOVA = "amazon.nova-lite-v1:0"
MICRO = "amazon.nova-micro-v1:0"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
US_SONNET_46 = "us.anthropic.claude-sonnet-4-6"
SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0"  # LEGACY in the catalogue, EOL 2026-10-14
NOVA_TPM = "On-demand model inference tokens per minute for Amazon Nova Lite"
AT = "2026-09-01T00:00:00Z"  # Sonnet 4 is Legacy (not yet EOL) then

CONFIG = f"""
[aliases.chat]
targets = [{{ model = "{NOVA}", weight = 90 }}, {{ model = "{US_SONNET_46}", weight = 10 }}]
fallbacks = ["{MICRO}"]

[aliases.old]
targets = ["{SONNET_4}"]
"""


@pytest.fixture
def env(local_bedrock_env: LocalBedrock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config_file_env(tmp_path, monkeypatch, CONFIG)
    return tmp_path / "cache"


def snapshot(cache: Path, alias: str, model: str, *, calls: int, tokens: int, seconds: float = 600.0,
             pid: int = 4242) -> None:
    """A metrics snapshot file as the ``file`` exporter writes it: totals since start-up."""
    now = time.time()
    doc = {
        "schema": "bedrock-lifecycle/metrics", "version": 1, "pid": pid,
        "started_at": now - seconds, "written_at": now, "relative_accuracy": 0.01,
        "series": [{"alias": alias, "model": model, "is_shadow": False, "ok": calls, "failed": 0,
                    "input_tokens": tokens * 3 // 4, "output_tokens": tokens - tokens * 3 // 4,
                    "latency": {"zero": 0, "buckets": {}}, "last_at": now}],
        "rollbacks": [],
    }
    (cache / "metrics").mkdir(parents=True, exist_ok=True)
    (cache / "metrics" / f"{pid}.json").write_text(json.dumps(doc))


def preflight_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, dict[str, dict[str, object]]]]:
    """Exit code and {model: {check: check json}} for one region."""
    code, out, err = run(capsys, "preflight", *argv, "--json")
    assert err == ""
    doc = json.loads(out)
    by_model: dict[str, dict[str, dict[str, object]]] = {}
    for r in doc["results"]:
        by_model[r["model"]] = {c["check"]: c for c in r["checks"]}
    return code, by_model


def test_a_ready_alias_passes_every_check(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot(env, "chat", NOVA, calls=600, tokens=600_000)  # 60 requests/min, 60,000 tokens/min
    code, out, _ = run(capsys, "preflight", "chat", "--region", "us-east-1")
    assert code == 0, out
    assert f"{NOVA} (chat: target 90%) in us-east-1" in out
    assert f"{US_SONNET_46} (chat: target 10%) in us-east-1" in out
    assert "FAIL" not in out and "NOT CHECKED" not in out
    assert "profile us.anthropic.claude-sonnet-4-6 is offered in us-east-1" in out
    assert out.rstrip().endswith("ready: 12 passed, 0 warnings, 0 failed, 0 not checked")


def test_guaranteed_for_fails_a_model_whose_earliest_eol_is_within_the_horizon(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The planning-horizon gate of `check --guaranteed-for`, in preflight: Sonnet 4.6 is
    guaranteed to 2027-06-01 (docs/registry.md), so a 90-day horizon passes and a 365-day
    one fails, naming the date."""
    snapshot(env, "chat", NOVA, calls=600, tokens=600_000)
    _, checks = preflight_json(capsys, "chat", "--region", "us-east-1", "--at", "2026-12-01", "--guaranteed-for", "90")
    assert checks[US_SONNET_46]["lifecycle"]["status"] == "pass"
    code, checks = preflight_json(capsys, "chat", "--region", "us-east-1", "--at", "2026-12-01",
                                  "--guaranteed-for", "365")
    life = checks[US_SONNET_46]["lifecycle"]
    assert code == 1 and life["status"] == "fail" and "2027-06-01" in str(life["summary"])


def test_quota_shortfall_names_the_code_and_the_request_command(
    env: Path, capsys: pytest.CaptureFixture[str], local_bedrock_env: LocalBedrock
) -> None:
    snapshot(env, "chat", NOVA, calls=600, tokens=6_000_000)  # 600,000 tokens/min on average
    code, checks = preflight_json(capsys, "chat", "--region", "us-east-1")
    assert code == 1
    quota = checks[NOVA]["quotas"]
    assert quota["status"] == "fail"
    tpm_code = quota["data"]["tokens"]["code"]  # type: ignore[index]
    assert "at 100 % this model needs ≈ 600,000 tokens/min on average" in str(quota["summary"])
    assert f"the quota is 400,000 ({tpm_code})" in str(quota["summary"])
    assert quota["actions"] == [
        "aws service-quotas request-service-quota-increase --service-code bedrock "
        f"--quota-code {tpm_code} --desired-value 720000 --region us-east-1"
    ]
    # The same load is within the quota once the increase is applied ...
    local_bedrock_env.set_applied_quota(NOVA_TPM, 800_000)
    assert preflight_json(capsys, "chat", "--region", "us-east-1")[1][NOVA]["quotas"]["status"] == "pass"
    # ... and at a 50 % plan against the default.
    local_bedrock_env.set_applied_quota(NOVA_TPM, None)
    code, checks = preflight_json(capsys, "chat", "--region", "us-east-1", "--weight-plan", "50")
    assert checks[NOVA]["quotas"]["status"] == "pass"
    assert str(checks[NOVA]["quotas"]["summary"]) == (
        "at 50 % this model needs ≈ 30 requests/min and ≈ 300,000 tokens/min on average "
        "(no peak data in snapshots); within the quota (200 and 400,000)"
    )


def test_an_applied_value_below_the_default_fails(
    env: Path, capsys: pytest.CaptureFixture[str], local_bedrock_env: LocalBedrock
) -> None:
    snapshot(env, "chat", NOVA, calls=60, tokens=600_000)  # 60,000 tokens/min
    local_bedrock_env.set_applied_quota(NOVA_TPM, 10_000)
    _, checks = preflight_json(capsys, "chat", "--region", "us-east-1")
    assert checks[NOVA]["quotas"]["status"] == "fail"
    assert "the quota is 10,000" in str(checks[NOVA]["quotas"]["summary"])


def test_no_observed_load_is_a_warning_not_a_pass(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, checks = preflight_json(capsys, "chat", "--region", "us-east-1")
    quota = checks[NOVA]["quotas"]
    assert quota["status"] == "warn" and "no observed load" in str(quota["summary"])
    assert "BEDROCK_LIFECYCLE_METRICS=file" in str(quota["summary"])
    assert code == 0  # warnings do not block


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ({"authorization": "NOT_AUTHORIZED"}, "request access to the model"),
        ({"agreement": "NOT_AVAILABLE"}, "accept the model's offer"),
        ({"agreement": "PENDING"}, "being processed"),
        ({"entitlement": "NOT_AVAILABLE"}, "not entitled"),
        ({"region_availability": "NOT_AVAILABLE"}, "choose a region that offers"),
    ],
)
def test_access_negative_answers_each_name_their_action(
    env: Path, capsys: pytest.CaptureFixture[str], local_bedrock_env: LocalBedrock,
    script: dict[str, str], expected: str,
) -> None:
    local_bedrock_env.set_model_availability(NOVA, **script)  # type: ignore[arg-type]
    code, checks = preflight_json(capsys, NOVA, "--region", "us-east-1")
    access = checks[NOVA]["access"]
    assert code == 1 and access["status"] == "fail"
    assert any(expected in a for a in access["actions"])  # type: ignore[union-attr]


def test_region_and_profile_answers(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Sonnet 4.5 is offered through profiles only: the plain ID cannot be invoked on demand.
    code, checks = preflight_json(capsys, SONNET_45, "--region", "us-east-1", "--allow-unchecked")
    region = checks[SONNET_45]["region"]
    assert code == 1 and region["status"] == "fail"
    assert "cannot be invoked on demand in us-east-1 (inference types: INFERENCE_PROFILE)" in str(region["summary"])
    assert "us.anthropic.claude-sonnet-4-5-20250929-v1:0" in region["actions"][0]  # type: ignore[index]
    assert "no on-demand quota applies" in str(checks[SONNET_45]["quotas"]["summary"])
    assert "global.anthropic.claude-sonnet-4-5-20250929-v1:0" in region["actions"][0]  # type: ignore[index]
    # A profile the region does not offer.
    eu = "eu." + SONNET_45
    _, checks = preflight_json(capsys, eu, "--region", "us-east-1")
    assert checks[eu]["region"]["status"] == "fail"
    assert f"profile {eu} is not offered in us-east-1" == checks[eu]["region"]["summary"]
    # The plain ID of an on-demand model is fine in any region the catalogue offers it in.
    _, checks = preflight_json(capsys, NOVA, "--region", "ap-south-1")
    assert checks[NOVA]["region"]["status"] == "pass"


def test_a_model_missing_from_a_region(
    env: Path, capsys: pytest.CaptureFixture[str], local_bedrock_env: LocalBedrock
) -> None:
    local_bedrock_env.add_foundation_model("meta.llama3-8b-instruct-v1:0", regions=["us-west-2"])
    model = "meta.llama3-8b-instruct-v1:0"
    _, checks = preflight_json(capsys, model, "--region", "us-east-1")
    assert checks[model]["access"]["status"] == "fail"
    assert "not available in us-east-1" in str(checks[model]["access"]["summary"])
    assert checks[model]["region"]["status"] == "fail"
    assert checks[model]["region"]["summary"] == f"{model} is not offered in us-east-1"
    _, checks = preflight_json(capsys, model, "--region", "us-west-2")
    assert checks[model]["access"]["status"] == checks[model]["region"]["status"] == "pass"


def test_legacy_warns_and_eol_fails(
    env: Path, capsys: pytest.CaptureFixture[str], local_bedrock_env: LocalBedrock
) -> None:
    _, checks = preflight_json(capsys, "old", "--region", "us-east-1", "--at", AT)
    life = checks[SONNET_4]["lifecycle"]
    assert life["status"] == "warn"
    assert "not available to accounts that have not used it recently" in str(life["summary"])
    assert "EOL 2026-10-14" in " ".join(life["details"])  # type: ignore[arg-type]
    code, checks = preflight_json(capsys, "old", "--region", "us-east-1", "--at", "2026-11-01")
    assert code == 1 and checks[SONNET_4]["lifecycle"]["status"] == "fail"
    local_bedrock_env.eol(SONNET_4)
    _, checks = preflight_json(capsys, "old", "--region", "us-east-1", "--at", AT)
    assert checks[SONNET_4]["access"]["status"] == "fail"
    assert "has reached end of life" in str(checks[SONNET_4]["access"]["summary"])


@pytest.mark.parametrize(
    ("fail", "check", "action"),
    [
        (("control", "GetFoundationModelAvailability"), "access", "bedrock:GetFoundationModelAvailability"),
        (("control", "ListInferenceProfiles"), "region", "bedrock:ListInferenceProfiles"),
        (("quotas", "ListAWSDefaultServiceQuotas"), None, None),  # the applied listing names them too
        (("quotas", "*"), "quotas", "servicequotas:ListAWSDefaultServiceQuotas"),
        (("quotas", "GetServiceQuota"), "quotas", "servicequotas:GetServiceQuota"),
    ],
)
def test_a_missing_permission_is_not_checked_never_a_pass(
    env: Path, capsys: pytest.CaptureFixture[str], local_bedrock_env: LocalBedrock,
    fail: tuple[str, str], check: str | None, action: str | None,
) -> None:
    snapshot(env, "chat", US_SONNET_46, calls=60, tokens=6_000)
    where, op = fail
    if where == "control":
        local_bedrock_env.fail_control(op, "AccessDeniedException")
    else:
        local_bedrock_env.fail_service_quotas(op, "AccessDeniedException")
    code, checks = preflight_json(capsys, US_SONNET_46, "--region", "us-east-1")
    if check is None:
        # Only the defaults listing is denied: the applied listing and GetServiceQuota decide.
        assert checks[US_SONNET_46]["quotas"]["status"] in ("warn", "pass")
        return
    got = checks[US_SONNET_46][check]
    assert got["status"] == "not_checked"
    assert got["iam_action"] == action
    assert f"missing permission {action}" in str(got["summary"])
    assert code == 1
    code, _ = preflight_json(capsys, US_SONNET_46, "--region", "us-east-1", "--allow-unchecked")
    assert code == 0


def test_text_output_for_a_missing_permission(
    env: Path, capsys: pytest.CaptureFixture[str], local_bedrock_env: LocalBedrock
) -> None:
    local_bedrock_env.fail_control("*", "AccessDeniedException")
    local_bedrock_env.fail_service_quotas("*", "AccessDeniedException")
    code, out, err = run(capsys, "preflight", NOVA, "--region", "us-east-1")
    assert code == 1 and err == ""
    assert "NOT CHECKED access" in " ".join(out.split())
    assert "Traceback" not in out
    assert "NOT ready:" in out


def test_every_region_is_checked(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "preflight", NOVA, "--region", "us-east-1", "--region", "eu-west-1", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] is True
    assert [r["region"] for r in doc["results"]] == ["us-east-1", "eu-west-1"]


def test_usage_errors_exit_2(env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, "preflight", "nosuch", "--region", "us-east-1")
    assert code == 2
    assert err.strip() == (
        "bedrock-lifecycle preflight: error: 'nosuch' is neither a configured alias nor a model ID "
        "(configured aliases: chat, old)"
    )
    with pytest.raises(SystemExit) as exc:
        main(["preflight", "chat", "--weight-plan", "0"])
    assert exc.value.code == 2
    assert "--weight-plan: expected more than 0 and at most 100, got 0" in capsys.readouterr().err
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    code, _, err = run(capsys, "preflight", "chat")
    assert code == 2 and "no region" in err


def test_load_from_cloudwatch_uses_the_busiest_minute(
    env: Path, capsys: pytest.CaptureFixture[str], moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", moto_url)
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=moto_url)
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    alias = f"cw-{int(time.time() * 1000)}"  # the moto server lives for the session
    dims = [{"Name": "Alias", "Value": alias}, {"Name": "Model", "Value": NOVA},
            {"Name": "Region", "Value": "us-east-1"}]
    for minutes_ago, tokens in ((30, 100_000), (20, 500_000), (10, 200_000)):
        at = now - dt.timedelta(minutes=minutes_ago)
        cw.put_metric_data(Namespace="BedrockLifecycle", MetricData=[
            {"MetricName": "Calls", "Dimensions": dims, "Timestamp": at, "Value": tokens / 1000},
            {"MetricName": "InputTokens", "Dimensions": dims, "Timestamp": at, "Value": tokens * 0.8},
            {"MetricName": "OutputTokens", "Dimensions": dims, "Timestamp": at, "Value": tokens * 0.2},
        ])
    cfg = Path(os.environ["BEDROCK_LIFECYCLE_CONFIG"])
    cfg.write_text(cfg.read_text() + f'\n[aliases.{alias}]\ntargets = ["{NOVA}"]\n')
    code, checks = preflight_json(capsys, alias, "--region", "us-east-1", "--from-cloudwatch")
    assert code == 1
    quota = checks[NOVA]["quotas"]
    assert quota["status"] == "fail", quota
    assert "needs ≈ 500,000 tokens/min at peak" in str(quota["summary"])
    assert quota["data"]["load"]["basis"] == "peak"  # type: ignore[index]


def test_cloudwatch_failure_is_not_checked(
    env: Path, capsys: pytest.CaptureFixture[str], local_bedrock_env: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", local_bedrock_env.endpoint_url)  # no such service
    code, checks = preflight_json(capsys, "chat", "--region", "us-east-1", "--from-cloudwatch")
    assert code == 1
    assert checks[NOVA]["quotas"]["status"] == "not_checked"
    assert "CloudWatch failed" in str(checks[NOVA]["quotas"]["summary"])


def test_snapshots_written_by_the_metrics_module_are_read(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The file format readiness reads on its own is the one the metrics observer writes."""
    from bedrock_lifecycle.observe import metrics

    doc = metrics.Metrics().document()
    doc["series"] = [{**metrics.Series("chat", NOVA).to_state(), "ok": 6000, "input_tokens": 10_000_000}]
    doc["started_at"] = doc["written_at"] - 600
    (env / "metrics").mkdir(parents=True)
    (env / "metrics" / "777.json").write_text(json.dumps(doc))
    _, checks = preflight_json(capsys, "chat", "--region", "us-east-1")
    assert checks[NOVA]["quotas"]["status"] == "fail"
    assert "1,000,000 tokens/min" in str(checks[NOVA]["quotas"]["summary"])
