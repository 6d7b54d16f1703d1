"""``alarm ALIAS --canary MODEL``: a CloudWatch alarm on a canary, from the library's own metrics.

Prints the ``PutMetricAlarm`` input as JSON (``aws cloudwatch put-metric-alarm
--cli-input-json file://alarm.json``). The alarm fires when the canary's error rate exceeds
the baseline's by more than the alias's ``max_error_rate_increase`` (the same rule as the
in-process and fleet analysis) on at least ``min_calls`` canary calls per period, using the
``Calls``/``Errors`` metrics the CloudWatch publisher sends (dimensions Alias, Model,
Region). An AppConfig environment that names the alarm as a monitor rolls a deployment back
when it fires (docs/fleet.md).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from bedrock_lifecycle.cli._common import (
    CliError,
    add_command,
    env_region,
    positive_int,
    print_json,
    region_arg,
)


def _period(value: str) -> int:
    n = positive_int(value)
    if n not in (10, 30) and n % 60:
        raise argparse.ArgumentTypeError(f"CloudWatch periods are 10, 30 or a multiple of 60 seconds, got {n}")
    return n


def _rate(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {value!r}") from None
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {value!r}")
    return x


def add_parser(sub: Any) -> None:
    p = add_command(
        sub, "alarm", help="print a CloudWatch alarm (put-metric-alarm JSON) that fires on a bad canary",
        description="Print the input of 'aws cloudwatch put-metric-alarm' for an alarm that fires "
        "when the canary of ALIAS errs more than its baseline by the alias's "
        "max_error_rate_increase (metric math over the BedrockLifecycle metrics), for AppConfig "
        "automatic rollback or a pager.",
        examples=["bedrock-lifecycle alarm chat --canary anthropic.claude-sonnet-4-6",
                  "bedrock-lifecycle alarm chat --canary anthropic.claude-sonnet-4-6 --min-calls 100 "
                  "--alarm-action arn:aws:sns:us-east-1:123456789012:oncall > alarm.json"],
        exit_codes=[(0, "the alarm was printed"),
                    (2, "usage error: no such alias or canary target, a bad argument or configuration")])
    p.add_argument("alias", help="the alias whose canary is watched")
    p.add_argument("--canary", required=True, metavar="MODEL", help="the canary target's model ID")
    p.add_argument("--baseline", metavar="MODEL",
                   help="the model compared against (default: the alias's first target)")
    p.add_argument("--region", type=region_arg,
                   help="the Region dimension (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)")
    p.add_argument("--name", help="alarm name (default: bedrock-lifecycle-ALIAS-canary-MODEL)")
    p.add_argument("--max-error-rate-increase", type=_rate, metavar="FRACTION",
                   help="default: the alias's analysis.max_error_rate_increase, else 0.05")
    p.add_argument("--min-calls", type=positive_int, metavar="N",
                   help="canary calls a period needs before it can breach (default: analysis.min_calls, else 50)")
    p.add_argument("--period", type=_period, default=60, metavar="SECONDS",
                   help="seconds per datapoint (default 60, the publisher's interval)")
    p.add_argument("--evaluation-periods", type=positive_int, default=3, metavar="N")
    p.add_argument("--datapoints-to-alarm", type=positive_int, default=2, metavar="N")
    p.add_argument("--alarm-action", action="append", default=[], metavar="ARN",
                   help="an action on ALARM (SNS topic, ...); repeatable")
    p.set_defaults(func=cmd_alarm)


def cmd_alarm(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.config import sources
    from bedrock_lifecycle.config.schema import AnalysisConfig
    from bedrock_lifecycle.errors import ConfigError

    try:
        config, _ = sources.initial(os.environ)  # the configuration the clients read
    except ConfigError as exc:
        raise CliError(str(exc), 2) from None
    found = config.alias(args.alias)
    if found is None:
        known = ", ".join(sorted(config.aliases)) or "none configured"
        raise CliError(f"no alias {args.alias!r} (aliases: {known})", 2)
    name, alias = found
    targets = [t.model for t in alias.targets]
    baseline = args.baseline or targets[0]
    if args.canary not in targets:
        raise CliError(f"--canary {args.canary!r} is not a target of alias {name!r} (targets: {', '.join(targets)})", 2)
    if args.canary == baseline:
        raise CliError(f"--canary {args.canary!r} is the baseline; name another target (or --baseline)", 2)
    if args.datapoints_to_alarm > args.evaluation_periods:
        raise CliError(f"--datapoints-to-alarm {args.datapoints_to_alarm} is more than "
                       f"--evaluation-periods {args.evaluation_periods}", 2)
    analysis = alias.analysis or AnalysisConfig()
    region = args.region or env_region() or "us-east-1"
    print_json(alarm_definition(
        name, args.canary, baseline, region=region,
        max_error_rate_increase=(analysis.max_error_rate_increase if args.max_error_rate_increase is None
                                 else args.max_error_rate_increase),
        min_calls=analysis.min_calls if args.min_calls is None else args.min_calls,
        period=args.period, evaluation_periods=args.evaluation_periods,
        datapoints_to_alarm=args.datapoints_to_alarm, alarm_name=args.name, actions=args.alarm_action,
    ))
    return 0


def alarm_definition(
    alias: str,
    canary: str,
    baseline: str,
    *,
    region: str,
    max_error_rate_increase: float,
    min_calls: int,
    period: int = 60,
    evaluation_periods: int = 3,
    datapoints_to_alarm: int = 2,
    alarm_name: str | None = None,
    actions: list[str] | None = None,
) -> dict[str, Any]:
    """The ``PutMetricAlarm`` input (CloudWatch metric math over the publisher's metrics)."""
    from bedrock_lifecycle.observe.names import NAMESPACE

    def stat(ident: str, metric: str, model: str) -> dict[str, Any]:
        dims = [{"Name": "Alias", "Value": alias}, {"Name": "Model", "Value": model},
                {"Name": "Region", "Value": region}]
        return {"Id": ident, "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": NAMESPACE, "MetricName": metric, "Dimensions": dims},
            "Period": period, "Stat": "Sum"}}

    # FILL: a period without traffic is 0 calls (no data would otherwise make the math empty);
    # below min_calls the excess is 0, so a handful of calls never rolls a deployment back.
    excess = f"IF(cc >= {min_calls}, ce / cc - IF(bc > 0, be / bc, 0), 0)"
    name = alarm_name or f"bedrock-lifecycle-{alias}-canary-{canary}"
    out: dict[str, Any] = {
        "AlarmName": name[:255],
        "AlarmDescription": (
            f"bedrock-lifecycle: canary {canary} of alias {alias} in {region} errs more than "
            f"{max_error_rate_increase:.2%} above baseline {baseline} (on >= {min_calls} calls a period)"
        )[:1024],
        "ActionsEnabled": True,
        "Metrics": [
            stat("cc0", "Calls", canary),
            stat("ce0", "Errors", canary),
            stat("bc0", "Calls", baseline),
            stat("be0", "Errors", baseline),
            {"Id": "cc", "Expression": "FILL(cc0, 0)", "ReturnData": False},
            {"Id": "ce", "Expression": "FILL(ce0, 0)", "ReturnData": False},
            {"Id": "bc", "Expression": "FILL(bc0, 0)", "ReturnData": False},
            {"Id": "be", "Expression": "FILL(be0, 0)", "ReturnData": False},
            {"Id": "excess", "Expression": excess, "Label": f"{canary} error rate above baseline",
             "ReturnData": True},
        ],
        "EvaluationPeriods": evaluation_periods,
        "DatapointsToAlarm": datapoints_to_alarm,
        "Threshold": max_error_rate_increase,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }
    if actions:
        out["AlarmActions"] = list(actions)
    return out
