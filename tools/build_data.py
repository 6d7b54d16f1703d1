#!/usr/bin/env python3
"""Build ``bedrock_lifecycle/lifecycle/data/lifecycle.json`` from the reference data.

Usage::

    .venv/bin/python tools/build_data.py [DATA_DIR] [--out PATH] [--build-date YYYY-MM-DD] [--check]

``DATA_DIR`` defaults to ``../shared/data`` relative to the repository. The output is
deterministic apart from ``build_date`` (today, or ``SOURCE_DATE_EPOCH``, or
``--build-date``), so ``tests/test_data_build.py`` can compare a fresh build with the
committed file. Every judgement call on the sources' inconsistencies is made here, in
code, and listed in the JSON's ``decisions`` and in docs/registry.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from bedrock_lifecycle.ids import ModelIdError, parse_model_id  # noqa: E402
from tools import build_policy_data as newer  # noqa: E402

SCHEMA_VERSION = 1
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "bedrock_lifecycle" / "lifecycle" / "data" / "lifecycle.json"

# Source copies, oldest first: a newer copy wins per region. S2/S3 are undated copies; the
# as-of date is the end of the internal-evidence range (the page cannot predate facts it
# states as current), and the range itself is kept.
SOURCES: dict[str, dict[str, Any]] = {
    "S1": {
        "rank": 1,
        "as_of": "2025-11-13",
        "as_of_range": ["2025-11-13", "2025-11-13"],
        "document": "docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html",
        "copy": "HTML copy in github leblancfg/deprecations-rss tests/fixtures/aws_bedrock_lifecycle.html, commit 2d59191, committed 2025-11-13",
    },
    "S2": {
        "rank": 2,
        "as_of": "2026-05-30",
        "as_of_range": ["2026-04-14", "2026-05-30"],
        "document": "docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.md",
        "copy": "stored public copy, undated; internal evidence 2026-04-14..2026-05-30",
    },
    "A1": newer.ANNOUNCEMENT_SOURCE,
    "S3": {
        "rank": 3,
        "as_of": "2026-10-13",
        "as_of_range": ["2026-09-30", "2026-10-13"],
        "document": "docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle-legacy.md",
        "copy": "stored public copy, undated; internal evidence 2026-09-30..2026-10-13",
    },
}

DECISIONS: tuple[str, ...] = (
    "dates: every date is a calendar day (YYYY-MM-DD); the registry reads it as 00:00 UTC of that day "
    "(the API reports 08:00 UTC, so bundled data is early by 8 h: conservative).",
    "merge: rows are applied oldest source first (S1 < S2 < S3); a newer row takes over, per region, the "
    "regions it lists from older rows of the same model. Regions a newer row does not list keep the older "
    "dates (absence from a newer page is not a reprieve).",
    "merge: identical S2/S3 rows collapse into one entry attributed to the newest source, the older one "
    "recorded in corroborated_by.",
    "Claude 3.5 Sonnet v1 eu-central-2: S2 (EOL 2026-06-01) supersedes S1 (EOL 2026-03-01): newer copy wins.",
    "Claude 3 Sonnet in us-east-1, us-west-2, eu-west-1, eu-west-3: S2 (legacy 2026-01-30, EOL 2026-07-30) "
    "supersedes S1 (EOL 2025-07-21); eu-central-1 keeps S1's dates (S2 does not list it).",
    "S3's 'reached EOL' list is incomplete: models S3 omits (Llama 3.1 405B, Llama 3.2, Claude 3 Sonnet, "
    "Claude 3.5 Haiku, Claude 3.5/3.7 Sonnet us-gov, Opus 4, Nova Premier, Titan Image Generator v2) keep "
    "their S1/S2 dates, which put them past EOL by date.",
    "regions: 'all regions' or no qualifier = an all-region entry (regions null). When one phase names "
    "regions and another says 'all regions' (S1 Claude 3.7 Sonnet), the row becomes a regional entry with "
    "every date plus an all-region entry holding only the all-region/unqualified dates (extended access, EOL). "
    "An unqualified date in a row whose other dates name regions belongs to those regions.",
    "replacements: normalised to model IDs: IDs missing their ':0' version get it when the catalogue knows "
    "the ':0' form (meta.llama3-1-8b-instruct-v1 -> meta.llama3-1-8b-instruct-v1:0); 'in US East (N. Virginia)' "
    "is stripped (kept as replacement_note); 'a, b, and c' / 'a or b' / 'a and b' are split, all alternatives kept.",
    "replacements: S2/S3 pages have no replacement column; rows of a model that S1 also lists inherit S1's "
    "replacements for that model (replacements_from). No successor is invented for other models.",
    "S1 rows carry IDs matched from model names by the data compiler (id_mapping keeps how); they are used as is.",
    "Titan Embeddings - Text v1.1 has no known model ID: kept in name_only, never matched.",
    "catalogue: IDs from model-ids.txt sections 1-4; litellm's deprecation dates (section 3) are third-party "
    "and not used as lifecycle dates; IDs that are not valid Bedrock model IDs are listed in catalogue_skipped.",
    "state_as_of_source disagreeing with the dates at the copy's as-of date is recorded in the entry's notes; "
    "dates win.",
    *newer.DECISIONS,
)

_REGION_RE = re.compile(r"\b[a-z]{2}(?:-gov)?-[a-z]+-\d+\b")
_PHASES = {"legacy": "legacy", "extended access": "extended_access", "eol": "eol"}
_DATE_FIELDS = ("legacy", "extended_access", "eol")
ALL = None  # region scope meaning "every region"


BuildError = newer.BuildError


# --------------------------------------------------------------------------- parsing


def parse_regions_note(note: str) -> dict[str, frozenset[str] | None]:
    """Region scope per phase, or ``{"*": ...}`` for the row as a whole.

    ``None`` means all regions. Raises BuildError on a note it cannot read, so new
    phrasing in the data cannot be silently misread.
    """
    text = note.strip()
    if not text or text == "no region qualifier in source":
        return {"*": ALL}
    if text.startswith("Regions:"):
        regions = frozenset(_REGION_RE.findall(text))
        if not regions:
            raise BuildError(f"no region in {note!r}")
        return {"*": regions}
    out: dict[str, frozenset[str] | None] = {}
    for part in text.split(";"):
        name, sep, value = part.strip().partition(":")
        phase = _PHASES.get(name.strip().lower())
        if not sep or phase is None:
            raise BuildError(f"cannot read regions note part {part!r} in {note!r}")
        if "all regions" in value.lower():
            out[phase] = ALL
            continue
        regions = frozenset(_REGION_RE.findall(value))
        if not regions:
            raise BuildError(f"no region in {part!r} of {note!r}")
        out[phase] = regions
    return out


def scopes_for(note: str, dates: dict[str, str | None]) -> list[tuple[frozenset[str] | None, dict[str, str | None]]]:
    """Split a row into (regions, dates) scopes following the documented region rules."""
    per_phase = parse_regions_note(note)
    if "*" in per_phase:
        return [(per_phase["*"], dict(dates))]
    specific = {p: r for p, r in per_phase.items() if r is not ALL}
    explicit_all = [p for p, r in per_phase.items() if r is ALL]
    if not specific:
        return [(ALL, dict(dates))]
    region_sets = set(specific.values())
    if len(region_sets) != 1:
        raise BuildError(f"phases name different region lists in {note!r}; decide how to split it")
    (regions,) = region_sets
    scopes: list[tuple[frozenset[str] | None, dict[str, str | None]]] = [(regions, dict(dates))]
    if explicit_all:
        # Dates qualified "all regions", plus unqualified ones, hold everywhere else too.
        wide = {f: (dates[f] if f not in specific else None) for f in _DATE_FIELDS}
        if any(wide.values()):
            scopes.append((ALL, wide))
    return scopes


def split_alternatives(cell: str) -> tuple[list[str], str]:
    """'a, b, and c' / 'a or b' / 'a and b' -> [a, b, c]; also strips region qualifiers."""
    note = ""
    text = cell.strip()
    m = re.search(r"\s+in\s+(US East \(N\. Virginia\))\s*$", text)
    if m:
        note = "S1: replacement offered in US East (N. Virginia) (us-east-1)"
        text = text[: m.start()]
    parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", text)
    return [p.strip() for p in parts if p.strip()], note


def normalise_replacement(raw: str, known: set[str]) -> str:
    """Fix an S1 replacement ID so it names a real model ID."""
    try:
        mid = parse_model_id(raw)
    except ModelIdError as exc:
        raise BuildError(f"replacement {raw!r} is not a model ID: {exc}") from None
    if mid.kind != "foundation-model" or mid.base_model_id is None:
        raise BuildError(f"replacement {raw!r} is not a foundation model ID")
    base = mid.base_model_id
    if base not in known and f"{base}:0" in known:
        return f"{base}:0"
    return base


def read_catalogue(model_ids_txt: str) -> tuple[list[str], list[dict[str, str]], dict[str, str]]:
    """IDs from sections 1-4: (ids, skipped, provisioned variant -> raw)."""
    section = 0
    ids: list[str] = []
    skipped: list[dict[str, str]] = []
    variants: dict[str, str] = {}
    for line in model_ids_txt.splitlines():
        head = re.match(r"##\s+(\d+)\.", line)
        if head:
            section = int(head.group(1))
            continue
        stripped = line.split("#", 1)[0].strip()
        if not stripped or not 1 <= section <= 4:
            continue
        raw = stripped.split()[0]
        try:
            mid = parse_model_id(raw)
        except ModelIdError as exc:
            skipped.append({"id": raw, "section": str(section), "reason": str(exc)})
            continue
        if mid.kind != "foundation-model" or mid.base_model_id is None:
            skipped.append({"id": raw, "section": str(section), "reason": f"not a foundation model ID ({mid.kind})"})
            continue
        if mid.context_window is not None or section == 4:
            variants[raw] = mid.base_model_id
            continue
        ids.append(mid.base_model_id)
    return ids, skipped, variants


# --------------------------------------------------------------------------- model


@dataclass
class Entry:
    model_id: str
    name: str
    provider: str
    regions: frozenset[str] | None
    dates: dict[str, str | None]
    replacements: list[str]
    replacement_note: str
    replacements_from: str | None
    source: str
    table: str
    provenance: str
    id_mapping: str
    rows: list[int]
    corroborated_by: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        src = SOURCES[self.source]
        return {
            "model_id": self.model_id,
            "name": self.name,
            "provider": self.provider,
            "regions": None if self.regions is None else sorted(self.regions),
            "legacy": self.dates["legacy"],
            "extended_access": self.dates["extended_access"],
            "eol": self.dates["eol"],
            "replacements": self.replacements,
            "replacements_from": self.replacements_from,
            "replacement_note": self.replacement_note or None,
            "source": self.source,
            "table": self.table,
            "corroborated_by": sorted(set(self.corroborated_by)),
            "as_of": src["as_of"],
            "confidence": "confirmed",  # every S1-S3 row is a copy of an AWS page
            "evidence_date": src["as_of"],
            "status": None,
            "provenance": self.provenance,
            "id_mapping": self.id_mapping or None,
            "rows": sorted(set(self.rows)),
            "notes": self.notes,
        }


def _table_of(source_cell: str) -> tuple[str, str]:
    """(source id, table) from the CSV's long ``source`` cell."""
    sid = source_cell.split(":", 1)[0].strip()
    if sid not in SOURCES:
        raise BuildError(f"unknown source {sid!r}")
    m = re.search(r"table: ([^;]+)", source_cell)
    if m:
        return sid, m.group(1).strip()
    m = re.search(r"\);\s*((?:list|table) \"[^\"]+\")", source_cell)
    return sid, (m.group(1) if m else "")


def _date(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    _dt.date.fromisoformat(value)  # validates
    return value


def _state_at(dates: dict[str, str | None], day: str) -> str:
    for f, label in (("eol", "EOL"), ("extended_access", "Legacy"), ("legacy", "Legacy")):
        d = dates[f]
        if d is not None and d <= day:
            return label
    return "Active"


def build(data_dir: Path, build_date: str, research: Path | None = None) -> dict[str, Any]:
    """The JSON document. ``research`` defaults to this repository's research file."""
    ref_path = data_dir / "lifecycle-reference.csv"
    ids_path = data_dir / "model-ids.txt"
    ref_text = ref_path.read_text(encoding="utf-8")
    ids_text = ids_path.read_text(encoding="utf-8")
    ann_text = (data_dir / newer.ANNOUNCEMENTS).read_text(encoding="utf-8")
    cards_text = (data_dir / newer.CARDS).read_text(encoding="utf-8")
    research_text = (research or REPO / newer.RESEARCH).read_text(encoding="utf-8")
    rows = list(csv.DictReader(ref_text.splitlines()))

    cat_ids, cat_skipped, variants = read_catalogue(ids_text)
    row_ids = {r["model_id"].strip() for r in rows if r["model_id"].strip()}
    known = set(cat_ids) | row_ids

    name_only: list[dict[str, Any]] = []
    by_model: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for n, row in enumerate(rows, start=1):
        mid = row["model_id"].strip()
        if not mid:
            sid, table = _table_of(row["source"])
            name_only.append({
                "name": row["name"], "provider": row["provider"], "source": sid, "table": table,
                "legacy": _date(row["legacy_date"]), "extended_access": _date(row["extended_access_date"]),
                "eol": _date(row["eol_date"]), "replacement_raw": row["replacement_model_id"],
                "as_of": SOURCES[sid]["as_of"], "rows": [n],
                "reason": "no known model ID; kept for provenance, never matched",
            })
            continue
        parsed = parse_model_id(mid)
        if parsed.kind != "foundation-model" or parsed.base_model_id != mid:
            raise BuildError(f"row {n}: {mid!r} is not a plain base model ID")
        by_model.setdefault(mid, []).append((n, row))

    # S1 replacements per model, used to fill S2/S3 rows of the same model.
    s1_repl: dict[str, list[str]] = {}

    def replacements_of(row: dict[str, str]) -> tuple[list[str], str]:
        cell = row["replacement_model_id"].strip()
        if not cell:
            return [], ""
        parts, note = split_alternatives(cell)
        out: list[str] = []
        for p in parts:
            norm = normalise_replacement(p, known)
            if norm not in out:
                out.append(norm)
        return out, note

    for mid, mrows in by_model.items():
        for _, row in mrows:
            if row["source"].startswith("S1"):
                repl, _ = replacements_of(row)
                for r in repl:
                    s1_repl.setdefault(mid, [])
                    if r not in s1_repl[mid]:
                        s1_repl[mid].append(r)

    entries: list[Entry] = []
    for mid in sorted(by_model):
        mrows = sorted(by_model[mid], key=lambda nr: (SOURCES[_table_of(nr[1]["source"])[0]]["rank"], nr[0]))
        model_entries: list[Entry] = []
        for n, row in mrows:
            sid, table = _table_of(row["source"])
            dates = {
                "legacy": _date(row["legacy_date"]),
                "extended_access": _date(row["extended_access_date"]),
                "eol": _date(row["eol_date"]),
            }
            present = [d for d in (dates["legacy"], dates["extended_access"], dates["eol"]) if d]
            if present != sorted(present):
                raise BuildError(f"row {n}: dates out of order {dates}")
            repl, repl_note = replacements_of(row)
            repl_from: str | None = sid if repl else None
            if not repl and s1_repl.get(mid):
                repl, repl_from = list(s1_repl[mid]), "S1 (same model)"
            id_mapping = ""
            m = re.search(r"mapped from name via: (.+)$", row["source"])
            if m:
                id_mapping = m.group(1).strip()
            notes: list[str] = []
            actual = _state_at(dates, SOURCES[sid]["as_of"])
            if actual != row["state_as_of_source"]:
                notes.append(
                    f"row {n}: {sid} lists it as {row['state_as_of_source']} but its dates give {actual} "
                    f"on {SOURCES[sid]['as_of']}; dates win"
                )
            scopes = scopes_for(row["regions_note"], dates)
            for regions, sdates in scopes:
                new = Entry(
                    model_id=mid, name=row["name"], provider=row["provider"], regions=regions,
                    dates=sdates, replacements=list(repl), replacement_note=repl_note,
                    replacements_from=repl_from, source=sid, table=table,
                    provenance=row["source"], id_mapping=id_mapping, rows=[n], notes=list(notes),
                )
                if regions is ALL and len(scopes) > 1:
                    new.notes.append(
                        f"row {n}: all-region part of a row whose legacy date names regions: "
                        "only the dates qualified 'all regions' or unqualified"
                    )
                _apply(model_entries, new, n)
        entries.extend(e for e in model_entries if e.regions is None or e.regions)

    # A provisioned variant (<base>:<minor>:<ctx>) is the model its base names; the
    # registry resolves it the same way (exact base, then ':0'-less, then version-less).
    resolved_variants: dict[str, str] = {}
    for raw, base in variants.items():
        cands = [base, base[:-2] if base.endswith(":0") else base, base.rsplit(":", 1)[0]]
        hit = next((c for c in cands if c in known), None)
        if hit is None:
            cat_ids.append(base)
            known.add(base)
            hit = base
        resolved_variants[raw] = hit

    catalogue = sorted(set(cat_ids))
    entries.sort(key=lambda e: (e.model_id, SOURCES[e.source]["rank"], e.regions is not None, sorted(e.regions or ())))
    entry_docs = [e.to_json() for e in entries]
    announced = newer.announcement_entries(ann_text, known, entry_docs)
    entry_docs = sorted(entry_docs + announced, key=lambda e: (e["model_id"], SOURCES[e["source"]]["rank"]))
    models = newer.model_facts(
        [(newer.CARDS, cards_text), (newer.RESEARCH, research_text)],
        known | set(catalogue), newer.pre_cutoff_ids(ids_text), set(by_model),
    )
    facts_dates = [
        f["evidence_date"] for m in models.values() for f in m["facts"].values() if f.get("evidence_date")
    ]
    newest = max([e["evidence_date"] for e in entry_docs] + facts_dates)
    return {
        "schema_version": SCHEMA_VERSION,
        "build_date": build_date,
        "generator": "tools/build_data.py",
        "inputs": {
            "lifecycle-reference.csv": "sha256:" + hashlib.sha256(ref_text.encode()).hexdigest(),
            "model-ids.txt": "sha256:" + hashlib.sha256(ids_text.encode()).hexdigest(),
            newer.ANNOUNCEMENTS: "sha256:" + hashlib.sha256(ann_text.encode()).hexdigest(),
            newer.CARDS: "sha256:" + hashlib.sha256(cards_text.encode()).hexdigest(),
            newer.RESEARCH: "sha256:" + hashlib.sha256(research_text.encode()).hexdigest(),
        },
        "newest_evidence": newest,
        "confidence_counts": {
            c: sum(1 for e in entry_docs if e["confidence"] == c) for c in ("confirmed", "reported")
        },
        "fact_confidence_counts": {
            c: sum(1 for m in models.values() for f in m["facts"].values() if f["confidence"] == c)
            for c in ("confirmed", "reported")
        },
        "model_coverage": newer.coverage(models),
        "date_semantics": "calendar days (YYYY-MM-DD); read as 00:00 UTC of that day",
        "sources": {k: {kk: vv for kk, vv in v.items() if kk != "rank"} for k, v in SOURCES.items()},
        "decisions": list(DECISIONS),
        "entries": entry_docs,
        "models": models,
        "name_only": name_only,
        "catalogue": catalogue,
        "catalogue_skipped": cat_skipped,
        "provisioned_variants": dict(sorted(resolved_variants.items())),
        "row_count": len(rows),
        "announcement_rows": len(announced),
    }


def _apply(model_entries: list[Entry], new: Entry, n: int) -> None:
    """Add ``new`` to the model's entries, newer source winning per region."""
    rank = SOURCES[new.source]["rank"]
    for old in list(model_entries):
        old_rank = SOURCES[old.source]["rank"]
        if new.regions is ALL or old.regions is ALL:
            if new.regions is ALL and old.regions is not ALL and old_rank < rank:
                raise BuildError(f"row {n}: a newer all-region row over older regional rows; decide it")
            continue
        overlap = old.regions & new.regions
        if not overlap:
            continue
        if old_rank == rank:
            raise BuildError(f"row {n}: overlaps row(s) {old.rows} of the same source in {sorted(overlap)}")
        same = old.dates == new.dates
        old.regions = old.regions - overlap
        if same:
            new.corroborated_by.append(old.source)
            new.rows.extend(old.rows)
        else:
            desc = ", ".join(f"{f}={old.dates[f]}" for f in _DATE_FIELDS if old.dates[f])
            new.notes.append(
                f"supersedes {old.source} row(s) {old.rows} in {', '.join(sorted(overlap))} ({desc})"
            )
            old.notes.append(f"{', '.join(sorted(overlap))}: superseded by {new.source} row {n}")
        if not new.replacements and old.replacements:
            new.replacements, new.replacements_from = list(old.replacements), f"{old.source} (same model)"
        if not old.regions:
            new.notes.extend(x for x in old.notes if x not in new.notes and "superseded by" not in x)
    model_entries.append(new)


# --------------------------------------------------------------------------- CLI


def _default_build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc).date().isoformat()
    return _dt.datetime.now(_dt.timezone.utc).date().isoformat()


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--build-date", default=None, help="YYYY-MM-DD (default: today, or SOURCE_DATE_EPOCH)")
    ap.add_argument("--check", action="store_true", help="exit 1 if --out differs from a fresh build (build_date aside)")
    args = ap.parse_args(argv)
    try:
        doc = build(args.data_dir, args.build_date or _default_build_date())
    except (BuildError, OSError, ValueError) as exc:
        print(f"build_data: error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        try:
            current = json.loads(args.out.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"build_data: cannot read {args.out}: {exc}", file=sys.stderr)
            return 1
        same = strip_volatile(current) == strip_volatile(doc)
        print(f"{args.out}: {'up to date' if same else 'STALE: run tools/build_data.py'}")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(doc), encoding="utf-8")
    print(
        f"wrote {args.out}: {len(doc['entries'])} entries from {doc['row_count']} rows, "
        f"{len(doc['name_only'])} name-only, {len(doc['catalogue'])} catalogued IDs"
    )
    return 0


def strip_volatile(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "build_date"}


def iter_entries(doc: dict[str, Any]) -> Iterable[dict[str, Any]]:
    return iter(doc["entries"])


if __name__ == "__main__":
    sys.exit(main())
