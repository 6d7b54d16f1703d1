"""``scan PATH...``: hard-coded model IDs and their lifecycle; exit 1 when any is retiring."""

from __future__ import annotations

import argparse
import os
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
from bedrock_lifecycle.lifecycle.model import State

_RETIRING = (State.LEGACY, State.EXTENDED_ACCESS, State.EOL)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("scan", help="find hard-coded Bedrock model IDs in code and config (a CI gate)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--at", type=instant_arg, metavar="ISO8601", help="evaluate at this instant")
    p.add_argument("--within", type=non_negative_int, default=0, metavar="DAYS",
                   help="also fail for models reaching EOL within DAYS (default 0)")
    p.add_argument("--region", help="AWS region for lifecycle (default: AWS_REGION, AWS_DEFAULT_REGION, "
                                    "else the most conservative over all regions)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_scan)


def cmd_scan(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.lifecycle.registry import Registry
    from bedrock_lifecycle.scan import iter_files, scan_file

    for p in args.paths:
        if not os.path.exists(p):
            raise CliError(f"no such file or directory: {p!r}", 2)
    at = now_or(args.at)
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    registry = Registry.default()
    findings: list[dict[str, Any]] = []
    files = 0
    for path in iter_files(args.paths):
        files += 1
        for f in scan_file(path):
            s = registry.lookup(f.model_id, region, at)
            days = s.days_to_eol
            failing = s.state in _RETIRING or (days is not None and 0 <= days <= args.within)
            findings.append({
                "path": f.path, "line": f.line, "column": f.column, "model_id": f.model_id,
                "base_model_id": s.base_model_id, "state": s.state.value,
                "eol_date": s.to_json()["eol_date"], "days_to_eol": days,
                "replacements": list(s.replacements), "failing": failing,
            })
    failing = [f for f in findings if f["failing"]]
    summary = {"files_scanned": files, "findings": len(findings), "failing": len(failing),
               "region": region, "at": at.isoformat(), "within_days": args.within}
    if args.json:
        print_json({"findings": findings, "summary": summary})
    else:
        if findings:
            print_table(["path:line", "model", "state", "eol", "days", "replacement"],
                        [[f"{f['path']}:{f['line']}", f["model_id"], f["state"] + (" !" if f["failing"] else ""),
                          (f["eol_date"] or "-")[:10], "-" if f["days_to_eol"] is None else f["days_to_eol"],
                          ", ".join(f["replacements"]) or "-"] for f in findings])
            print()
        print(f"{len(findings)} model ID(s) in {files} file(s); {len(failing)} Legacy, in extended access, "
              f"past EOL" + (f" or within {args.within} days of EOL" if args.within else "")
              + (f" (region {region})." if region else " (all regions, most conservative)."))
    return 1 if failing else 0


__all__ = ["add_parser", "fmt_date"]
