"""``scan PATH...``: hard-coded model IDs in code and infrastructure, with their lifecycle.

A CI gate: exit 1 when any finding is Legacy, in extended access or past EOL at ``--at``
(default now), or reaches EOL within ``--within`` days; 0 otherwise; 2 on usage errors.
What is found and skipped: :mod:`bedrock_lifecycle.toolkit.scan` and docs/scan.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
import warnings
from collections import Counter
from typing import Any

from bedrock_lifecycle.cli._common import (
    CliError,
    fmt_date,
    instant_arg,
    non_negative_int,
    now_or,
    print_json,
    print_table,
)
from bedrock_lifecycle.lifecycle.model import LifecycleStatus, State

_RETIRING = frozenset({State.LEGACY, State.EXTENDED_ACCESS, State.EOL})


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "scan",
        help="find hard-coded model IDs, profiles and ARNs in code, config and IaC (a CI gate)",
        description="Find hard-coded Bedrock model IDs, inference-profile IDs and ARNs and report "
        "their lifecycle. Exit 1 when any is Legacy, in extended access, past EOL, or within "
        "--within days of EOL; 0 otherwise; 2 on usage errors.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    p.add_argument("--at", type=instant_arg, metavar="ISO8601",
                   help="evaluate lifecycle at this instant (default: now, or BEDROCK_LIFECYCLE_NOW)")
    p.add_argument("--within", type=non_negative_int, default=0, metavar="DAYS",
                   help="also fail for models reaching EOL within DAYS (default 0: current state only)")
    p.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION; none = the most "
                                    "conservative state over every region). An ARN's own region wins.")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip files and directories whose name or path relative to PATH matches GLOB; "
                        "repeatable (e.g. --exclude 'tests/*' --exclude '*.md')")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_scan)


def _iso(d: _dt.datetime | None) -> str | None:
    return None if d is None else d.isoformat().replace("+00:00", "Z")


def _registry() -> Any:
    # Imported here so the CLI loads (and other commands run) without the registry module.
    from bedrock_lifecycle.lifecycle.registry import Registry

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry = Registry.default()
    for w in caught:  # a corrupt sync cache: one line, not a Python warning dump
        print(f"warning: {w.message}", file=sys.stderr)
    return registry


def is_failing(status: LifecycleStatus, at: _dt.datetime, within_days: int) -> bool:
    """The gate: retiring now, or (``within_days`` > 0) reaching EOL by ``at + within_days``."""
    if status.state in _RETIRING:
        return True
    eol = status.eol_date
    return within_days > 0 and eol is not None and eol <= at + _dt.timedelta(days=within_days)


def cmd_scan(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.ids import ModelIdError, parse_model_id
    from bedrock_lifecycle.toolkit.scan import iter_files, scan_file

    for p in args.paths:
        if not os.path.exists(p):
            raise CliError(f"{p}: no such file or directory", 2)
    at = now_or(args.at)
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    registry = _registry()

    statuses: dict[str, LifecycleStatus | None] = {}

    def status_of(model_id: str) -> LifecycleStatus | None:
        if model_id not in statuses:
            try:
                mid = parse_model_id(model_id)
                # An ARN names its region: that is where the call goes.
                statuses[model_id] = registry.lookup(model_id, mid.region or region, at)
            except ModelIdError:  # the scanner validated it; never fail the whole scan on one
                statuses[model_id] = None
        return statuses[model_id]

    rows: list[dict[str, Any]] = []
    files = 0
    try:
        for path in iter_files(args.paths, exclude=args.exclude):
            files += 1
            for f in scan_file(path):
                s = status_of(f.model_id)
                rows.append({
                    "path": f.path,
                    "line": f.line,
                    "column": f.column,
                    "model_id": f.model_id,
                    "base_model_id": None if s is None else s.base_model_id,
                    "region": None if s is None else s.region,
                    "state": State.UNKNOWN.value if s is None else s.state.value,
                    "eol_date": None if s is None else _iso(s.eol_date),
                    "days_to_eol": None if s is None else s.days_to_eol,
                    "replacements": [] if s is None else list(s.replacements),
                    "failing": s is not None and is_failing(s, at, args.within),
                })
    except OSError as exc:  # a PATH vanished or became unreadable mid-scan
        raise CliError(f"{exc.filename or exc}: {exc.strerror or exc}", 2) from None

    failing = sum(1 for r in rows if r["failing"])
    by_state = Counter(r["state"] for r in rows)
    summary = {
        "files_scanned": files,
        "files_with_findings": len({r["path"] for r in rows}),
        "findings": len(rows),
        "failing": failing,
        "by_state": {s.value: by_state[s.value] for s in State if by_state[s.value]},
        "at": _iso(at),
        "region": region,
        "within_days": args.within,
    }
    if args.json:
        print_json({"findings": rows, "summary": summary})
    else:
        _print_human(rows, summary)
    return 1 if failing else 0


def _print_human(rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    if rows:
        print_table(
            ["location", "model id", "state", "eol", "days", "replacement", "gate"],
            [
                (
                    f"{r['path']}:{r['line']}:{r['column']}",
                    r["model_id"],
                    r["state"],
                    "-" if r["eol_date"] is None else r["eol_date"][:10],
                    "-" if r["days_to_eol"] is None else r["days_to_eol"],
                    ", ".join(r["replacements"]) or "-",
                    "FAIL" if r["failing"] else "ok",
                )
                for r in rows
            ],
        )
        print()
    where = f"region {summary['region']}" if summary["region"] else "most conservative over all regions"
    at = fmt_date(_dt.datetime.fromisoformat(summary["at"].replace("Z", "+00:00")))
    if not rows:
        print(f"No Bedrock model IDs in {summary['files_scanned']} files scanned.")
        return
    states = ", ".join(f"{n} {s}" for s, n in summary["by_state"].items())
    n = summary["failing"]
    gate = "none fails the gate" if not n else f"{n} {'fails' if n == 1 else 'fail'} the gate"
    rule = "legacy, extended access or EOL"
    if summary["within_days"]:
        rule += f", or EOL within {summary['within_days']} days"
    print(
        f"{summary['findings']} model ID{'' if summary['findings'] == 1 else 's'} in {summary['files_with_findings']} of "
        f"{summary['files_scanned']} files scanned ({states}); {gate} ({rule}; {where}; at {at})."
    )


__all__ = ["add_parser", "cmd_scan", "is_failing"]
