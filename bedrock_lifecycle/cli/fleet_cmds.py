"""``analyze --fleet``: judge canaries on the fleet's CloudWatch numbers, optionally roll back."""

from __future__ import annotations

import argparse
import os
from typing import Any

from bedrock_lifecycle.cli._common import (
    CliError,
    add_command,
    env_region,
    non_negative_int,
    print_json,
    print_table,
    region_arg,
)


def add_parser(sub: Any) -> None:
    p = add_command(
        sub, "analyze", help="fleet canary analysis from CloudWatch; --apply writes rollbacks to SSM",
        description="Judge every alias with [analysis] and a live canary on the whole fleet's "
        "CloudWatch metrics (namespace BedrockLifecycle) over the last --window seconds, and with "
        "--apply write the rollbacks back to the SSM parameter BEDROCK_LIFECYCLE_CONFIG names, so "
        "every process picks them up.",
        examples=["bedrock-lifecycle analyze --fleet",
                  "bedrock-lifecycle analyze --fleet --window 900 --region us-west-2 --json",
                  "bedrock-lifecycle analyze --fleet --apply"],
        exit_codes=[(0, "no canary needs rolling back"),
                    (1, "a canary should be (or, with --apply, was) rolled back, or CloudWatch/SSM failed"),
                    (2, "usage error: BEDROCK_LIFECYCLE_CONFIG is not ssm:/..., a bad --window or --region")])
    p.add_argument("--fleet", action="store_true", required=True,
                   help="use the fleet's CloudWatch metrics (the only mode today)")
    p.add_argument("--region", type=region_arg, help="the Region dimension to judge (default: AWS_REGION, us-east-1)")
    p.add_argument("--window", type=non_negative_int, default=300, metavar="SECONDS",
                   help="how much recent data to judge (default 300)")
    p.add_argument("--apply", action="store_true", help="write rollbacks back to the SSM parameter")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.config import ENV_CONFIG
    from bedrock_lifecycle.config.sources import SourceError, SSMSource, source_from
    from bedrock_lifecycle.errors import ConfigError
    from bedrock_lifecycle.fleet import FleetAnalyzer

    name = os.environ.get(ENV_CONFIG, "")
    if not name.startswith("ssm:"):
        raise CliError(f"{ENV_CONFIG} must name an SSM parameter (ssm:/path) for fleet analysis, got {name!r}", 2)
    if args.window < 60:
        raise CliError(f"--window must be at least 60 seconds (CloudWatch's period), got {args.window}", 2)
    source = source_from(name)
    assert isinstance(source, SSMSource)
    region = args.region or env_region() or "us-east-1"
    try:
        decisions = FleetAnalyzer(source, region=region, window_seconds=args.window).run_once(apply=args.apply)
    except (SourceError, ConfigError) as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json({"region": region, "applied": args.apply, "decisions": decisions})
    elif not decisions:
        print("No alias with [analysis] and a live canary.")
    else:
        print_table(["alias", "canary", "calls", "errors", "p95 ms", "verdict"],
                    [[d["alias"], d["model"], d["canary_stats"]["calls"], d["canary_stats"]["errors"],
                      "-" if d["canary_stats"]["p95_ms"] is None else f"{d['canary_stats']['p95_ms']:.0f}",
                      ("ROLL BACK" + (" (written)" if args.apply else " (dry run: add --apply)") if d["rollback"]
                       else "keep") + f": {d['reason']}"] for d in decisions])
    return 1 if any(d["rollback"] for d in decisions) else 0
