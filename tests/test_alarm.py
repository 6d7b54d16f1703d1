"""``bedrock-lifecycle alarm ALIAS --canary MODEL``: a put-metric-alarm definition over the
metrics the CloudWatch publisher really sends."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.session import get_session
from botocore.validate import ParamValidator

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.observe.cloudwatch import NAMESPACE, CloudWatchPublisher
from bedrock_lifecycle.observe.events import AttemptEvent
from tests.helpers import run_cli as run

LITE, MICRO, PRO = "amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "amazon.nova-pro-v1:0"
CONFIG = {
    "aliases": {
        "chat": {
            "targets": [{"model": LITE, "weight": 90}, {"model": PRO, "weight": 10}],
            "fallbacks": [MICRO],
            "analysis": {"min_calls": 20, "max_error_rate_increase": 0.1},
        },
        "plain": {"targets": [LITE, PRO]},
    }
}


@pytest.fixture
def config_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bl.json"
    path.write_text(json.dumps(CONFIG))
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(path))
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    return path


def definition(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "alarm", *argv)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_the_definition_is_valid_put_metric_alarm_input(config_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alarm = definition(capsys, "chat", "--canary", PRO, "--alarm-action", "arn:aws:sns:eu-west-1:123456789012:ops")
    model = get_session().get_service_model("cloudwatch").operation_model("PutMetricAlarm").input_shape
    report = ParamValidator().validate(alarm, model)
    assert not report.has_errors(), report.generate_report()
    assert alarm["AlarmName"] == f"bedrock-lifecycle-chat-canary-{PRO}"
    assert alarm["Threshold"] == 0.1  # the alias's analysis.max_error_rate_increase
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"] == ["arn:aws:sns:eu-west-1:123456789012:ops"]
    [returned] = [m for m in alarm["Metrics"] if m["ReturnData"]]
    assert "cc >= 20" in returned["Expression"]  # analysis.min_calls


def test_options_override_the_alias_analysis(config_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alarm = definition(capsys, "plain", "--canary", PRO, "--max-error-rate-increase", "0.02", "--min-calls", "5",
                       "--period", "300", "--evaluation-periods", "5", "--datapoints-to-alarm", "3",
                       "--region", "us-west-2", "--name", "x")
    assert (alarm["AlarmName"], alarm["Threshold"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (
        "x", 0.02, 5, 3)
    stats = [m["MetricStat"] for m in alarm["Metrics"] if "MetricStat" in m]
    assert {s["Period"] for s in stats} == {300}
    assert {d["Value"] for s in stats for d in s["Metric"]["Dimensions"] if d["Name"] == "Region"} == {"us-west-2"}
    defaults = definition(capsys, "plain", "--canary", PRO)
    assert defaults["Threshold"] == 0.05  # no [analysis]: the library's defaults
    assert "cc >= 50" in defaults["Metrics"][-1]["Expression"]


@pytest.mark.parametrize(("argv", "message"), [
    (["nope", "--canary", PRO], "no alias 'nope' (aliases: chat, plain)"),
    (["chat", "--canary", MICRO], f"--canary '{MICRO}' is not a target of alias 'chat'"),
    (["chat", "--canary", LITE], f"--canary '{LITE}' is the baseline"),
    (["chat", "--canary", PRO, "--evaluation-periods", "1"], "--datapoints-to-alarm 2 is more than"),
])
def test_bad_input_is_one_line_and_exit_2(
    config_env: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "alarm", *argv)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("argv", "message"), [
    (["--period", "45"], "CloudWatch periods are 10, 30 or a multiple of 60 seconds, got 45"),
    (["--max-error-rate-increase", "2"], "expected a fraction between 0 and 1, got '2'"),
    (["--min-calls", "0"], "expected 1 or more, got 0"),
])
def test_bad_options_are_usage_errors(
    config_env: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["alarm", "chat", "--canary", PRO, *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


class _Num:
    """A CloudWatch metric-math number: division by zero is no value (NaN), not an error."""

    def __init__(self, v: float) -> None:
        self.v = v

    def __truediv__(self, o: _Num) -> _Num:
        return _Num(math.nan if o.v == 0 else self.v / o.v)

    def __sub__(self, o: _Num) -> _Num:
        return _Num(self.v - o.v)

    def __ge__(self, o: object) -> bool:
        return self.v >= (o.v if isinstance(o, _Num) else o)  # type: ignore[operator]

    def __gt__(self, o: object) -> bool:
        return self.v > (o.v if isinstance(o, _Num) else o)  # type: ignore[operator]


def _evaluate(alarm: dict[str, Any], sums: dict[str, float | None]) -> float:
    """The alarm's math on one period's sums (None: no datapoint)."""
    def IF(cond: bool, yes: Any, no: Any) -> Any:  # CloudWatch spells it IF
        return yes if cond else (no if isinstance(no, _Num) else _Num(no))

    values: dict[str, Any] = {k: v for k, v in sums.items()}
    for m in alarm["Metrics"]:
        expr = m.get("Expression")
        if expr is None:
            continue
        if expr.startswith("FILL("):
            src, fill = re.fullmatch(r"FILL\((\w+), (\d+)\)", expr).groups()  # type: ignore[union-attr]
            values[m["Id"]] = _Num(float(fill) if values[src] is None else float(values[src]))
        else:
            values[m["Id"]] = eval(expr, {"IF": IF, "__builtins__": {}}, values)  # our own string
    out = values[next(m for m in alarm["Metrics"] if m["ReturnData"])["Id"]]
    return out.v if isinstance(out, _Num) else float(out)


def test_the_math_breaches_only_on_enough_canary_calls_with_excess_errors(
    config_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alarm = definition(capsys, "chat", "--canary", PRO)
    t = alarm["Threshold"]

    def breach(cc: float | None, ce: float | None, bc: float | None, be: float | None) -> bool:
        return _evaluate(alarm, {"cc0": cc, "ce0": ce, "bc0": bc, "be0": be}) > t

    assert breach(100, 20, 1000, 10)  # 20 % vs 1 %
    assert not breach(100, 5, 1000, 10)  # 5 % vs 1 %: within 10 points
    assert not breach(10, 10, 1000, 0)  # every call failed, but below min_calls
    assert breach(100, 20, None, None)  # no baseline traffic: judged against 0 %
    assert not breach(None, None, 1000, 500)  # no canary traffic: nothing to judge
    assert not breach(100, 30, 1000, 250)  # the baseline errs as much


def test_the_alarm_reads_the_series_the_publisher_sends(
    config_env: Path, capsys: pytest.CaptureFixture[str], moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in {"AWS_ENDPOINT_URL_CLOUDWATCH": moto_url, "AWS_ACCESS_KEY_ID": "testing",
                 "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(k, v)
    cw = boto3.client("cloudwatch", region_name="eu-west-1")
    publisher = CloudWatchPublisher(client=cw, start=False)
    for i in range(40):
        publisher(AttemptEvent("chat", PRO, "eu-west-1", "Converse", "error" if i % 4 == 0 else "ok",
                               None, 5.0, canary=True))
        publisher(AttemptEvent("chat", LITE, "eu-west-1", "Converse", "ok", None, 5.0))
    assert publisher.flush() > 0

    alarm = definition(capsys, "chat", "--canary", PRO)
    cw.put_metric_alarm(**alarm)  # what `aws cloudwatch put-metric-alarm --cli-input-json` sends
    stored = cw.describe_alarms(AlarmNames=[alarm["AlarmName"]])["MetricAlarms"]
    assert len(stored) == 1 and stored[0]["Threshold"] == alarm["Threshold"]

    import datetime as dt

    now = dt.datetime.now(dt.timezone.utc)
    queries = [{"Id": m["Id"], "MetricStat": m["MetricStat"], "ReturnData": True}
               for m in alarm["Metrics"] if "MetricStat" in m]
    assert {q["MetricStat"]["Metric"]["Namespace"] for q in queries} == {NAMESPACE}
    got = cw.get_metric_data(MetricDataQueries=queries, StartTime=now - dt.timedelta(minutes=10),
                             EndTime=now + dt.timedelta(minutes=1))
    sums = {r["Id"]: sum(r["Values"]) if r["Values"] else None for r in got["MetricDataResults"]}
    assert sums == {"cc0": 40.0, "ce0": 10.0, "bc0": 40.0, "be0": 0.0}
    assert _evaluate(alarm, sums) == pytest.approx(0.25)  # 25 % vs 0 %: the alarm would fire
