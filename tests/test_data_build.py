"""The committed bundled data equals a fresh build, and has the promised shape."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bedrock_lifecycle.ids import parse_model_id
from bedrock_lifecycle.lifecycle import bundled

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO.parent / "shared" / "data"
COMMITTED = REPO / "bedrock_lifecycle" / "lifecycle" / "data" / "lifecycle.json"

needs_data = pytest.mark.skipif(
    not (DATA_DIR / "lifecycle-reference.csv").exists(), reason="reference data not available"
)


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_data", REPO / "tools" / "build_data.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_data"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return _load_tool()


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return data


@needs_data
def test_committed_json_equals_fresh_build(tool: ModuleType, committed: dict[str, Any]) -> None:
    fresh = tool.build(DATA_DIR, committed["build_date"])
    assert tool.dumps(fresh) == COMMITTED.read_text(encoding="utf-8"), (
        "lifecycle.json is stale: run .venv/bin/python tools/build_data.py"
    )


@needs_data
def test_check_mode(tool: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "l.json"
    assert tool.main([str(DATA_DIR), "--out", str(out), "--build-date", "2000-01-01"]) == 0
    assert tool.main([str(DATA_DIR), "--out", str(out), "--check"]) == 0  # build_date ignored
    doc = json.loads(out.read_text())
    doc["entries"].pop()
    out.write_text(json.dumps(doc))
    assert tool.main([str(DATA_DIR), "--out", str(out), "--check"]) == 1


def test_schema(committed: dict[str, Any]) -> None:
    assert committed["schema_version"] == bundled.SCHEMA_VERSION == 1
    assert len(committed["build_date"]) == 10
    assert set(committed["sources"]) == {"S1", "S2", "S3", "A1"}
    assert committed["decisions"]
    keys = {
        "model_id", "name", "provider", "regions", "legacy", "extended_access", "eol",
        "replacements", "replacements_from", "replacement_note", "source", "table",
        "corroborated_by", "as_of", "provenance", "id_mapping", "rows", "notes",
        "confidence", "evidence_date", "status",
    }
    for e in committed["entries"]:
        assert set(e) == keys
        mid = parse_model_id(e["model_id"])
        assert mid.kind == "foundation-model" and mid.base_model_id == e["model_id"]
        assert e["regions"] is None or (e["regions"] and e["regions"] == sorted(e["regions"]))
        assert e["source"] in committed["sources"]
        assert e["as_of"] == committed["sources"][e["source"]]["as_of"]
        dates = [d for d in (e["legacy"], e["extended_access"], e["eol"]) if d]
        assert dates == sorted(dates) and dates
        for r in e["replacements"]:
            assert parse_model_id(r).kind == "foundation-model"
    for c in committed["catalogue"]:
        assert parse_model_id(c).base_model_id == c


@needs_data
def test_every_row_accounted_for(committed: dict[str, Any]) -> None:
    rows = list(csv.DictReader((DATA_DIR / "lifecycle-reference.csv").open(encoding="utf-8")))
    assert committed["row_count"] == len(rows) == 76
    covered = {n for e in committed["entries"] for n in e["rows"]}
    covered |= {n for e in committed["name_only"] for n in e["rows"]}
    assert covered == set(range(1, len(rows) + 1))
    (blank,) = [i for i, r in enumerate(rows, 1) if not r["model_id"]]
    assert committed["name_only"][0]["rows"] == [blank]
    assert committed["name_only"][0]["name"] == "Titan Embeddings - Text v1.1"


def _entries(committed: dict[str, Any], model_id: str) -> list[dict[str, Any]]:
    return [e for e in committed["entries"] if e["model_id"] == model_id]


def test_replacements_normalised(committed: dict[str, Any]) -> None:
    (e,) = _entries(committed, "meta.llama2-13b-chat-v1")
    assert e["replacements"] == ["meta.llama3-1-8b-instruct-v1:0"]
    (e,) = _entries(committed, "stability.stable-diffusion-xl-v1")
    assert e["replacements"] == [
        "stability.stable-image-core-v1:0", "stability.stable-image-ultra-v1:0", "stability.sd3-large-v1:0",
    ]
    for e in _entries(committed, "ai21.j2-mid-v1"):
        assert e["replacements"] == ["ai21.jamba-instruct-v1:0"]
    assert any(e["replacement_note"] for e in _entries(committed, "ai21.j2-mid-v1"))
    (e,) = _entries(committed, "ai21.jamba-instruct-v1:0")
    assert e["replacements"] == ["ai21.jamba-1-5-mini-v1:0", "ai21.jamba-1-5-large-v1:0"]
    (e,) = _entries(committed, "cohere.command-text-v14")
    assert e["replacements"] == ["cohere.command-r-v1:0", "cohere.command-r-plus-v1:0"]


def test_merge_decisions(committed: dict[str, Any]) -> None:
    sonnet35 = _entries(committed, "anthropic.claude-3-5-sonnet-20240620-v1:0")
    (ec2,) = [e for e in sonnet35 if e["regions"] and "eu-central-2" in e["regions"]]
    assert ec2["source"] == "S2" and ec2["eol"] == "2026-06-01"  # newer copy wins
    (s1,) = [e for e in sonnet35 if e["source"] == "S1"]
    assert "eu-central-2" not in s1["regions"] and "us-east-1" in s1["regions"]
    # S2 rows of an S1 model inherit S1's replacements.
    assert ec2["replacements"] == ["anthropic.claude-sonnet-4-5-20250929-v1:0"]
    assert ec2["replacements_from"].startswith("S1")
    # Identical S2/S3 rows collapse into the S3 entry.
    (haiku,) = [e for e in _entries(committed, "anthropic.claude-3-haiku-20240307-v1:0") if "us-east-1" in (e["regions"] or ())]
    assert haiku["source"] == "S3" and haiku["corroborated_by"] == ["S2"]
    # Claude Sonnet 4: S3 omits me-central-1, which keeps S2's dates.
    s4 = _entries(committed, "anthropic.claude-sonnet-4-20250514-v1:0")
    assert {e["source"]: e["regions"] == ["me-central-1"] for e in s4} == {"S2": True, "S3": False}
    # Claude 3.7 Sonnet: legacy in listed regions, extended access/EOL everywhere.
    s37 = _entries(committed, "anthropic.claude-3-7-sonnet-20250219-v1:0")
    (wide,) = [e for e in s37 if e["regions"] is None]
    assert (wide["legacy"], wide["extended_access"], wide["eol"]) == (None, "2026-01-27", "2026-04-28")


def test_catalogue(committed: dict[str, Any]) -> None:
    cat = set(committed["catalogue"])
    assert "anthropic.claude-sonnet-4-6" in cat and "amazon.nova-pro-v1:0" in cat
    assert {s["id"] for s in committed["catalogue_skipped"]} == {"anthropic.claude-haiku-4-5@20251001"}
    assert committed["provisioned_variants"]["anthropic.claude-instant-v1:2:100k"] == "anthropic.claude-instant-v1"


def test_bundled_loader() -> None:
    data = bundled.load()
    assert bundled.load() is data  # read once
    assert len(data.entries) == len(json.loads(COMMITTED.read_text())["entries"])
    e = next(e for e in data.entries if e.model_id == "anthropic.claude-sonnet-4-20250514-v1:0" and e.regions and "us-east-1" in e.regions)
    assert e.eol is not None and e.eol.isoformat() == "2026-10-14T00:00:00+00:00"
    assert e.source == "bundled" and e.provenance.startswith("S3")
    assert e.as_of is not None and e.as_of.isoformat() == "2026-10-13"
    with pytest.raises(ValueError, match="schema_version"):
        bundled.parse_document({"schema_version": 99, "entries": []})


@needs_data
def test_regions_note_parser(tool: ModuleType) -> None:
    assert tool.parse_regions_note("no region qualifier in source") == {"*": None}
    assert tool.parse_regions_note("legacy: only in us-west-2; EOL: only in us-west-2") == {
        "legacy": frozenset({"us-west-2"}), "eol": frozenset({"us-west-2"}),
    }
    assert tool.parse_regions_note("legacy: all Regions; EOL: all Regions") == {"legacy": None, "eol": None}
    with pytest.raises(tool.BuildError):
        tool.parse_regions_note("sometimes: maybe")
    assert tool.split_alternatives("a.b-v1:0 in US East (N. Virginia)")[0] == ["a.b-v1:0"]
    assert tool.split_alternatives("a.x, b.y, and c.z")[0] == ["a.x", "b.y", "c.z"]
    assert tool.split_alternatives("a.x or b.y")[0] == ["a.x", "b.y"]


# --------------------------------------------------------------------------- newer sources (issue 16)


def _copy_data(tmp_path: Path) -> Path:
    import shutil

    d = tmp_path / "data"
    shutil.copytree(DATA_DIR, d)
    for p in d.iterdir():
        p.chmod(0o644)
    return d


@needs_data
@pytest.mark.parametrize(
    ("file", "edit", "needle"),
    [
        ("legacy-announcements-2026-10.csv", lambda t: t + t.splitlines()[2] + "\n", "row 12: duplicate row for google.gemma-3-4b-it (row 3)"),
        ("legacy-announcements-2026-10.csv", lambda t: t.replace("google.gemma-3-4b-it", "google.gemma-9-it", 1), "row 3: unknown model ID 'google.gemma-9-it'"),
        ("legacy-announcements-2026-10.csv", lambda t: t.replace("google.gemma-3-4b-it,2027-03-30,,", "google.gemma-3-4b-it,2027-03-30,2027-04-01,", 1), "row 3: dates out of order"),
        ("lifecycle-policy-cards.csv", lambda t: t + t.splitlines()[1] + "\n", "duplicate of row 2"),
        ("lifecycle-policy-cards.csv", lambda t: t.replace("openai.gpt-6-astra,2026-09-08,2027-09-08", "openai.gpt-6-astra,2026-09-08,2026-09-01", 1), "row 2: dates out of order"),
        ("lifecycle-policy-cards.csv", lambda t: t + t.splitlines()[1].replace("2026-09-08,2027-09-08", "2026-09-09,2027-09-09").replace("gpt-6-astra.html", "gpt-6-astra-2.html") + "\n", "conflicting launch for openai.gpt-6-astra (lifecycle-policy-cards.csv row 2: 2026-09-08, lifecycle-policy-cards.csv row 80: 2026-09-09)"),
    ],
)
def test_build_validation_names_the_row(tool: ModuleType, tmp_path: Path, file: str, edit: Any, needle: str) -> None:
    d = _copy_data(tmp_path)
    p = d / file
    p.write_text(edit(p.read_text()))
    with pytest.raises(tool.BuildError) as e:
        tool.build(d, "2026-12-01")
    assert needle in str(e.value)
    assert file in str(e.value)


@needs_data
def test_newer_sources_shape(committed: dict[str, Any]) -> None:
    a1 = [e for e in committed["entries"] if e["source"] == "A1"]
    assert len(a1) == 10 and {e["eol"] for e in a1} == {"2027-03-30"}
    assert {e["model_id"] for e in a1 if e["confidence"] == "confirmed"} == {"meta.llama3-3-70b-instruct-v1:0"}
    assert committed["confidence_counts"] == {"confirmed": 67, "reported": 9}
    assert committed["newest_evidence"] == "2026-10-13"
    cov = committed["model_coverage"]
    assert cov["policy_2026_09"] == 11 and cov["launch_date"] > 60 and cov["eol_floor"] > 60
    m = committed["models"]
    assert m["moonshotai.kimi-k3"]["legacy_period_days"] == 45 and m["moonshotai.kimi-k3"]["eol_floor"] is None
    assert m["openai.gpt-6.1-sol"]["legacy_period_days"] is None  # defers to OpenAI's own terms
    assert m["anthropic.claude-3-haiku-20240307-v1:0"]["facts"]["launch"]["decision"].startswith("earliest wins")
    # This project's own research fills gaps, with its file named in each fact.
    opus47 = m["anthropic.claude-opus-4-7"]
    assert (opus47["policy"], opus47["launch"], opus47["eol_floor"]) == ("pre-2026-09", "2026-04-16", "2027-04-16")
    assert opus47["facts"]["launch"]["file"] == "tools/research/lifecycle-research.csv"
    assert m["zai.glm-4.7"]["facts"]["launch"]["confidence"] == "reported"


def test_docs_state_the_shipped_figures(committed: dict[str, Any]) -> None:
    """docs/registry.md quotes the confidence counts, data age and coverage: keep them true."""
    text = (REPO / "docs" / "registry.md").read_text(encoding="utf-8")
    c, f, cov = committed["confidence_counts"], committed["fact_confidence_counts"], committed["model_coverage"]
    assert f"**{c['confirmed']} are\nconfirmed and {c['reported']} reported**" in text
    assert f"Of the {f['confirmed'] + f['reported']} per-model facts, {f['confirmed']} are confirmed and {f['reported']} reported" in " ".join(text.split())
    assert f"**{committed['newest_evidence']}**" in text
    flat = " ".join(text.split())
    assert f"policy known for {cov['policy_2026_09'] + cov['policy_pre_2026_09']} ({cov['policy_2026_09']}" in flat
    assert f"launch date for {cov['launch_date']}, card/table \"EOL no sooner than\" for {cov['eol_floor']}" in flat
    assert f"Legacy period for {cov['legacy_period_days']} ({cov['legacy_period_from_card']} from a" in flat


@needs_data
def test_research_rows_are_validated_like_the_cards(tool: ModuleType, tmp_path: Path) -> None:
    research = tmp_path / "research.csv"
    text = (REPO / "tools" / "research" / "lifecycle-research.csv").read_text()
    research.write_text(text + "anthropic.claude-opus-9,2027-01-01,,,,https://example.invalid,2027-01-01\n")
    with pytest.raises(tool.BuildError, match=r"lifecycle-research.csv row 6: unknown model ID 'anthropic.claude-opus-9'"):
        tool.build(DATA_DIR, "2026-12-01", research=research)
