"""`bedrock-lifecycle scan`: the gate, its outputs (text, JSON, SARIF, GitHub), what it could not read."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.cli._common import replacement_text
from bedrock_lifecycle.lifecycle import sync
from bedrock_lifecycle.toolkit.scan import files
from tests.test_scan import ACCT, HAIKU3, JAMBA, SONNET45, SONNET46, TREE_FILES, make_tree

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The CLI's registry reads only bundled data: an empty sync cache, no region, no pinned clock.
    monkeypatch.setenv(sync.ENV_CACHE_DIR, str(tmp_path / "cache"))
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "BEDROCK_LIFECYCLE_NOW"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COLUMNS", "100")  # the width the output is designed for, whatever the terminal
    sync._memo.clear()
    yield
    sync._memo.clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def unreadable(monkeypatch: pytest.MonkeyPatch, *paths: Path) -> None:
    """Make ``paths`` unreadable (the tests may run as root, where chmod 000 does not)."""
    real_open, real_scandir = os.open, os.scandir
    blocked = {os.fspath(p) for p in paths}

    def fake_open(path: Any, *a: Any, **k: Any) -> int:
        if os.fspath(path) in blocked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *a, **k)

    def fake_scandir(path: Any = ".") -> Any:
        if os.fspath(path) in blocked:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(files.os, "open", fake_open)
    monkeypatch.setattr(files.os, "scandir", fake_scandir)


FINDING_KEYS = {"path", "line", "column", "model_id", "base_model_id", "region", "state", "eol_date",
                "days_to_eol", "replacements", "suggested_replacements", "confidence", "failing", "note", "cell",
                "cell_type", "output", "file_line", "file_column"}
SUMMARY_KEYS = {"model", "state", "eol_date", "days_to_eol", "replacements", "suggested_replacements",
                "occurrences", "files", "failing", "note", "confidence"}
TOTALS_KEYS = {"files_scanned", "files_with_findings", "findings", "failing", "models", "failing_models",
               "by_state", "unreadable", "skipped", "at", "region", "within_days", "trust"}


# --------------------------------------------------------------------------- JSON


def test_json_schema_states_and_roll_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path)
    arn = f"arn:aws:bedrock:us-west-2:{ACCT}:application-inference-profile/a1b2c3d4e5f6"
    (tmp_path / "arn.py").write_text(f'PROFILE = "{arn}"\n')
    code, out, err = run(capsys, "scan", str(tmp_path), "--region", "us-east-1", "--at", "2026-08-01", "--json")
    assert code == 1 and err == ""
    data = json.loads(out)
    assert set(data) == {"summary", "findings", "unreadable", "skipped", "totals"}
    for f in data["findings"]:
        assert set(f) == FINDING_KEYS
        assert f["eol_date"] is None or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", f["eol_date"])
    by_id = {f["model_id"]: f for f in data["findings"]}
    h = by_id[HAIKU3]
    assert (h["state"], h["eol_date"], h["days_to_eol"], h["failing"]) == ("extended_access", "2026-09-10T00:00:00Z",
                                                                          40, True)
    assert h["replacements"] == [] and h["suggested_replacements"] == ["anthropic.claude-haiku-4-5-20251001-v1:0"]
    assert (by_id[JAMBA]["state"], by_id[JAMBA]["failing"]) == ("eol", True)
    a = by_id[arn]  # names no base model: unknown, its own region, and says why
    assert (a["state"], a["base_model_id"], a["region"], a["failing"]) == ("unknown", None, "us-west-2", False)
    assert "names no base model" in a["note"]
    # The roll-up: one row per base model, failing first, EOL before extended access.
    summary = data["summary"]
    assert all(set(s) == SUMMARY_KEYS for s in summary)
    assert [s["model"] for s in summary[:2]] == [JAMBA, HAIKU3]
    haiku = summary[1]
    assert (haiku["occurrences"], haiku["files"], haiku["failing"]) == (3, 3, True)
    assert [s["failing"] for s in summary] == sorted((s["failing"] for s in summary), reverse=True)
    assert sum(s["occurrences"] for s in summary) == len(data["findings"])
    t = data["totals"]
    assert set(t) == TOTALS_KEYS
    assert t["files_scanned"] == len(TREE_FILES) + 1  # + arn.py; blob.dat and utf16.txt are binary
    assert t["skipped"] == {"binary": 2, "too_large": 0} and t["unreadable"] == 0
    assert {s["path"].rsplit("/", 1)[1] for s in data["skipped"]} == {"blob.dat", "utf16.txt"}
    assert t["failing_models"] == 2 and t["models"] == len(summary)
    assert (t["at"], t["region"], t["within_days"]) == ("2026-08-01T00:00:00Z", "us-east-1", 0)


# --------------------------------------------------------------------------- text


def test_text_output_leads_with_the_roll_up_and_fits_100_columns(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / ("very-long-directory-name-" * 4) / "src"
    deep.mkdir(parents=True)
    (deep / "main.py").write_text(f'A = "{HAIKU3}"\nB = "us.{SONNET46}"\nC = "{JAMBA}"\n'
                                  f'D = "arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/us.{HAIKU3}"\n')
    (tmp_path / "b.py").write_text(f'A = "{HAIKU3}"\nB = "ap.{SONNET46}"\n')
    code, out, err = run(capsys, "scan", str(tmp_path), "--region", "us-east-1", "--at", "2026-08-01")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert max(len(x) for x in lines) <= 100
    assert lines[0].split() == ["MODEL", "STATE", "EOL", "USES", "FILES", "GATE"]
    rows = [x for x in lines[1:] if x and not x.startswith(" ")]
    assert rows[0].split()[:2] == [JAMBA, "eol"]
    assert rows[1].split() == [HAIKU3, "extended_access", "2026-09-10", "3", "2", "FAIL"]
    assert rows[2].split()[:2] == [f"ap.{SONNET46}", "unknown"]
    assert "  replacement: anthropic.claude-haiku-4-5-20251001-v1:0 (suggested)" in lines
    assert "  replacement: ai21.jamba-1-5-mini-v1:0, ai21.jamba-1-5-large-v1:0" in lines
    assert "'ap.' is not a cross-region inference profile geography" in " ".join(x.strip() for x in lines)
    assert "Failing occurrences, by file:" in lines
    assert any(x.startswith("…") and x.endswith("/src/main.py") for x in lines)  # path cut from the left
    assert f"us.{SONNET46}" not in out.split("Failing occurrences")[1]  # active: only with --all
    assert "4 models fail the gate" not in out and "3 models fail the gate" in " ".join(lines)
    code, out_all, _ = run(capsys, "scan", str(tmp_path), "--region", "us-east-1", "--at", "2026-08-01", "--all")
    assert "Occurrences, by file:" in out_all and f"us.{SONNET46}" in out_all.split("Occurrences, by file:")[1]
    assert max(len(x) for x in out_all.splitlines()) <= 100


def test_exit_0_for_active_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "app.py"
    f.write_text(f'A = "{SONNET46}"\nB = "us.{SONNET45}"\n')
    code, out, err = run(capsys, "scan", str(f), "--region", "us-east-1", "--at", "2026-06-01")
    assert code == 0 and err == ""
    assert "Failing occurrences" not in out
    assert out.splitlines()[-1].endswith("none fails the gate (legacy, extended access, EOL or not served; region "
                                         "us-east-1; at 2026-06-01).") or "none fails the gate" in out
    assert "2 model IDs (2 models) in 1 of 1 file scanned" in out.replace("\n", " ")


def test_within_turns_a_retiring_active_model_into_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "main.tf"
    f.write_text(f'model_id = "{SONNET45}"\n')
    base = ["scan", str(f), "--region", "us-east-1", "--at", "2026-06-01"]
    assert run(capsys, *base)[0] == 0  # active on that day; EOL 2027-04-08 is 311 days later
    assert run(capsys, *base, "--within", "310")[0] == 0
    code, out, _ = run(capsys, *base, "--within", "311")
    assert code == 1 and "or EOL within 311 days" in out.replace("\n", " ")
    code, out, _ = run(capsys, *base, "--within", "365", "--json")
    assert code == 1 and json.loads(out)["findings"][0]["failing"] is True


def test_region_from_environment_validated_and_most_conservative_without(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    f = tmp_path / "a.py"
    f.write_text(f'M = "{HAIKU3}"\n')
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    code, out, _ = run(capsys, "scan", str(f), "--at", "2026-08-01", "--json")
    assert json.loads(out)["totals"]["region"] == "us-west-2"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west2")
    code, out, err = run(capsys, "scan", str(f), "--at", "2026-08-01")
    assert code == 2 and out == ""
    assert "AWS_DEFAULT_REGION: 'us-west2' is not a region" in err and "did you mean 'us-west-2'" in err
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    code, out, _ = run(capsys, "scan", str(f), "--at", "2026-08-01", "--json")
    d = json.loads(out)
    assert d["totals"]["region"] is None and d["findings"][0]["region"] is None
    assert code == 1  # retiring somewhere: the conservative answer fails the gate


def test_real_region_without_data_stays_unknown_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "a.py"
    f.write_text(f'M = "{HAIKU3}"\n')
    code, out, _ = run(capsys, "scan", str(f), "--region", "mx-central-1", "--at", "2026-08-01", "--json")
    finding = json.loads(out)["findings"][0]
    assert finding["state"] == "unknown" and "no lifecycle dates for mx-central-1" in finding["note"]
    code, out, _ = run(capsys, "scan", str(f), "--region", "mx-central-1", "--at", "2026-08-01")
    assert code == 0 and "note: no lifecycle dates for mx-central-1" in out
    assert run(capsys, "scan", str(f), "--region", "mx-central-1", "--at", "2026-08-01", "--strict")[0] == 1


def test_no_findings_and_plurals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.py").write_text("print('see anthropic.com and meta.json')\n")
    code, out, err = run(capsys, "scan", str(tmp_path), "--at", "2026-08-01")
    assert (code, out, err) == (0, "No Bedrock model IDs in 1 file scanned.\n", "")
    (tmp_path / "b.py").write_text("x = 1\n")
    assert run(capsys, "scan", str(tmp_path))[1] == "No Bedrock model IDs in 2 files scanned.\n"
    code, out, _ = run(capsys, "scan", str(tmp_path), "--json")
    assert code == 0 and json.loads(out)["findings"] == [] and json.loads(out)["summary"] == []


def test_exclude(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_tree(tmp_path)
    code, out, _ = run(capsys, "scan", str(tmp_path), "--at", "2026-08-01", "--region", "us-east-1",
                       "--exclude", "app", "--exclude", "cmd/*", "--exclude", "svc", "--exclude", "infra", "--json")
    assert code == 0 and {f["state"] for f in json.loads(out)["findings"]} == {"active"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "/no/such/path"], "/no/such/path: no such file or directory"),
        (["scan", ".", "/no/such/path"], "/no/such/path: no such file or directory"),
        (["scan", ".", "--at", "someday"], "--at"),
        (["scan", ".", "--within", "-1"], "--within"),
        (["scan", ".", "--within", "soon"], "--within"),
        (["scan", ".", "--region", "us-east1"], "did you mean 'us-east-1'"),
        (["scan", ".", "--format", "xml"], "--format"),
        (["scan"], "PATH"),
    ],
)
def test_usage_errors_are_one_line_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and message in err


# --------------------------------------------------------------------------- what was not read (part 3)


def test_unreadable_named_file_is_never_counted_as_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "main.py"
    f.write_text(f'M = "{HAIKU3}"\n')
    unreadable(monkeypatch, f)
    code, out, err = run(capsys, "scan", str(f), "--at", "2026-08-01")
    assert code == 2
    assert f"cannot read {f}: Permission denied" in err
    assert "No Bedrock model IDs in 0 files scanned; 1 path could not be read (see stderr)." in out
    code, out, err = run(capsys, "scan", str(f), "--json", "--ignore-unreadable")
    d = json.loads(out)
    assert code == 0 and d["unreadable"] == [{"path": str(f), "error": "Permission denied"}]
    assert d["totals"]["unreadable"] == 1 and d["totals"]["files_scanned"] == 0


def test_unreadable_directory_is_listed_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ok.py").write_text(f'M = "{SONNET46}"\n')
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.py").write_text(f'M = "{JAMBA}"\n')
    unreadable(monkeypatch, locked)
    code, out, err = run(capsys, "scan", str(tmp_path), "--at", "2026-08-01", "--json")
    d = json.loads(out)
    assert code == 2 and d["unreadable"][0]["path"] == str(locked)
    assert "cannot list directory" in d["unreadable"][0]["error"] and str(locked) in err
    assert run(capsys, "scan", str(tmp_path), "--at", "2026-08-01", "--ignore-unreadable")[0] == 0


def test_named_binary_file_is_reported_not_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "model.txt"
    f.write_text(HAIKU3, encoding="utf-16")
    code, out, err = run(capsys, "scan", str(f), "--at", "2026-08-01")
    assert code == 0 and f"note: {f}: not scanned: NUL byte" in err
    assert out == "No Bedrock model IDs in 0 files scanned; skipped 1 binary.\n"
    png = tmp_path / "logo.png"  # a binary extension named explicitly is read (docs/scan.md)
    png.write_text(f"{HAIKU3}\n")
    assert run(capsys, "scan", str(png), "--at", "2026-08-01")[0] == 1


def test_named_file_over_the_size_limit_is_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    f = tmp_path / "bundle.js"
    f.write_text("x\n" * 200 + f'M = "{HAIKU3}"\n')
    code, out, err = run(capsys, "scan", str(f), "--at", "2026-08-01", "--json")
    d = json.loads(out)
    assert code == 1 and d["findings"][0]["line"] == 201 and d["totals"]["files_scanned"] == 1
    assert "read in blocks" in err
    code, out, err = run(capsys, "scan", str(tmp_path), "--at", "2026-08-01", "--json")
    d = json.loads(out)  # found by walking: skipped, and counted as such
    assert code == 0 and d["totals"]["skipped"]["too_large"] == 1 and d["totals"]["files_scanned"] == 0


# --------------------------------------------------------------------------- SARIF and GitHub (part 6)


def _sarif_required(log: dict[str, Any]) -> None:
    """The SARIF 2.1.0 schema's required properties on every object this tool writes, and
    what GitHub code scanning reads (rule ids, result locations with a relative URI)."""
    assert set(log) >= {"version", "runs"} and log["version"] == "2.1.0"
    for run_ in log["runs"]:
        driver = run_["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        rule_ids = [r["id"] for r in driver["rules"]]
        assert len(rule_ids) == len(set(rule_ids))
        for r in driver["rules"]:
            assert r["shortDescription"]["text"] and r["defaultConfiguration"]["level"] in ("error", "warning", "note")
        for res in run_["results"]:
            assert isinstance(res["message"]["text"], str) and res["message"]["text"]
            assert res["ruleId"] == rule_ids[res["ruleIndex"]]
            assert res["level"] in ("none", "note", "warning", "error")
            for loc in res["locations"]:
                phys = loc["physicalLocation"]
                assert "uri" in phys["artifactLocation"]
                assert not phys["artifactLocation"]["uri"].startswith("/")
                region = phys["region"]
                assert region["startLine"] >= 1 and region["startColumn"] >= 1
                assert region["endColumn"] > region["startColumn"]
        for inv in run_.get("invocations", []):
            assert isinstance(inv["executionSuccessful"], bool)
            for n in inv.get("toolExecutionNotifications", []):
                assert n["message"]["text"]


def test_sarif_output(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path)
    (tmp_path / "bad.py").write_text(f'M = "ap.{SONNET46}"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "scan", ".", "--region", "us-east-1", "--at", "2026-08-01", "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    _sarif_required(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} == {"bedrock-model-eol", "bedrock-model-extended-access", "bedrock-model-legacy",
                                        "bedrock-model-unknown", "bedrock-model-active"}
    results = log["runs"][0]["results"]
    assert len(results) == 5  # the failing occurrences: 3 Haiku 3, 1 Jamba, 1 made-up geography
    main_py = next(r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                   == "app/main.py")
    assert main_py["ruleId"] == "bedrock-model-extended-access" and main_py["level"] == "warning"
    assert "anthropic.claude-haiku-4-5-20251001-v1:0" in main_py["message"]["text"]  # the replacement
    assert main_py["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert main_py["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1, "startColumn": 10, "endLine": 1, "endColumn": 10 + len(HAIKU3)}
    jamba = next(r for r in results if r["ruleId"] == "bedrock-model-eol")
    assert jamba["level"] == "error" and "ai21.jamba-1-5-mini-v1:0" in jamba["message"]["text"]
    bad = next(r for r in results if r["ruleId"] == "bedrock-model-unknown")
    assert "'ap.' is not a cross-region inference profile geography" in bad["message"]["text"]
    code, out, _ = run(capsys, "scan", ".", "--region", "us-east-1", "--at", "2026-08-01", "--format", "sarif",
                       "--all")
    assert len(json.loads(out)["runs"][0]["results"]) == len(TREE_FILES) + 1


def test_sarif_validates_against_the_schema_shape_with_jsonschema(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    # The SARIF 2.1.0 schema's "required" lists for the objects written here.
    schema = {
        "type": "object", "required": ["version", "runs"],
        "properties": {"version": {"const": "2.1.0"}, "runs": {"type": "array", "items": {
            "type": "object", "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"], "properties": {"rules": {"type": "array", "items": {
                        "type": "object", "required": ["id"]}}}}}},
                "results": {"type": "array", "items": {"type": "object", "required": ["message"], "properties": {
                    "message": {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}]},
                    "level": {"enum": ["none", "note", "warning", "error"]},
                    "locations": {"type": "array", "items": {"type": "object", "properties": {
                        "physicalLocation": {"type": "object", "anyOf": [
                            {"required": ["artifactLocation"]}, {"required": ["address"]}],
                            "properties": {"region": {"type": "object", "properties": {
                                "startLine": {"type": "integer", "minimum": 1},
                                "startColumn": {"type": "integer", "minimum": 1}}}}}}}}}}},
                "invocations": {"type": "array", "items": {"type": "object", "required": ["executionSuccessful"]}},
            }}}},
    }
    f = tmp_path / "a.py"
    f.write_text(f'M = "{JAMBA}"\n')
    code, out, _ = run(capsys, "scan", str(f), "--at", "2026-08-01", "--format", "sarif")
    assert code == 1
    jsonschema.validate(json.loads(out), schema)


def test_github_annotations(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(f'A = "{HAIKU3}"\nB = "{JAMBA}"\nC = "{SONNET46}"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "scan", "app", "--region", "us-east-1", "--at", "2026-08-01", "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("::warning file=app/main.py,line=1,col=6,endColumn=44,"
                               "title=Bedrock model in extended access::")
    assert "anthropic.claude-haiku-4-5-20251001-v1:0" in lines[0]
    assert lines[1].startswith("::error file=app/main.py,line=2,col=6,")
    assert not any(SONNET46 in x for x in lines[:-1])  # active: only with --all
    assert "%3A" not in lines[0].split("::")[1].split("title=")[0]  # nothing to escape in this path
    out_all = run(capsys, "scan", "app", "--at", "2026-08-01", "--format", "github", "--all")[1]
    assert any(x.startswith("::notice file=app/main.py,line=3") for x in out_all.splitlines())


# --------------------------------------------------------------------------- notebooks in the CLI (part 5)


def test_notebook_findings_in_json_and_sarif(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {},
                     "outputs": [{"name": "stdout", "output_type": "stream", "text": [f"{JAMBA}\n"]}],
                     "source": ["import boto3\n", f'm = "{HAIKU3}"']}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "demo.ipynb").write_text(json.dumps(nb, indent=1) + "\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "scan", ".", "--at", "2026-08-01", "--region", "us-east-1", "--json")
    d = json.loads(out)
    assert [(f["model_id"], f["cell"], f["cell_type"], f["line"], f["column"], f["output"]) for f in d["findings"]] == [
        (HAIKU3, 1, "code", 2, 6, None)]
    code, out, _ = run(capsys, "scan", ".", "--at", "2026-08-01", "--region", "us-east-1", "--json",
                       "--include-outputs")
    assert [(f["model_id"], f["output"]) for f in json.loads(out)["findings"]] == [(HAIKU3, None), (JAMBA, 1)]
    code, out, _ = run(capsys, "scan", ".", "--at", "2026-08-01", "--region", "us-east-1", "--format", "sarif")
    assert code == 1
    res = json.loads(out)["runs"][0]["results"][0]
    raw_lines = (tmp_path / "demo.ipynb").read_text().splitlines()
    region = res["locations"][0]["physicalLocation"]["region"]
    line = raw_lines[region["startLine"] - 1]
    assert line[region["startColumn"] - 1:].startswith(HAIKU3)  # the position in the .ipynb file itself
    assert res["properties"]["notebookCell"] == 1 and res["properties"]["lineInCell"] == 2
    finding = json.loads(run(capsys, "scan", ".", "--at", "2026-08-01", "--json")[1])["findings"][0]
    assert (finding["file_line"], finding["file_column"]) == (region["startLine"], region["startColumn"])
    text = run(capsys, "scan", ".", "--at", "2026-08-01", "--region", "us-east-1")[1]
    assert "cell 1 (code) 2:6" in text


# --------------------------------------------------------------------------- false OK matrix (part 11, scan)


@pytest.mark.parametrize(
    ("content", "extra", "code", "cause"),
    [
        (f'M = "{JAMBA}"\n', [], 1, "eol"),
        (f'M = "{HAIKU3}"\n', ["--region", "us-east1"], 2, "did you mean 'us-east-1'"),
        (f'M = "ap.{SONNET46}"\n', [], 1, "'ap.' is not a cross-region inference profile geography"),
        (f'M = "custom.{HAIKU3}"\n', [], 1, "'custom.' is not a cross-region inference profile geography"),
        ('M = "amer.amazon.nova-pro-v1:0"\n', [], 1, "'amer.' is not a cross-region inference profile geography"),
        (f'M = "{SONNET45}"\n', ["--within", "365"], 1, "EOL within 365 days"),
        (f'M = "arn:aws:bedrock:us-east-1::foundation-model/{JAMBA}"\n', [], 1, "eol"),
        ('M = "cohere.embed-english-v3:0:512"\nN = "ai21.jamba-instruct-v1:0"\n', [], 1, "eol"),
    ],
)
def test_inputs_that_must_fail_never_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
                                          extra: list[str], code: int, cause: str) -> None:
    f = tmp_path / "main.py"
    f.write_text(content)
    got, out, err = run(capsys, "scan", str(f), "--at", "2026-08-01", *extra)
    assert got == code
    assert cause in " ".join((out + err).split())


def test_unreadable_file_must_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "main.py"
    f.write_text(f'M = "{JAMBA}"\n')
    unreadable(monkeypatch, f)
    code, out, err = run(capsys, "scan", str(f))
    assert code == 2 and "Permission denied" in err and "could not be read" in out


# --------------------------------------------------------------------------- helpers and packaging


@pytest.mark.parametrize(
    ("aws", "suggested", "width", "text"),
    [
        (("ai21.jamba-1-5-mini-v1:0",), (), None, "ai21.jamba-1-5-mini-v1:0"),
        (("a.b-1", "c.d-2"), ("x.y-3",), None, "a.b-1, c.d-2"),  # AWS's own wins
        ((), ("anthropic.claude-haiku-4-5-20251001-v1:0",), None, "anthropic.claude-haiku-4-5-20251001-v1:0 (suggested)"),
        ((), ("anthropic.claude-haiku-4-5-20251001-v1:0",), 39, "anthropic.claude-haiku-4-5… (suggested)"),
        ((), (), None, "-"),
        (("anthropic.claude-sonnet-4-6",), (), 12, "anthropic.c…"),
    ],
)
def test_replacement_text(aws: tuple[str, ...], suggested: tuple[str, ...], width: int | None, text: str) -> None:
    got = replacement_text(aws, suggested, width)
    assert got == text
    assert width is None or len(got) <= width


def test_pre_commit_hook_definition() -> None:
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list) and hooks
    for h in hooks:
        assert {"id", "name", "entry", "language"} <= set(h)
        assert h["entry"].split()[:2] == ["bedrock-lifecycle", "scan"]
        # The arguments parse with the real parser.
        from bedrock_lifecycle.cli import build_parser

        build_parser().parse_args([*h["entry"].split()[1:], *h.get("args", []), "x.py"])


def test_cli_loads_without_importing_the_registry() -> None:
    # The handler imports the registry: `bedrock-lifecycle --help` must not need it.
    code = ("import sys, bedrock_lifecycle.cli.scan_cmd, bedrock_lifecycle.toolkit.scan; "
            "print(any('registry' in m for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}).stdout
    assert out.strip() == "False"


def test_lookup_and_list_show_the_suggested_replacement(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "lookup", HAIKU3, "--region", "us-east-1", "--at", "2026-08-01")
    assert code == 0
    assert "replacements:    anthropic.claude-haiku-4-5-20251001-v1:0 (suggested)" in out
    code, out, _ = run(capsys, "lookup", JAMBA, "--at", "2026-08-01")
    assert "ai21.jamba-1-5-mini-v1:0, ai21.jamba-1-5-large-v1:0" in out and "(suggested)" not in out
    code, out, _ = run(capsys, "list", "--region", "us-east-1", "--at", "2026-08-01")
    row = next(x for x in out.splitlines() if x.startswith(HAIKU3 + " "))
    assert "anthropic.claude-haiku-4-5-20251001-v1:0 (suggested)" in row


@pytest.mark.parametrize(
    ("at", "expected"),
    [("2026-09-10", "reaches end of life today (2026-09-10) in us-east-1"),
     ("2026-09-11", "is past end of life in us-east-1 since 2026-09-10 (1 day ago)"),
     ("2026-09-09", "reaches end of life on 2026-09-10 (in 1 day)"),
     ("2026-08-01", "is in extended access in us-east-1; it reaches end of life on 2026-09-10 (in 40 days)")],
)
def test_messages_say_when(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                           at: str, expected: str) -> None:
    (tmp_path / "a.py").write_text(f'M = "{HAIKU3}"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "scan", "a.py", "--region", "us-east-1", "--at", at, "--format", "github")
    assert code == 1 and expected in out.splitlines()[0]
    assert "Suggested replacement (not named by AWS): anthropic.claude-haiku-4-5-20251001-v1:0." in out


def test_lookup_refuses_a_made_up_geography(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "lookup", f"ap.{SONNET46}")
    assert code == 2 and out == ""
    assert "'ap.' is not a cross-region inference profile geography" in err and "did you mean 'apac.'" in err


def test_reported_dates_are_shown_and_fail_only_when_trusted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """deepseek.r1-v1:0's Legacy status and EOL date come from third-party notes only
    (confidence "reported" in the bundled data): shown, marked, and not failing unless
    --trust reported, the rule check and the client follow."""
    f = tmp_path / "app.py"
    f.write_text('M = "deepseek.r1-v1:0"\n')
    base = ["scan", str(f), "--region", "us-east-1", "--at", "2026-12-01"]
    code, out, _ = run(capsys, *base)
    assert code == 0, out
    flat = " ".join(out.split())
    assert "legacy" in out and "reported by third parties, not confirmed by AWS" in flat
    assert "--trust reported to fail on it" in flat
    code, out, _ = run(capsys, *base, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["totals"]["trust"] == "confirmed"
    assert doc["findings"][0]["confidence"] == "reported" and doc["findings"][0]["failing"] is False
    assert doc["summary"][0]["confidence"] == "reported"
    code, out, _ = run(capsys, *base, "--trust", "reported", "--json")
    assert code == 1 and json.loads(out)["findings"][0]["failing"] is True
    # past its reported EOL: still not failing by default, failing when trusted
    assert run(capsys, "scan", str(f), "--region", "us-east-1", "--at", "2027-04-02")[0] == 0
    assert run(capsys, "scan", str(f), "--region", "us-east-1", "--at", "2027-04-02", "--trust", "reported")[0] == 1
    # a confirmed Legacy model fails whatever --trust says
    g = tmp_path / "b.py"
    g.write_text(f'M = "{HAIKU3}"\n')
    code, out, _ = run(capsys, "scan", str(g), "--region", "us-east-1", "--at", "2026-08-01", "--json")
    assert code == 1 and json.loads(out)["findings"][0]["confidence"] == "confirmed"
    code, _, err = run(capsys, *base, "--trust", "maybe")
    assert code == 2 and "--trust" in err and "maybe" in err
