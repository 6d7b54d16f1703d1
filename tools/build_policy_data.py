"""The newer sources of ``tools/build_data.py``: Legacy announcements and model-card facts.

* ``legacy-announcements-2026-10.csv`` -> lifecycle entries (source ``A1``) with a
  ``confidence`` (``confirmed``: an AWS page or card; ``reported``: third-party notes of
  AWS material) and an ``evidence_date``.
* ``lifecycle-policy-cards.csv`` -> per-model policy facts (``models`` in the JSON): which
  lifecycle policy governs the model, its launch date, the card's "EOL no sooner than"
  date and its Legacy period, each fact with source, evidence date and confidence.

Validation is strict: a duplicate row, two rows of one source giving a model different
dates (unless ``KNOWN_CONFLICTS`` records a decision), an ID no source knows, dates out of
order, or an announcement contradicting a confirmed table date are :class:`BuildError`
naming the file and row. See docs/registry.md "Updating the bundled data".
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

ANNOUNCEMENTS = "legacy-announcements-2026-10.csv"
CARDS = "lifecycle-policy-cards.csv"
# This project's own research (same columns as CARDS), filling gaps the shared data leaves;
# kept in the repository with a source and evidence date per row.
RESEARCH = "tools/research/lifecycle-research.csv"
POLICY_CUTOFF = "2026-09-07"  # models launched on or after this day: the newer policy
NEW, OLD = "2026-09", "pre-2026-09"
SIX_MONTHS_DAYS = 182  # "6 months" as a day count for display; guarantees use calendar months

ANNOUNCEMENT_SOURCE: dict[str, Any] = {
    "rank": 4,
    "as_of": "2026-10-09",
    "as_of_range": ["2026-09-30", "2026-10-09"],
    "document": "Bedrock model cards (docs.aws.amazon.com/bedrock/latest/userguide/model-card-*)",
    "copy": "shared/data/legacy-announcements-2026-10.csv: one AWS card copy (Llama 3.3 70B) and "
    "third-party notes of the cards read 2026-10-04..2026-10-09",
}

# (model, field) pairs whose sources disagree, with the decision taken. The build takes
# the earliest date (the weaker guarantee: a "safe until" must never be overstated) and
# keeps every alternative; a disagreement not listed here stops the build.
KNOWN_CONFLICTS: dict[tuple[str, str], str] = {
    ("anthropic.claude-3-haiku-20240307-v1:0", "launch"): "card 2024-03-13 vs active table 2024-03-14",
    ("anthropic.claude-3-haiku-20240307-v1:0", "eol_floor"): "card 2025-03-13 vs active table 2025-03-14",
    ("anthropic.claude-haiku-4-5-20251001-v1:0", "launch"): "card 2025-10-16 vs active table 2025-10-01",
    ("anthropic.claude-haiku-4-5-20251001-v1:0", "eol_floor"): "card 2026-10-16 (older copy 2026-10-01) vs table 2026-10-01",
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "eol_floor"): "card 2026-09-30 vs active table 2026-09-29",
    ("meta.llama3-3-70b-instruct-v1:0", "launch"): "card 2024-12-06 vs active table 2024-12-19",
    ("meta.llama3-3-70b-instruct-v1:0", "eol_floor"): "card 2025-12-06 vs active table 2025-12-19",
    ("cohere.embed-english-v3", "launch"): "the active table lists it twice: 2023-11-13 and 2025-01-24",
    ("cohere.embed-english-v3", "eol_floor"): "the active table lists it twice: 2024-11-30 and 2026-01-24",
    ("cohere.embed-multilingual-v3", "launch"): "the active table lists it twice: 2023-11-13 and 2025-01-24",
    ("cohere.embed-multilingual-v3", "eol_floor"): "the active table lists it twice: 2024-11-13 and 2026-01-24",
}

DECISIONS: tuple[str, ...] = (
    "announcements (A1): every row is an all-region entry with status legacy (the file lists cards that "
    "announce Legacy with an EOL date) and the EOL date; no legacy or extended-access date is invented.",
    "confidence: 'confirmed' = an AWS page, card or the API; 'reported' = third-party notes of AWS material. "
    "A reported date warns but never refuses a call or fails check unless [policy] trust = \"reported\"; a "
    "confirmed entry or the API replaces it field by field.",
    "evidence_date: the first full date in the evidence cell, else the first YYYY-MM read as its 1st day "
    "(a lower bound: the evidence is at least that new); the cell is kept verbatim as evidence.",
    "policy: from the card or table row when there is one; else by launch date (>= 2026-09-07 is the newer "
    "policy); else 'pre-2026-09' for models in a copy dated before 2026-09-07 (S1/S2 tables, the 2026-02-15 "
    "models-supported page, S1's active table) or on the model-lifecycle-legacy page (S3); else unknown.",
    "legacy period: '6 months' / 'at least 6 months' = 182 days shown, 6 calendar months computed; 'at least "
    "45 days' = 45; the older policy's minimum (6 months) for pre-2026-09 models without a card; 'not stated' "
    "and 'not found' stay unknown (the OpenAI card that defers to OpenAI's own terms, which allow faster "
    "deprecation for safety or compliance, gives no guarantee).",
    "eol_floor ('EOL no sooner than'): the card's or active table's date; 'none', 'not stated', 'not found' "
    "stay unknown. Disagreeing sources: the earliest date wins (KNOWN_CONFLICTS), alternatives kept.",
    "launch: the first date in the cell ('earliest of ...' cells give the earliest); 'per third party' makes "
    "the fact reported. The API's startOfLifeTime (sync) replaces it at run time.",
    "card row confidence: confirmed when the source is a docs.aws.amazon.com page not known only through a "
    "third party's quote ('quoted by third party', 'census by', 'spot-check by', 'per third party'); else "
    "reported.",
)

_THIRD_PARTY = ("quoted by third", "per third party", "census by", "spot-check by")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\b(\d{4})-(\d{2})\b")


class BuildError(Exception):
    pass


def _rows(text: str, name: str, columns: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(text.splitlines())
    missing = set(columns) - set(reader.fieldnames or ())
    if missing:
        raise BuildError(f"{name}: missing column(s) {sorted(missing)}")
    # Row numbers as a spreadsheet shows them: the header is row 1.
    return [(n, {k: (v or "").strip() for k, v in row.items()}) for n, row in enumerate(reader, start=2)]


def evidence_date(cell: str) -> str | None:
    m = _DATE.search(cell)
    if m:
        return m.group(0)
    mm = _MONTH.search(cell)
    return f"{mm.group(1)}-{mm.group(2)}-01" if mm else None


def first_date(cell: str) -> str | None:
    m = _DATE.search(cell)
    return m.group(0) if m else None


def legacy_period_days(cell: str) -> int | None:
    text = cell.lower()
    if text.startswith(("not stated", "not found")):  # even when it goes on to quote other terms
        return None
    if "45 day" in text:
        return 45
    if "6 month" in text:
        return SIX_MONTHS_DAYS
    return None


def policy_of(cell: str) -> str | None:
    if "on/after 2026-09-07" in cell:
        return NEW
    if "before 2026-09-07" in cell or "(pre-split)" in cell:
        return OLD
    return None  # e.g. the provider's own terms: decided by launch date


def card_confidence(source_url: str, evidence: str) -> str:
    aws = source_url.startswith("https://docs.aws.amazon.com/")
    third = any(t in evidence.lower() for t in _THIRD_PARTY)
    return "confirmed" if aws and not third else "reported"


def _check_id(model: str, known: set[str], where: str) -> None:
    if model not in known:
        raise BuildError(f"{where}: unknown model ID {model!r} (not in model-ids.txt or lifecycle-reference.csv)")


# --------------------------------------------------------------------------- announcements


def announcement_entries(
    text: str, known: set[str], confirmed_entries: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Entry dicts (build_data's JSON shape) for the announcements file."""
    rows = _rows(text, ANNOUNCEMENTS, ("model_id", "eol_date", "legacy_date", "extended_access_date",
                                       "regions_note", "confidence", "source", "evidence_date"))
    table_dates: dict[str, set[str]] = {}
    for e in confirmed_entries:
        if e.get("eol"):
            table_dates.setdefault(e["model_id"], set()).add(e["eol"])
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for n, row in rows:
        where = f"{ANNOUNCEMENTS} row {n}"
        mid = row["model_id"]
        _check_id(mid, known, where)
        if mid in seen:
            raise BuildError(f"{where}: duplicate row for {mid} (row {seen[mid]})")
        seen[mid] = n
        dates = {f: row[c] or None for f, c in (("legacy", "legacy_date"), ("extended_access", "extended_access_date"),
                                                 ("eol", "eol_date"))}
        for f, v in dates.items():
            if v is not None and not _DATE.fullmatch(v):
                raise BuildError(f"{where}: {f} {v!r} is not YYYY-MM-DD")
        present = [v for v in dates.values() if v]
        if present != sorted(present):
            raise BuildError(f"{where}: dates out of order {dates}")
        conf = "confirmed" if row["confidence"].startswith("AWS ") else "reported"
        others = table_dates.get(mid, set())
        if conf == "confirmed" and dates["eol"] and others and dates["eol"] not in others:
            raise BuildError(f"{where}: EOL {dates['eol']} conflicts with the confirmed table date(s) "
                             f"{sorted(others)} for {mid}; decide which holds")
        ev = evidence_date(row["evidence_date"]) or ANNOUNCEMENT_SOURCE["as_of_range"][0]
        out.append({
            "model_id": mid, "name": "", "provider": mid.split(".", 1)[0],
            "regions": None, **dates, "status": "legacy",
            "replacements": [], "replacements_from": None, "replacement_note": None,
            "source": "A1", "table": "model card (Legacy, EOL date)", "corroborated_by": [],
            "as_of": ANNOUNCEMENT_SOURCE["as_of"], "confidence": conf, "evidence_date": ev,
            "provenance": f"A1: {row['source']}; {row['confidence']}; evidence: {row['evidence_date']}; "
                          f"regions: {row['regions_note']}",
            "id_mapping": None, "rows": [n],
            "notes": [] if not others else [f"the S tables also date this model: {sorted(others)}"],
        })
    return out


# --------------------------------------------------------------------------- model cards


def _facts_from_cards(
    text: str, known: set[str], name: str, facts: dict[str, dict[str, list[dict[str, Any]]]]
) -> None:
    rows = _rows(text, name, ("model_id", "launch_date", "eol_no_sooner_than", "legacy_period", "policy",
                              "source_url", "evidence_date"))
    seen: dict[tuple[str, ...], int] = {}  # whole rows; same model + source twice is a conflict, not a dup
    for n, row in rows:
        where = f"{name} row {n}"
        mid = row["model_id"]
        _check_id(mid, known, where)
        key = tuple(row.values())
        if key in seen:
            raise BuildError(f"{where}: duplicate of row {seen[key]}")
        seen[key] = n
        conf = card_confidence(row["source_url"], row["evidence_date"])
        launch_conf = "reported" if "per third party" in row["launch_date"] else conf
        launch, floor = first_date(row["launch_date"]), first_date(row["eol_no_sooner_than"])
        if launch and floor and floor < launch:
            raise BuildError(f"{where}: dates out of order: EOL no sooner than {floor} before launch {launch}")
        base = {"source": row["source_url"], "evidence": row["evidence_date"],
                "evidence_date": evidence_date(row["evidence_date"]), "row": n,
                **({} if name == CARDS else {"file": name})}
        f = facts.setdefault(mid, {})
        for field, value, c, raw in (
            ("launch", launch, launch_conf, row["launch_date"]),
            ("eol_floor", floor, conf, row["eol_no_sooner_than"]),
            ("legacy_period_days", legacy_period_days(row["legacy_period"]), conf, row["legacy_period"]),
            ("policy", policy_of(row["policy"]), conf, row["policy"]),
        ):
            if value is not None:
                f.setdefault(field, []).append({"value": value, "confidence": c, "text": raw, **base})


def _resolve(mid: str, name: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    values = {x["value"] for x in found}
    if len(values) > 1:
        if (mid, name) not in KNOWN_CONFLICTS:
            rows = ", ".join(f"{x.get('file', CARDS)} row {x['row']}: {x['value']}" for x in found)
            raise BuildError(f"conflicting {name} for {mid} ({rows}); add a decision to KNOWN_CONFLICTS")
        if name in ("policy", "legacy_period_days"):
            raise BuildError(f"{CARDS}: conflicting {name} for {mid}; only dates can be resolved")
    best = min(found, key=lambda x: (x["value"], x["confidence"] != "confirmed"))
    out = dict(best)
    others = [x for x in found if x is not best]
    if others:
        out["alternatives"] = [{"value": x["value"], "source": x["source"], "row": x["row"]} for x in others]
        if (mid, name) in KNOWN_CONFLICTS:
            out["decision"] = f"earliest wins: {KNOWN_CONFLICTS[(mid, name)]}"
    return out


def model_facts(
    card_files: Iterable[tuple[str, str]],
    known: set[str],
    pre_cutoff_ids: set[str],
    dated_ids: set[str],
) -> dict[str, dict[str, Any]]:
    """Per-model policy facts for every known model (``policy`` may be null: unknown).

    ``card_files``: (name, text) of every file in the cards format (CARDS, RESEARCH).
    """
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, text in card_files:
        _facts_from_cards(text, known, name, raw)
    used = {(m, f) for m, fs in raw.items() for f, xs in fs.items() if len({x["value"] for x in xs}) > 1}
    stale = set(KNOWN_CONFLICTS) - used
    if stale:
        raise BuildError(f"KNOWN_CONFLICTS lists pairs the data no longer disagrees on: {sorted(stale)}")
    out: dict[str, dict[str, Any]] = {}
    for mid in sorted(known):
        facts = {name: _resolve(mid, name, xs) for name, xs in raw.get(mid, {}).items()}
        launch = facts.get("launch")
        policy = facts.get("policy")
        if policy is None and launch is not None:
            policy = {"value": NEW if launch["value"] >= POLICY_CUTOFF else OLD, "confidence": launch["confidence"],
                      "source": "derived from the launch date", "evidence_date": launch["evidence_date"]}
        if policy is None and (mid in pre_cutoff_ids or mid in dated_ids):
            policy = {"value": OLD, "confidence": "confirmed", "evidence_date": None,
                      "source": "derived: listed in an AWS page copy dated before 2026-09-07 or on the "
                                "model-lifecycle-legacy page"}
        if policy is not None:
            facts["policy"] = policy
        if "legacy_period_days" not in facts and policy is not None and policy["value"] == OLD:
            facts["legacy_period_days"] = {"value": SIX_MONTHS_DAYS, "confidence": policy["confidence"],
                                           "source": "the pre-2026-09 policy: at least 6 months in Legacy",
                                           "evidence_date": None}
        out[mid] = {
            "policy": policy["value"] if policy else None,
            "launch": launch["value"] if launch else None,
            "eol_floor": facts["eol_floor"]["value"] if "eol_floor" in facts else None,
            "legacy_period_days": facts["legacy_period_days"]["value"] if "legacy_period_days" in facts else None,
            "facts": facts,
        }
    return out


def pre_cutoff_ids(model_ids_txt: str) -> set[str]:
    """IDs in model-ids.txt sections 1 (models-supported, 2026-02-15) and 2 (S1, 2025-11-13)."""
    section = 0
    out: set[str] = set()
    for line in model_ids_txt.splitlines():
        head = re.match(r"##\s+(\d+)\.", line)
        if head:
            section = int(head.group(1))
            continue
        item = line.split("#", 1)[0].strip()
        if item and section in (1, 2):
            out.add(item.split()[0])
    return out


def coverage(models: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """How many models have each fact (reported in the JSON and the docs)."""
    return {
        "models": len(models),
        "policy_2026_09": sum(1 for m in models.values() if m["policy"] == NEW),
        "policy_pre_2026_09": sum(1 for m in models.values() if m["policy"] == OLD),
        "policy_unknown": sum(1 for m in models.values() if m["policy"] is None),
        "launch_date": sum(1 for m in models.values() if m["launch"]),
        "eol_floor": sum(1 for m in models.values() if m["eol_floor"]),
        "legacy_period_days": sum(1 for m in models.values() if m["legacy_period_days"] is not None),
        "legacy_period_from_card": sum(
            1 for m in models.values()
            if "legacy_period_days" in m["facts"] and "row" in m["facts"]["legacy_period_days"]
        ),
    }
