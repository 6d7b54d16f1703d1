"""From findings to decisions: lifecycle per occurrence, the per-model roll-up, SARIF, GitHub.

The gate (:func:`gate`) fails an occurrence that is Legacy, in extended access or past EOL
at the instant, or reaches EOL within ``within_days``; one that Bedrock cannot serve at all
(a made-up geography such as ``ap.anthropic…``: state ``unknown``, with the reason); and,
under ``strict``, any ``unknown``. A state or date resting on a *reported* (not confirmed)
source does not fail unless ``trust = "reported"`` (the rule ``check`` and the client
follow); it is shown, marked reported. The roll-up groups occurrences by base model (or by the
identifier as written when it names none) and sorts them by urgency: failing first, then
EOL before extended access before Legacy, the earliest EOL date first.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Protocol

from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.lifecycle.eol import eol_within
from bedrock_lifecycle.lifecycle.model import LifecycleStatus, State, binds
from bedrock_lifecycle.regions import RegionError, closest_region, is_region
from bedrock_lifecycle.toolkit.scan.files import FileScan, Finding

RETIRING = frozenset({State.LEGACY, State.EXTENDED_ACCESS, State.EOL})
_RANK = {State.EOL: 0, State.EXTENDED_ACCESS: 1, State.LEGACY: 2, State.UNKNOWN: 3, State.ACTIVE: 4}
_FAR = _dt.datetime.max.replace(tzinfo=_dt.timezone.utc)


class _Lookup(Protocol):
    def lookup(self, model_id: str, region: str | None, at: _dt.datetime | None) -> LifecycleStatus: ...


@dataclass(frozen=True)
class Occurrence:
    """One finding with its lifecycle and the gate's verdict."""

    finding: Finding
    status: LifecycleStatus | None  # None: not an identifier Bedrock serves (see ``note``)
    failing: bool
    note: str  # why unknown or invalid; the registry's note otherwise

    @property
    def state(self) -> State:
        return State.UNKNOWN if self.status is None else self.status.state

    @property
    def key(self) -> str:
        """What the roll-up groups by: the base model, or the identifier as written."""
        if self.status is not None and self.status.base_model_id:
            return self.status.base_model_id
        return self.finding.model_id


@dataclass(frozen=True)
class ModelSummary:
    """One roll-up row: a base model (or an identifier naming none) and its occurrences."""

    model: str
    state: State
    eol_date: _dt.datetime | None
    days_to_eol: int | None
    replacements: tuple[str, ...]
    suggested: tuple[str, ...]
    occurrences: int
    files: int
    failing: bool
    note: str
    confidence: str | None = None  # of the lifecycle dates shown: "confirmed", "reported" or None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model, "state": self.state.value, "eol_date": iso(self.eol_date),
            "days_to_eol": self.days_to_eol, "replacements": list(self.replacements),
            "suggested_replacements": list(self.suggested), "occurrences": self.occurrences,
            "files": self.files, "failing": self.failing, "note": self.note, "confidence": self.confidence,
        }


def iso(d: _dt.datetime | None) -> str | None:
    return None if d is None else d.isoformat().replace("+00:00", "Z")


def gate(status: LifecycleStatus, at: _dt.datetime, within_days: int, strict: bool = False,
         trust: str = "confirmed") -> bool:
    """Retiring now, reaching EOL by ``at + within_days`` (when > 0), or unknown under
    ``strict``; a reported (not confirmed) state or date only under ``trust="reported"``."""
    if strict and status.state is State.UNKNOWN:
        return True
    if status.state not in RETIRING and not eol_within(status.eol_date, at, within_days):
        return False
    return binds(status.reported, trust)


def classify(
    findings: Iterable[Finding], registry: _Lookup, *, at: _dt.datetime, region: str | None,
    within_days: int = 0, strict: bool = False, trust: str = "confirmed",
) -> list[Occurrence]:
    """Each finding with its lifecycle at ``at`` in ``region`` (an ARN's own region wins)."""
    cache: dict[str, tuple[LifecycleStatus | None, str]] = {}
    out = []
    for f in findings:
        if f.model_id not in cache:
            try:
                mid = parse_model_id(f.model_id)
            except ModelIdError as exc:  # a made-up geography: Bedrock has no such model
                cache[f.model_id] = (None, f"not a model Bedrock serves: {exc}")
            else:
                if mid.region and not is_region(mid.region):  # it would read `unknown` and pass
                    why = RegionError("ARN region", mid.region, closest_region(mid.region)).reason
                    cache[f.model_id] = (None, f"not a model Bedrock serves: its ARN region {why}")
                else:
                    s = registry.lookup(f.model_id, mid.region or region, at)
                    cache[f.model_id] = (s, s.note)
        status, note = cache[f.model_id]
        failing = status is None or gate(status, at, within_days, strict, trust)
        out.append(Occurrence(f, status, failing, note))
    return out


def _urgency(s: ModelSummary) -> tuple[object, ...]:
    return (not s.failing, _RANK[s.state], s.eol_date or _FAR, -s.occurrences, s.model)


def roll_up(occurrences: Sequence[Occurrence]) -> list[ModelSummary]:
    """One row per base model, most urgent first."""
    groups: dict[str, list[Occurrence]] = {}
    for o in occurrences:
        groups.setdefault(o.key, []).append(o)
    rows = []
    for key, occ in groups.items():
        # The worst occurrence speaks for the model: failing, then the most severe state.
        worst = min(occ, key=lambda o: (not o.failing, _RANK[o.state], (o.status and o.status.eol_date) or _FAR))
        s = worst.status
        rows.append(ModelSummary(
            model=key, state=worst.state, eol_date=None if s is None else s.eol_date,
            days_to_eol=None if s is None else s.days_to_eol,
            replacements=() if s is None else s.replacements,
            suggested=() if s is None else s.suggested_replacements,
            occurrences=len(occ), files=len({o.finding.path for o in occ}),
            failing=any(o.failing for o in occ), note=worst.note if worst.state is State.UNKNOWN else "",
            confidence=None if s is None else s.confidence,
        ))
    rows.sort(key=_urgency)
    return rows


def finding_json(o: Occurrence) -> dict[str, Any]:
    f, s = o.finding, o.status
    return {
        "path": f.path, "line": f.line, "column": f.column, "model_id": f.model_id,
        "base_model_id": None if s is None else s.base_model_id,
        "region": None if s is None else s.region,
        "state": o.state.value,
        "eol_date": None if s is None else iso(s.eol_date),
        "days_to_eol": None if s is None else s.days_to_eol,
        "replacements": [] if s is None else list(s.replacements),
        "suggested_replacements": [] if s is None else list(s.suggested_replacements),
        "confidence": None if s is None else s.confidence,
        "failing": o.failing,
        "note": o.note,
        "cell": f.cell, "cell_type": f.cell_type, "output": f.output,
        "file_line": f.file_line, "file_column": f.file_column,
    }


def not_read(results: Iterable[FileScan]) -> tuple[list[FileScan], list[FileScan]]:
    """(unreadable, skipped) among the results."""
    res = list(results)
    return [r for r in res if r.status == "unreadable"], [r for r in res if r.status in ("binary", "too-large")]


# --------------------------------------------------------------------------- messages


def replacement_phrase(replacements: Sequence[str], suggested: Sequence[str]) -> str:
    if replacements:
        return "replace with " + " or ".join(replacements)
    if suggested:
        return "suggested replacement (not named by AWS): " + " or ".join(suggested)
    return "AWS names no replacement"


STATE_WORDS = {State.EOL: "past end of life", State.EXTENDED_ACCESS: "in extended access",
               State.LEGACY: "Legacy", State.ACTIVE: "active", State.UNKNOWN: "of unknown lifecycle"}


def message(o: Occurrence, within_days: int) -> str:
    """One sentence per occurrence: what, which state, when, and what to do."""
    s = o.status
    if s is None:
        return f"{o.finding.model_id}: {o.note}"
    if s.state is State.UNKNOWN:
        return f"{o.finding.model_id}: lifecycle unknown ({o.note or 'no data'})"
    where = f"in {s.region}" if s.region else "in at least one region"
    when = ""
    if s.eol_date is not None:
        day = s.eol_date.date().isoformat()
        days = s.days_to_eol or 0
        if s.eol_date.date() == s.at.date():
            phrase = replacement_phrase(s.replacements, s.suggested_replacements)
            return (f"{o.finding.model_id} reaches end of life today ({day}) {where}. "
                    f"{phrase[0].upper()}{phrase[1:]}.")
        if s.eol_date < s.at:
            when = f" since {day} ({-days} day{'' if days == -1 else 's'} ago)"
        else:
            when = f"; it reaches end of life on {day} (in {days} day{'' if days == 1 else 's'}"
            when += f", within --within {within_days})" if o.failing and s.state is State.ACTIVE else ")"
    head = f"{o.finding.model_id} is {STATE_WORDS[s.state]} {where}{when}"
    if s.reported:
        head += " (reported by third parties, not confirmed by AWS" + \
            ("" if o.failing else "; --trust reported to fail on it") + ")"
    phrase = replacement_phrase(s.replacements, s.suggested_replacements)
    return f"{head}. {phrase[0].upper()}{phrase[1:]}."


def _level(o: Occurrence) -> str:
    if not o.failing:
        return "note"
    return "error" if o.state in (State.EOL, State.UNKNOWN) else "warning"


# --------------------------------------------------------------------------- SARIF

RULES: dict[State, tuple[str, str, str]] = {
    State.EOL: ("bedrock-model-eol", "ModelPastEndOfLife",
                "Amazon Bedrock model past its end of life: every call fails."),
    State.EXTENDED_ACCESS: ("bedrock-model-extended-access", "ModelInExtendedAccess",
                            "Amazon Bedrock model in public extended access: price may rise, EOL is near."),
    State.LEGACY: ("bedrock-model-legacy", "ModelLegacy",
                   "Amazon Bedrock model is Legacy: plan the migration before its end of life."),
    State.UNKNOWN: ("bedrock-model-unknown", "ModelLifecycleUnknown",
                    "Amazon Bedrock identifier whose lifecycle is unknown, or that Bedrock cannot serve."),
    State.ACTIVE: ("bedrock-model-active", "ModelActive",
                   "Amazon Bedrock model that is active (fails the gate only when its EOL is within --within days)."),
}
_HELP = "See docs/scan.md of bedrock-lifecycle (`bedrock-lifecycle scan --help`)."


def _version() -> str:
    try:
        return metadata.version("bedrock-lifecycle")
    except metadata.PackageNotFoundError:
        return "0"


def artifact_uri(path: str, root: str) -> tuple[str, str | None]:
    """(uri, uriBaseId): relative to ``root`` when inside it, else an absolute file URI."""
    full = os.path.abspath(path)
    rel = os.path.relpath(full, root)
    if rel.startswith(os.pardir + os.sep) or rel == os.pardir or os.path.isabs(rel):
        return "file://" + urllib.parse.quote(full.replace(os.sep, "/")), None
    return urllib.parse.quote(rel.replace(os.sep, "/")), "%SRCROOT%"


def _file_position(f: Finding) -> tuple[int, int]:
    """Line and column in the file itself (a notebook's JSON, not its cell)."""
    if f.cell is None:
        return f.line, f.column
    return f.file_line or 1, f.file_column or 1


def sarif(occurrences: Sequence[Occurrence], unreadable: Sequence[FileScan], *, within_days: int,
          include_all: bool = False, root: str | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one rule per state, one result per failing occurrence (or all)."""
    root = os.path.abspath(root or os.getcwd())
    states = list(RULES)
    rules = [
        {
            "id": rid, "name": name, "shortDescription": {"text": text}, "fullDescription": {"text": text},
            "help": {"text": f"{text} {_HELP}"},
            "defaultConfiguration": {"level": "error" if st in (State.EOL,) else "warning"},
            "properties": {"tags": ["bedrock", "model-lifecycle"]},
        }
        for st, (rid, name, text) in RULES.items()
    ]
    results = []
    for o in occurrences:
        if not (o.failing or include_all):
            continue
        f = o.finding
        uri, base = artifact_uri(f.path, root)
        line, col = _file_position(f)
        artifact: dict[str, Any] = {"uri": uri}
        if base:
            artifact["uriBaseId"] = base
        result: dict[str, Any] = {
            "ruleId": RULES[o.state][0], "ruleIndex": states.index(o.state), "level": _level(o),
            "message": {"text": message(o, within_days)},
            "locations": [{"physicalLocation": {
                "artifactLocation": artifact,
                "region": {"startLine": line, "startColumn": col, "endLine": line,
                           "endColumn": col + len(f.model_id)},
            }}],
            "partialFingerprints": {
                "bedrockLifecycle/v1": hashlib.sha256(f"{uri}\0{f.model_id}".encode()).hexdigest()[:32],
            },
        }
        if f.cell is not None:
            result["properties"] = {"notebookCell": f.cell, "cellType": f.cell_type, "lineInCell": f.line,
                                    "columnInCell": f.column, "output": f.output}
        results.append(result)
    notifications = []
    for r in unreadable:
        uri, base = artifact_uri(r.path, root)
        artifact = {"uri": uri, **({"uriBaseId": base} if base else {})}
        notifications.append({"level": "error", "message": {"text": f"not read: {r.path}: {r.note}"},
                              "locations": [{"physicalLocation": {"artifactLocation": artifact}}]})
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "bedrock-lifecycle", "version": _version(), "rules": rules}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + urllib.parse.quote(root.replace(os.sep, "/")) + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": not unreadable, "toolExecutionNotifications": notifications}],
        "results": results,
    }
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}


# --------------------------------------------------------------------------- GitHub annotations


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github_annotations(occurrences: Sequence[Occurrence], unreadable: Sequence[FileScan], *, within_days: int,
                       include_all: bool = False, root: str | None = None) -> list[str]:
    """GitHub Actions workflow commands (``::error file=…,line=…::…``), one per occurrence."""
    root = os.path.abspath(root or os.getcwd())
    out = []
    for o in occurrences:
        if not (o.failing or include_all):
            continue
        f = o.finding
        level = {"error": "error", "warning": "warning"}.get(_level(o), "notice")
        line, col = _file_position(f)
        rel = os.path.relpath(os.path.abspath(f.path), root).replace(os.sep, "/")
        title = "Not a Bedrock model" if o.status is None else f"Bedrock model {STATE_WORDS[o.state]}"
        props = (f"file={_escape_property(rel)},line={line},col={col},endColumn={col + len(f.model_id)},"
                 f"title={_escape_property(title)}")
        out.append(f"::{level} {props}::{_escape_data(message(o, within_days))}")
    for r in unreadable:
        rel = os.path.relpath(os.path.abspath(r.path), root).replace(os.sep, "/")
        out.append(f"::error file={_escape_property(rel)},title=Not scanned::{_escape_data('not read: ' + r.note)}")
    return out


__all__ = [
    "RETIRING",
    "RULES",
    "ModelSummary",
    "Occurrence",
    "artifact_uri",
    "classify",
    "finding_json",
    "gate",
    "github_annotations",
    "message",
    "not_read",
    "roll_up",
    "sarif",
]
