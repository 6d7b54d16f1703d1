"""``scan PATH...``: hard-coded model IDs in code, notebooks and infrastructure, with their lifecycle.

A CI gate: exit 1 when any finding is Legacy, in extended access or past EOL at ``--at``
(default now), reaches EOL within ``--within`` days, or is no model Bedrock serves (a
made-up geography prefix); 2 on usage errors and when a file or directory could not be read
(unless ``--ignore-unreadable``); 0 otherwise. What is found and skipped:
:mod:`bedrock_lifecycle.toolkit.scan` and docs/scan.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import shutil
import sys
import textwrap
import warnings
from typing import Any

from bedrock_lifecycle.cli._common import (
    CliError,
    add_command,
    env_region,
    fmt_date,
    instant_arg,
    non_negative_int,
    now_or,
    print_json,
    region_arg,
    replacement_text,
)
from bedrock_lifecycle.lifecycle.model import State

_FORMATS = ("text", "json", "sarif", "github")


def add_parser(sub: Any) -> None:
    p = add_command(
        sub, "scan",
        help="find hard-coded model IDs, profiles and ARNs in code, notebooks, config and IaC (a CI gate)",
        description="Find hard-coded Bedrock model IDs, inference-profile IDs and ARNs in code, "
        "notebooks, configuration and infrastructure files, and report their lifecycle per model, "
        "most urgent first, then the failing occurrences by file.",
        examples=["bedrock-lifecycle scan . --region us-east-1 --within 90",
                  "bedrock-lifecycle scan src notebooks --include-outputs --all",
                  "bedrock-lifecycle scan . --format sarif > bedrock-models.sarif"],
        exit_codes=[(0, "every file read, nothing fails the gate"),
                    (1, "a model is Legacy, in extended access, past EOL, within --within days of EOL, "
                        "or not one Bedrock serves (with --strict: also unknown)"),
                    (2, "usage error, or a file or directory could not be read (see --ignore-unreadable)")])
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    p.add_argument("--at", type=instant_arg, metavar="ISO8601",
                   help="evaluate lifecycle at this instant (default: now, or BEDROCK_LIFECYCLE_NOW)")
    p.add_argument("--within", type=non_negative_int, default=0, metavar="DAYS",
                   help="also fail for models reaching EOL within DAYS (default 0: current state only)")
    p.add_argument("--region", type=region_arg,
                   help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION; none = the most conservative "
                        "state over every region). An ARN's own region wins.")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip files and directories whose name or path relative to PATH matches GLOB; "
                        "repeatable (e.g. --exclude 'tests/*' --exclude '*.md')")
    p.add_argument("--format", choices=_FORMATS, default="text",
                   help="text (default), json, sarif (SARIF 2.1.0 for code scanning) or github "
                        "(workflow annotations)")
    p.add_argument("--json", action="store_const", const="json", dest="format", help="same as --format json")
    p.add_argument("--all", action="store_true",
                   help="list every occurrence, not only the failing ones (text, sarif, github)")
    p.add_argument("--include-outputs", action="store_true", help="also scan notebook cell outputs")
    p.add_argument("--strict", action="store_true", help="also fail on models whose lifecycle is unknown")
    p.add_argument("--trust", choices=["confirmed", "reported"], default="confirmed",
                   help="'reported': states and dates known only from third-party notes fail too "
                        "(default: they are shown, marked reported, and do not fail; as in check)")
    p.add_argument("--ignore-unreadable", action="store_true",
                   help="do not exit 2 when a file or directory could not be read (still listed on stderr)")
    p.set_defaults(func=cmd_scan)


def _registry() -> Any:
    # Imported here so the CLI loads (and other commands run) without the registry module.
    from bedrock_lifecycle.lifecycle.registry import Registry

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry = Registry.default()
    for w in caught:  # a corrupt sync cache: one line, not a Python warning dump
        print(f"warning: {w.message}", file=sys.stderr)
    return registry


def _region(explicit: str | None) -> str | None:
    return explicit or env_region()


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def cmd_scan(args: argparse.Namespace) -> int:
    from bedrock_lifecycle.toolkit.scan import scan_files
    from bedrock_lifecycle.toolkit.scan.report import classify, not_read, roll_up

    for p in args.paths:
        if not os.path.exists(p):
            raise CliError(f"{p}: no such file or directory", 2)
    at = now_or(args.at)
    region = _region(args.region)
    registry = _registry()
    findings: list[Any] = []
    others: list[Any] = []  # what was not read, or read with a note (few; files can be millions)
    scanned = 0
    try:
        for r in scan_files(args.paths, exclude=args.exclude, include_outputs=args.include_outputs):
            scanned += r.status == "scanned"
            findings += r.findings
            if r.status != "scanned" or r.note:
                others.append(r)
    except OSError as exc:  # a PATH vanished or became unreadable between the check and the walk
        raise CliError(f"{exc.filename or exc}: {exc.strerror or exc}", 2) from None
    occurrences = classify(findings, registry, at=at, region=region, within_days=args.within, strict=args.strict,
                           trust=args.trust)
    unreadable, skipped = not_read(others)
    for r in unreadable:
        print(f"bedrock-lifecycle scan: cannot read {r.path}: {r.note}", file=sys.stderr)
    for r in others:
        if r.named and r.status == "binary":
            print(f"note: {r.path}: not scanned: {r.note}", file=sys.stderr)
        elif r.note and r.status == "scanned":
            print(f"note: {r.path}: {r.note}", file=sys.stderr)
    summary = roll_up(occurrences)
    totals = {
        "files_scanned": scanned,
        "files_with_findings": len({o.finding.path for o in occurrences}),
        "findings": len(occurrences),
        "failing": sum(o.failing for o in occurrences),
        "models": len(summary),
        "failing_models": sum(s.failing for s in summary),
        "by_state": {s.value: n for s in State if (n := sum(o.state is s for o in occurrences))},
        "unreadable": len(unreadable),
        "skipped": {"binary": sum(r.status == "binary" for r in skipped),
                    "too_large": sum(r.status == "too-large" for r in skipped)},
        "at": _iso(at), "region": region, "within_days": args.within, "trust": args.trust,
    }
    if args.format == "json":
        _print_json(occurrences, summary, totals, unreadable, skipped)
    elif args.format == "sarif":
        from bedrock_lifecycle.toolkit.scan.report import sarif

        print_json(sarif(occurrences, unreadable, within_days=args.within, include_all=args.all))
    elif args.format == "github":
        from bedrock_lifecycle.toolkit.scan.report import github_annotations

        for line in github_annotations(occurrences, unreadable, within_days=args.within, include_all=args.all):
            print(line)
        print(_summary_line(totals, args.strict))
    else:
        _print_human(occurrences, summary, totals, args)
    if unreadable and not args.ignore_unreadable:
        return 2
    return 1 if totals["failing"] else 0


def _iso(d: _dt.datetime) -> str:
    return d.isoformat().replace("+00:00", "Z")


def _print_json(occurrences: Any, summary: Any, totals: dict[str, Any], unreadable: Any, skipped: Any) -> None:
    from bedrock_lifecycle.toolkit.scan.report import finding_json

    print_json({
        "summary": [s.to_json() for s in summary],
        "findings": [finding_json(o) for o in occurrences],
        "unreadable": [{"path": r.path, "error": r.note} for r in unreadable],
        "skipped": [{"path": r.path, "reason": r.status, "detail": r.note} for r in skipped],
        "totals": totals,
    })


# --------------------------------------------------------------------------- human output


def _width() -> int:
    return max(60, shutil.get_terminal_size(fallback=(100, 24)).columns)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _cut_left(path: str, width: int) -> str:
    """A path that fits: its start is dropped (the file name is what matters)."""
    return path if len(path) <= width else "…" + path[len(path) - width + 1 :]


def _print_human(occurrences: Any, summary: Any, totals: dict[str, Any], args: argparse.Namespace) -> None:
    width = _width()
    if summary:
        mw = min(42, max(len("MODEL"), *(len(s.model) for s in summary)))
        sw = max(len("STATE"), *(len(s.state.value) for s in summary))
        head = f"{'MODEL':<{mw}}  {'STATE':<{sw}}  {'EOL':<10}  {'USES':>4}  {'FILES':>5}  GATE"
        print(head)
        for s in summary:
            print(f"{_cut(s.model, mw):<{mw}}  {s.state.value:<{sw}}  {fmt_date(s.eol_date):<10}  "
                  f"{s.occurrences:>4}  {s.files:>5}  {'FAIL' if s.failing else 'ok'}")
            retiring = s.state in (State.LEGACY, State.EXTENDED_ACCESS, State.EOL)
            if (retiring or s.failing) and (retiring or s.replacements or s.suggested):
                label = "  replacement: "
                print(label + replacement_text(s.replacements, s.suggested, width - len(label)))
            if s.confidence == "reported":
                why = "reported by third parties, not confirmed by AWS" + (
                    "" if s.failing else "; not failing the gate (--trust reported to fail on it)")
                print(textwrap.fill(why, width, initial_indent="  dates: ", subsequent_indent="         ",
                                    break_on_hyphens=False, break_long_words=False))
            if s.note:
                print(textwrap.fill(s.note, width, initial_indent="  note: ", subsequent_indent="        ",
                                    break_on_hyphens=False, break_long_words=False))
        shown = [o for o in occurrences if o.failing or args.all]
        if shown:
            print()
            title = "Occurrences" if args.all else "Failing occurrences"
            print(f"{title}, by file:")
            _print_occurrences(shown, width, args.all)
        print()
    print(textwrap.fill(_summary_line(totals, args.strict), width, break_on_hyphens=False,
                        break_long_words=False))


def _print_occurrences(occurrences: Any, width: int, show_gate: bool) -> None:
    by_file: dict[str, list[Any]] = {}
    for o in occurrences:
        by_file.setdefault(o.finding.path, []).append(o)
    for path, occ in by_file.items():
        print(_cut_left(path, width))
        locs = [_loc(o.finding) for o in occ]
        lw = max(len(x) for x in locs)
        sw = max(len(o.state.value) for o in occ)
        gate_w = 6 if show_gate else 0
        iw = min(max(10, width - 2 - lw - 2 - sw - 2 - gate_w), max(len(o.finding.model_id) for o in occ))
        for loc, o in zip(locs, occ, strict=True):
            gate = ("  FAIL" if o.failing else "  ok") if show_gate else ""
            print(f"  {loc:<{lw}}  {_cut(o.finding.model_id, iw):<{iw}}  {o.state.value:<{sw}}{gate}".rstrip())


def _loc(f: Any) -> str:
    if f.cell is None:
        return f"{f.line}:{f.column}"
    where = f"cell {f.cell}" + (f" output {f.output}" if f.output is not None else f" ({f.cell_type})")
    return f"{where} {f.line}:{f.column}"


def _summary_line(t: dict[str, Any], strict: bool) -> str:
    extra = []
    if t["unreadable"]:
        extra.append(f"{_plural(t['unreadable'], 'path')} could not be read (see stderr)")
    sk = t["skipped"]
    if sk["binary"] or sk["too_large"]:
        parts = [f"{sk['binary']} binary"] if sk["binary"] else []
        parts += [f"{sk['too_large']} over the size limit"] if sk["too_large"] else []
        extra.append("skipped " + ", ".join(parts))
    tail = f"; {'; '.join(extra)}" if extra else ""
    files = _plural(t["files_scanned"], "file")
    if not t["findings"]:
        return f"No Bedrock model IDs in {files} scanned{tail}."
    states = ", ".join(f"{n} {s}" for s, n in t["by_state"].items())
    n = t["failing_models"]
    gate = "none fails the gate" if not n else f"{_plural(n, 'model')} {'fails' if n == 1 else 'fail'} the gate"
    rule = "legacy, extended access, EOL or not served" + (", or unknown" if strict else "")
    if t["within_days"]:
        rule += f", or EOL within {t['within_days']} days"
    where = f"region {t['region']}" if t["region"] else "most conservative over all regions"
    at = fmt_date(_dt.datetime.fromisoformat(t["at"].replace("Z", "+00:00")))
    return (f"{_plural(t['findings'], 'model ID')} ({_plural(t['models'], 'model')}) in "
            f"{t['files_with_findings']} of {files} scanned ({states}){tail}; {gate} ({rule}; {where}; at {at}).")


__all__ = ["add_parser", "cmd_scan"]
