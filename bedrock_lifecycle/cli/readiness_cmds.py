"""``preflight``, ``diff`` and ``notices``: readiness before moving traffic (docs/readiness.md).

``preflight`` exits 0 when every check passed (warnings allowed), 1 when one failed or could
not run (a missing permission is "not checked", never a pass), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from bedrock_lifecycle.cli._common import CliError, instant_arg, now_or, print_json

_MARK = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "not_checked": "NOT CHECKED"}


def _percent(value: str) -> float:
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage, got {value!r}") from None
    if not 0 < n <= 100:
        raise argparse.ArgumentTypeError(f"expected more than 0 and at most 100, got {value}")
    return n


def _positive(value: str) -> float:
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not n > 0 or n != n or n == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {value}")
    return n


def _days(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole days, got {value!r}") from None
    if not 1 <= n <= 63:
        raise argparse.ArgumentTypeError(f"expected 1 to 63 days (CloudWatch keeps 1-minute data 15 days), got {n}")
    return n


def add_parser(sub: Any) -> None:
    p = sub.add_parser("preflight", help="before moving traffic: access, region/profile, lifecycle and quotas")
    p.add_argument("names", nargs="+", metavar="ALIAS_OR_MODEL")
    p.add_argument("--region", action="append", default=[], metavar="R",
                   help="region to check; repeatable (default: AWS_REGION or AWS_DEFAULT_REGION)")
    p.add_argument("--weight-plan", type=_percent, default=100.0, metavar="PCT",
                   help="percent of the alias's observed load each model must carry (default 100)")
    p.add_argument("--from-cloudwatch", action="store_true",
                   help="peak load from CloudWatch (BedrockLifecycle namespace) instead of metrics snapshots")
    p.add_argument("--cloudwatch-days", type=_days, default=7, metavar="N", help="CloudWatch window (default 7)")
    p.add_argument("--peak-factor", type=_positive, default=1.0, metavar="F",
                   help="multiply a snapshot's average load by F to estimate the peak (default 1)")
    p.add_argument("--allow-unchecked", action="store_true", help="exit 0 even when a check could not run")
    p.add_argument("--at", type=instant_arg, metavar="ISO8601", help="evaluate lifecycle at this instant")
    p.add_argument("--cache-dir", type=Path, metavar="DIR", help="cache directory (metrics snapshots, sync cache)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_preflight)


def _regions(given: list[str]) -> tuple[str, ...]:
    regions = tuple(dict.fromkeys(given)) or tuple(
        r for r in [os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")] if r
    )
    if not regions:
        raise CliError("no region: pass --region R (repeatable) or set AWS_REGION", 2)
    return regions


def cmd_preflight(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.lifecycle.sync import resolve_cache_dir
    from bedrock_lifecycle.readiness import preflight
    from bedrock_lifecycle.readiness.model import counts, exit_code
    from bedrock_lifecycle.readiness.targets import UsageError, load_config, registry_for

    regions = _regions(args.region)
    try:
        config = load_config()
        registry = registry_for(config)
        cache_dir = args.cache_dir or config.registry.cache_dir
        options = preflight.Options(
            regions=regions, plan=args.weight_plan, from_cloudwatch=args.from_cloudwatch,
            cloudwatch_days=args.cloudwatch_days, peak_factor=args.peak_factor,
            metrics_dir=resolve_cache_dir(cache_dir) / "metrics", now=now_or(args.at),
        )
        results = preflight.run(args.names, config, registry, options)
    except UsageError as exc:
        raise CliError(str(exc), 2) from None
    code = exit_code(results, allow_unchecked=args.allow_unchecked)
    n = counts(results)
    if args.json:
        print_json({"regions": list(regions), "weight_plan": args.weight_plan, "ok": code == 0,
                    "counts": n, "results": [r.to_json() for r in results]})
        return code
    for r in results:
        role = r.subject.role + (f" {r.subject.share:.0%}" if r.subject.share is not None else "")
        print(f"{r.subject.configured} ({r.source}: {role}) in {r.region}")
        for c in r.checks:
            print(f"  {_MARK[c.status.value]:<11} {c.name:<9} {c.summary}")
            for line in c.details:
                print(f"  {'':<11} {'':<9}   {line}")
            for line in c.actions:
                print(f"  {'':<11} {'':<9} → {line}")
    verdict = "ready" if code == 0 else "NOT ready"
    print(f"{verdict}: {n['pass']} passed, {n['warn']} warnings, {n['fail']} failed, {n['not_checked']} not checked")
    return code
