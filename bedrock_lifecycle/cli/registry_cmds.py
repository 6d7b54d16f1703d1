"""``lookup``, ``list`` and ``sync``: the lifecycle registry from the command line.

``lookup`` and ``list`` never touch the network (bundled data plus the sync cache), except
``lookup --resolve``, which asks the Bedrock control plane for an opaque ARN's base model.
``sync`` refreshes the cache from ``ListFoundationModels`` and exits 1 when every region
failed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import warnings
from pathlib import Path
from typing import Any

from bedrock_lifecycle.cli._common import (
    USAGE,
    CliError,
    add_command,
    env_region,
    fmt_date,
    instant_arg,
    now_or,
    plural,
    print_json,
    print_table,
    region_arg,
    replacement_text,
)
from bedrock_lifecycle.lifecycle.model import LifecycleStatus, State

_STATES = [s.value for s in State]


def add_parser(sub: Any) -> None:
    p = add_command(
        sub, "lookup", help="lifecycle of one model ID, profile ID or ARN",
        description="The lifecycle of one model ID, inference-profile ID or ARN, in --region at --at: "
        "state, Legacy, extended-access and EOL dates, days left, the replacement (AWS's, or a "
        "suggested successor marked as such), the source of the facts and how long the model is "
        "guaranteed. Informational: it exits 0 whatever the state (use 'check' or 'scan' as a "
        "gate). Bundled data plus the sync cache; no network unless --resolve.",
        examples=["bedrock-lifecycle lookup anthropic.claude-3-haiku-20240307-v1:0 --region us-east-1",
                  "bedrock-lifecycle lookup us.anthropic.claude-sonnet-4-5-20250929-v1:0 --at 2027-01-01 --json",
                  "bedrock-lifecycle lookup arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/"
                  "abc123 --resolve"],
        exit_codes=[(0, "the lifecycle was shown (whatever the state: lookup is informational)"),
                    (2, "usage error: not a model ID, a bad --at, --region or --map")])
    p.add_argument("model_id", metavar="MODEL_ID")
    _region_at(p)
    p.add_argument("--resolve", action="store_true",
                   help="ask the Bedrock control plane (boto3 credentials) for the base model of an "
                        "application profile, provisioned or custom model ARN")
    p.add_argument("--map", action="append", default=[], metavar="ID=BASE",
                   help="treat ID (an ARN naming no base model) as BASE; repeatable")
    p.set_defaults(func=cmd_lookup)

    p = add_command(
        sub, "list", help="every known model and its lifecycle state",
        description="Every model the bundled data and the sync cache know, with its state, dates, "
        "days to EOL, how long it is guaranteed and its replacement, in --region at --at. "
        "Informational: it exits 0.",
        examples=["bedrock-lifecycle list --region us-east-1",
                  "bedrock-lifecycle list --state legacy --at 2027-01-01",
                  "bedrock-lifecycle list --confidence reported --json"],
        exit_codes=[(0, "the list was shown"), USAGE])
    _region_at(p)
    p.add_argument("--state", choices=_STATES, help="only models in this state")
    p.add_argument("--confidence", choices=["confirmed", "reported"],
                   help="only models whose lifecycle dates have this confidence")
    p.set_defaults(func=cmd_list)

    p = add_command(
        sub, "sync", help="refresh lifecycle data from the Bedrock API into the local cache",
        description="Read ListFoundationModels in each --region (boto3 credentials, "
        "bedrock:ListFoundationModels) and write the lifecycle states and dates to the local "
        "cache, which lookup, list, scan, check and the client read. A region that fails keeps "
        "its previous data. --prices refreshes on-demand prices instead; --health also reads AWS "
        "Health lifecycle notices.",
        examples=["bedrock-lifecycle sync --region us-east-1 --region eu-west-1",
                  "bedrock-lifecycle sync --region us-east-1 --health --json",
                  "bedrock-lifecycle sync --prices"],
        exit_codes=[(0, "at least one region was read and the cache written"),
                    (1, "every region failed, or the cache could not be written"), USAGE])
    p.add_argument("--region", action="append", default=[], metavar="R", type=region_arg,
                   help="region to read; repeatable (default: AWS_REGION or AWS_DEFAULT_REGION)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help="cache directory (default: BEDROCK_LIFECYCLE_CACHE_DIR or the platform cache dir)")
    p.add_argument("--prices", action="store_true",
                   help="refresh on-demand prices from the AWS Price List API instead (see docs/compare.md)")
    p.add_argument("--health", action="store_true",
                   help="also read Bedrock lifecycle notices from AWS Health (docs/readiness.md)")
    p.add_argument("--organization", action="store_true", help="with --health: the organisation's view")
    p.set_defaults(func=cmd_sync)


def _region_at(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", type=region_arg, help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION; none = "
                                    "the most conservative state over every region)")
    p.add_argument("--at", type=instant_arg, metavar="ISO8601", help="evaluate at this instant (default: now)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help="sync cache directory (default: BEDROCK_LIFECYCLE_CACHE_DIR or the platform cache dir)")


def default_region(explicit: str | None, environ: Any = None) -> str | None:
    """``--region``, else the validated AWS_REGION / AWS_DEFAULT_REGION, else None."""
    return explicit or env_region(environ)


def _iso(d: _dt.datetime) -> str:
    return d.isoformat().replace("+00:00", "Z")


def _registry(args: argparse.Namespace, *, resolver: Any = None, base_map: dict[str, str] | None = None) -> Any:
    from bedrock_lifecycle.lifecycle.registry import Registry

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            registry = Registry.default(cache_dir=args.cache_dir, base_model_map=base_map, resolver=resolver)
        except ValueError as exc:  # a bad --map
            raise CliError(str(exc), 2) from None
    for w in caught:  # a corrupt cache: one line, not a Python warning dump
        print(f"warning: {w.message}", file=sys.stderr)
    return registry


# --------------------------------------------------------------------------- lookup


def cmd_lookup(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.ids import ModelIdError, parse_model_id
    from bedrock_lifecycle.regions import RegionError, validate_region

    region = default_region(args.region)
    at = now_or(args.at)
    base_map: dict[str, str] = {}
    for item in args.map:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise CliError(f"--map {item!r}: expected ID=BASE", 2)
        base_map[key] = value
    resolver = None
    if args.resolve:
        from bedrock_lifecycle.lifecycle.resolver import ControlPlaneResolver

        resolver = ControlPlaneResolver()
    registry = _registry(args, resolver=resolver, base_map=base_map or None)
    try:
        arn_region = parse_model_id(args.model_id).region
        if arn_region:  # a mistyped ARN region would read `unknown`, as if nothing were wrong
            validate_region(arn_region, f"{args.model_id}: its ARN region")
        status = registry.lookup(args.model_id, region, at)
    except (ModelIdError, RegionError) as exc:
        raise CliError(str(exc), 2) from None
    age = _data_age(args, at)
    if args.json:
        print_json({**status.to_json(), "data_age": age.to_json()})
        return 0
    _print_status(status)
    _print_age(age)
    return 0


def _data_age(args: argparse.Namespace, at: _dt.datetime) -> Any:
    from bedrock_lifecycle.lifecycle.gates import data_age

    return data_age(at, args.cache_dir)


def _print_age(age: Any) -> None:
    print(age.line())
    if age.suggestion:
        print(age.suggestion)


def _period(s: LifecycleStatus) -> str:
    if s.legacy_period_days is None:
        return "unknown"
    return "6 months" if s.legacy_period_days == 182 else f"{s.legacy_period_days} days"


def _print_status(s: LifecycleStatus) -> None:
    state = s.state.value
    since = {State.LEGACY: s.legacy_date, State.EXTENDED_ACCESS: s.extended_access_date, State.EOL: s.eol_date}
    if since.get(s.state) is not None:
        state += f" (since {fmt_date(since[s.state])})"
    eol = fmt_date(s.eol_date)
    if s.eol_date is not None:  # calendar days; on the day itself "today", before or after the hour
        days = (s.eol_date.date() - s.at.date()).days
        eol += " (today)" if days == 0 else f" (in {plural(days, 'day')})" if days > 0 else f" ({plural(-days, 'day')} ago)"
    rows = [
        ("model", s.model_id),
        ("base model", s.base_model_id or "-"),
        ("region", s.region or "(none: most conservative over all regions)"),
        ("at", _iso(s.at)),
        ("state", state),
        ("legacy", fmt_date(s.legacy_date)),
        ("extended access", fmt_date(s.extended_access_date)),
        ("end of life", eol),
        ("replacements", replacement_text(s.replacements, s.suggested_replacements)),
        ("source", s.source + (f" ({s.entry.provenance})" if s.entry is not None and s.entry.provenance else "")),
        ("policy", s.policy or "unknown"),
        ("launch", fmt_date(s.launch_date)),
        ("legacy period", _period(s)),
    ]
    if s.confidence is not None:
        ev = s.evidence_date
        conf = s.confidence + (f" (evidence {ev.isoformat()})" if ev else "")
        if s.reported:
            conf += ": reported by third parties, not confirmed by AWS; warns, never refuses unless trusted"
        rows.insert(next(i for i, (k, _) in enumerate(rows) if k == "replacements"), ("confidence", conf))
    if s.state is State.ACTIVE:
        rows.append(("safe until at least", fmt_date(s.safe_until) if s.safe_until else "unknown (no guarantee known)"))
    if s.name:
        rows.insert(2, ("name", s.name))
    if s.note:
        rows.append(("note", s.note))
    width = max(len(k) for k, _ in rows) + 1
    for k, v in rows:
        print(f"{(k + ':').ljust(width)} {v}")


# --------------------------------------------------------------------------- list


def cmd_list(args: argparse.Namespace) -> int:
    region = default_region(args.region)
    at = now_or(args.at)
    state = State(args.state) if args.state else None
    registry = _registry(args)
    statuses = registry.list(region, at, state)
    if args.confidence:
        statuses = [s for s in statuses if s.confidence == args.confidence]
    age = _data_age(args, at)
    if args.json:
        print_json({
            "region": region,
            "at": _iso(at),
            "state": args.state,
            "confidence": args.confidence,
            "models": [s.to_json() for s in statuses],
            "data_age": age.to_json(),
        })
        return 0
    rows = [
        (
            s.model_id,
            s.state.value + (" (reported)" if s.reported else ""),
            fmt_date(s.legacy_date),
            fmt_date(s.extended_access_date),
            fmt_date(s.eol_date),
            "-" if s.days_to_eol is None else s.days_to_eol,
            fmt_date(s.safe_until),
            replacement_text(s.replacements, s.suggested_replacements),
            s.source,
        )
        for s in statuses
    ]
    print_table(("model", "state", "legacy", "extended access", "eol", "days to eol", "safe until",
                 "replacement", "source"), rows)
    _print_age(age)
    return 0


# --------------------------------------------------------------------------- sync


def cmd_sync(args: argparse.Namespace) -> int:
    if args.prices:
        from bedrock_lifecycle.cli.prices_cmd import cmd_sync_prices

        return cmd_sync_prices(args)
    from bedrock_lifecycle.lifecycle import sync as sync_mod

    regions = list(dict.fromkeys(args.region)) or [r for r in [default_region(None)] if r]
    if not regions:
        raise CliError("no region: pass --region R (repeatable) or set AWS_REGION", 2)
    with warnings.catch_warnings():
        # Failures are in the report (table or JSON); no Python warning dump on top.
        warnings.simplefilter("ignore", sync_mod.CacheWarning)
        report = sync_mod.sync(regions, cache_dir=args.cache_dir)
    health_json: dict[str, Any] | None = None
    health_lines: list[str] = []
    if args.health:  # a source of its own; its failure never fails the sync (readiness_cmds)
        from bedrock_lifecycle.cli.readiness_cmds import health_sync

        health_json, health_lines = health_sync(regions, args)
    if args.json:
        print_json({**report.to_json(), **({"health": health_json} if args.health else {})})
    else:
        rows = []
        for r in report.results:
            if r.ok:
                outcome = "ok"
            else:
                outcome = f"FAILED: {r.error}" + (f" (kept data from {r.synced_at})" if r.kept_previous else "")
            rows.append((r.region, r.models, r.legacy, r.dated, outcome))
        print_table(("region", "models", "legacy", "dated", "result"), rows)
        if report.written:
            print(f"cache: {report.cache_path}")
        if report.cache_error:
            print(f"error: {report.cache_error}", file=sys.stderr)
        for line in health_lines:
            print(line)
    if report.all_failed:
        if not args.json:
            print(f"error: every region failed ({', '.join(report.failed_regions)})", file=sys.stderr)
        return 1
    return 1 if report.cache_error else 0
