"""``preflight``, ``diff`` and ``notices``: readiness before moving traffic (docs/readiness.md).

``preflight`` exits 0 when every check passed (warnings allowed), 1 when one failed or could
not run (a missing permission is "not checked", never a pass), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bedrock_lifecycle.cli._common import (
    USAGE,
    CliError,
    add_command,
    env_region,
    instant_arg,
    non_negative_int,
    now_or,
    plural,
    print_json,
    region_arg,
    whole_number,
)

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
    return whole_number(value, 1, 63, what="whole days",
                        why=" days (CloudWatch keeps 1-minute data 15 days)")


def add_parser(sub: Any) -> None:
    p = add_command(
        sub, "preflight", help="before moving traffic: access, region/profile, lifecycle and quotas",
        description="Before moving traffic to a model (or every target of an alias): is it "
        "accessible to this account, offered in each --region (directly or through an inference "
        "profile), active at --at, and do the on-demand quotas cover the load it would carry "
        "(--weight-plan percent of the alias's observed peak)? A check that cannot run for lack "
        "of a permission is 'not checked', never a pass. See docs/readiness.md.",
        examples=["bedrock-lifecycle preflight anthropic.claude-sonnet-4-6 --region us-east-1",
                  "bedrock-lifecycle preflight chat --region us-east-1 --region us-west-2 --weight-plan 10",
                  "bedrock-lifecycle preflight chat --from-cloudwatch --cloudwatch-days 14 --json"],
        exit_codes=[(0, "every check passed (warnings allowed)"),
                    (1, "a check failed, or could not run (unless --allow-unchecked)"), USAGE])
    p.add_argument("names", nargs="+", metavar="ALIAS_OR_MODEL")
    p.add_argument("--region", action="append", default=[], metavar="R", type=region_arg,
                   help="region to check; repeatable (default: AWS_REGION or AWS_DEFAULT_REGION)")
    p.add_argument("--weight-plan", type=_percent, default=100.0, metavar="PCT",
                   help="percent of the alias's observed load each model must carry (default 100)")
    p.add_argument("--from-cloudwatch", action="store_true",
                   help="peak load from CloudWatch (BedrockLifecycle namespace) instead of metrics snapshots")
    p.add_argument("--cloudwatch-days", type=_days, default=7, metavar="N", help="CloudWatch window (default 7)")
    p.add_argument("--peak-factor", type=_positive, default=1.0, metavar="F",
                   help="multiply a snapshot's average load by F to estimate the peak (default 1)")
    p.add_argument("--allow-unchecked", action="store_true", help="exit 0 even when a check could not run")
    p.add_argument("--guaranteed-for", type=non_negative_int, metavar="DAYS",
                   help="also fail a model whose earliest possible EOL is within DAYS (or unknown)")
    p.add_argument("--at", type=instant_arg, metavar="ISO8601", help="evaluate lifecycle at this instant")
    p.add_argument("--cache-dir", type=Path, metavar="DIR", help="cache directory (metrics snapshots, sync cache)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_preflight)

    p = add_command(
        sub, "diff", help="research: two models side by side, and what the application must change",
        description="Two models side by side, each fact with where it came from: the Bedrock control "
        "plane in each --region (GetFoundationModel, ListInferenceProfiles; boto3 credentials), "
        "the lifecycle registry and the price table; then what the application must change to "
        "move from OLD to NEW. A fact that could not be read is 'not checked'. Informational: it "
        "exits 0.",
        examples=["bedrock-lifecycle diff anthropic.claude-3-haiku-20240307-v1:0 "
                  "anthropic.claude-haiku-4-5-20251001-v1:0 --region us-east-1",
                  "bedrock-lifecycle diff anthropic.claude-sonnet-4-5-20250929-v1:0 anthropic.claude-sonnet-4-6 --json"],
        exit_codes=[(0, "the comparison was shown"), USAGE])
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--region", action="append", default=[], metavar="R", type=region_arg,
                   help="region to read; repeatable (default: AWS_REGION or AWS_DEFAULT_REGION)")
    p.add_argument("--at", type=instant_arg, metavar="ISO8601", help="evaluate lifecycle at this instant")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_diff)

    p = add_command(
        sub, "notices", help="Bedrock lifecycle notices from the AWS Health API",
        description="Bedrock scheduled-change (lifecycle) notices from the AWS Health API for this "
        "account, or the organisation with --organization: the models, their dates and "
        "recommended replacements, and which resources are still pending. Needs a Business, "
        "Enterprise On-Ramp or Enterprise Support plan.",
        examples=["bedrock-lifecycle notices", "bedrock-lifecycle notices --region us-east-1 --json",
                  "bedrock-lifecycle notices --organization"],
        exit_codes=[(0, "the notices (or none) were shown"),
                    (1, "the AWS Health API could not be read (no support plan, no permission, an error)"),
                    USAGE])
    p.add_argument("--region", action="append", default=[], metavar="R", type=region_arg,
                   help="only events for this region; repeatable (default: every region)")
    p.add_argument("--organization", action="store_true",
                   help="the organisation's view (management or delegated administrator account)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_notices)


def _regions(given: list[str]) -> tuple[str, ...]:
    regions = tuple(dict.fromkeys(given)) or tuple(r for r in [env_region()] if r)
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
            guaranteed_for=args.guaranteed_for,
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


def cmd_diff(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.readiness import diff
    from bedrock_lifecycle.readiness.targets import UsageError, load_config, registry_for

    regions = _regions(args.region)
    try:
        registry = registry_for(load_config())
        old, new, changes = diff.diff(args.old, args.new, regions, registry, now_or(args.at))
    except UsageError as exc:
        raise CliError(str(exc), 2) from None
    if args.json:
        print_json({"regions": list(regions), "old": old.to_json(), "new": new.to_json(), "changes": changes})
        return 0
    rows = [("", old.model_id, new.model_id, "source (old / new)")]
    for key, label in diff.FIELDS:
        a, b = old.values.get(key), new.values.get(key)
        if a is None and b is None and key not in ("context_window", "max_output"):
            continue
        src = old.sources.get(key, "-")
        if new.sources.get(key, "-") != src:
            src += " / " + new.sources.get(key, "-")
        rows.append((label, _show(a), _show(b), src))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3])
    for facts in (old, new):
        for line in facts.not_checked:
            print(f"not checked ({facts.model_id}): {line}")
    print()
    print("What the application must change:" if changes else "Nothing to change found in these facts.")
    for line in changes:
        print(f"  - {line}")
    return 0


def _show(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" if not isinstance(v, list) else f"{k} → {'/'.join(v)}"
                         for k, v in value.items() if v is not None) or "-"
    if isinstance(value, list):
        return ", ".join("?" if v is None else str(v) for v in value) or "-"
    return str(value)


def cmd_notices(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.lifecycle import health

    try:
        notices = health.fetch_notices(health.default_client(), args.region, organization=args.organization)
    except health.HealthUnavailable as exc:
        print(f"bedrock-lifecycle notices: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json({"organization": args.organization, "notices": [n.to_json() for n in notices]})
        return 0
    if not notices:
        print("No Bedrock scheduled-change notices in AWS Health.")
        return 0
    for n in notices:
        who = f", account {n.account_id}" if n.account_id else ""
        print(f"{n.arn}")
        print(f"  {n.region}, {n.status}, updated {health.iso_or_dash(n.last_updated)}{who}")
        print(f"  models: {', '.join(n.models) or 'none found'}")
        if n.replacements:
            print(f"  recommended instead: {', '.join(n.replacements)}")
        for d in n.dates:
            print(f"  {d.kind}: {d.at.date().isoformat()}")
        pending = [v for v, st in n.entities if st == "PENDING"]
        if pending:
            print(f"  still pending: {', '.join(pending)}")
    return 0


def health_sync(regions: list[str], args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """``sync --health``: fetch and cache the notices of every region (the registry is
    regional; ``regions`` only name the sync's own); (JSON for the report, lines to print).

    Without the support plan (or permission) it is one line and the sync result stands."""
    from bedrock_lifecycle.lifecycle import health
    from bedrock_lifecycle.readiness import notices as notices_mod
    from bedrock_lifecycle.readiness.targets import UsageError, load_config

    report = health.sync_health((), organization=args.organization, cache_dir=args.cache_dir)
    data = report.to_json()
    if report.unavailable is not None:
        return data, [f"health: {report.unavailable}"]
    try:
        config = load_config()
    except UsageError:
        config = None
    baseline = notices_mod.registry_without_health(args.cache_dir, config)
    found = notices_mod.conflicts(report.entries, baseline, now_or(None))
    data["conflicts"] = [c.to_json() for c in found]
    lines = [f"health: {plural(len(report.notices), 'notice')}, {plural(len(report.entries), 'model/region date')}"
             + (f" (cache: {report.cache_path})" if report.written else "")]
    if report.cache_error:
        lines.append(f"health: error: {report.cache_error}")
    lines += [f"health: conflict: {c.line()}" for c in found]
    return data, lines
