"""``bedrock-lifecycle lookup | list | sync``: JSON schema, human output, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.lifecycle import sync
from tests.helpers import run_cli as run

STATUS_KEYS = {
    "model_id", "base_model_id", "region", "state", "legacy_date", "extended_access_date", "eol_date",
    "replacements", "days_to_eol", "source",
}
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    cache = tmp_path / "cache"
    monkeypatch.setenv(sync.ENV_CACHE_DIR, str(cache))
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "BEDROCK_LIFECYCLE_NOW"):
        monkeypatch.delenv(var, raising=False)
    sync._memo.clear()
    yield cache
    sync._memo.clear()


def run_exit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Like run, for argparse errors (SystemExit)."""
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def one_line_error(err: str) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err and "error" in err


def test_lookup_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "lookup", f"us.{HAIKU}", "--region", "us-east-1", "--at", "2026-08-01", "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert set(d) >= STATUS_KEYS
    assert d["model_id"] == f"us.{HAIKU}" and d["base_model_id"] == HAIKU and d["region"] == "us-east-1"
    assert d["state"] == "extended_access" and d["source"] == "bundled"
    assert d["legacy_date"] == "2026-03-10T00:00:00Z" and d["eol_date"] == "2026-09-10T00:00:00Z"
    assert d["days_to_eol"] == 40 and isinstance(d["replacements"], list)


def test_lookup_region_from_environment(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ca-central-1")
    _, out, _ = run(capsys, "lookup", HAIKU, "--at", "2026-08-01", "--json")
    assert json.loads(out)["region"] == "ca-central-1" and json.loads(out)["state"] == "unknown"
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    _, out, _ = run(capsys, "lookup", HAIKU, "--at", "2026-08-01", "--json")
    assert json.loads(out)["region"] == "us-west-2"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    _, out, _ = run(capsys, "lookup", HAIKU, "--at", "2026-08-01", "--json")
    d = json.loads(out)
    assert d["region"] is None and "no region given" in d["note"]


def test_lookup_human(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_LIFECYCLE_NOW", "2026-10-15")
    code, out, _ = run(capsys, "lookup", "anthropic.claude-3-5-sonnet-20240620-v1:0", "--region", "eu-central-2")
    assert code == 0
    assert "state:" in out and "eol (since 2026-06-01)" in out
    assert "anthropic.claude-sonnet-4-5-20250929-v1:0" in out and "days ago" in out


def test_lookup_map_and_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"
    _, out, _ = run(capsys, "lookup", app, "--at", "2026-09-11", "--json")
    d = json.loads(out)
    assert d["state"] == "unknown" and d["region"] == "us-east-1" and d["source"] == "none"
    _, out, _ = run(capsys, "lookup", app, "--map", f"{app}={HAIKU}", "--at", "2026-09-11", "--json")
    assert json.loads(out)["state"] == "eol"


@pytest.mark.parametrize(
    "argv",
    [
        ("lookup", "not a model"),
        ("lookup", "arn:aws:bedrock:us-east-1:123:widget/x"),
        ("lookup", HAIKU, "--map", "nonsense"),
        ("lookup", "arn:x", "--map", "arn:x=not a model"),
    ],
)
def test_lookup_bad_input(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    one_line_error(err)


@pytest.mark.parametrize(
    "argv",
    [
        ("lookup", HAIKU, "--at", "yesterday"),
        ("list", "--at", "2026-13-01"),
        ("list", "--state", "retired"),
        ("lookup",),
    ],
)
def test_argument_errors(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    code, out, err = run_exit(capsys, *argv)
    assert code == 2 and out == ""
    one_line_error(err)


def test_bad_clock_env(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_LIFECYCLE_NOW", "soon")
    code, _, err = run(capsys, "lookup", HAIKU)
    assert code == 2
    one_line_error(err)


def test_list_json_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--region", "us-east-1", "--at", "2026-10-15", "--state", "eol", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["region"] == "us-east-1" and d["at"] == "2026-10-15T00:00:00Z" and d["state"] == "eol"
    assert d["models"] and all(m["state"] == "eol" for m in d["models"])
    assert all(set(m) >= STATUS_KEYS for m in d["models"])
    assert HAIKU in {m["model_id"] for m in d["models"]}
    code, out, _ = run(capsys, "list", "--region", "us-east-1", "--at", "2026-10-15")
    header = out.splitlines()[0]
    for col in ("MODEL", "STATE", "LEGACY", "EXTENDED ACCESS", "EOL", "DAYS TO EOL", "REPLACEMENT", "SOURCE"):
        assert col in header
    assert any(line.startswith(HAIKU) for line in out.splitlines())


def test_corrupt_cache_warns_on_one_line(capsys: pytest.CaptureFixture[str], _env: Path) -> None:
    _env.mkdir(parents=True)
    (_env / sync.CACHE_FILENAME).write_text("{oops")
    code, out, err = run(capsys, "lookup", HAIKU, "--region", "us-east-1", "--at", "2026-01-01", "--json")
    assert code == 0 and json.loads(out)["state"] == "active"
    assert err.startswith("warning:") and err.count("\n") == 1


def test_sync_output_and_exit_codes(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, _env: Path) -> None:
    seen: list[list[str]] = []
    ok = sync.RegionResult("us-east-1", True, 120, 7, 9, synced_at="2026-09-26T12:00:00Z")
    bad = sync.RegionResult("eu-west-1", False, 0, 0, 0, "AccessDeniedException: no")

    def fake(regions: list[str], **kw: Any) -> sync.SyncReport:
        seen.append(list(regions))
        rs = [ok if r == "us-east-1" else bad for r in regions]
        return sync.SyncReport(tuple(rs), _env / sync.CACHE_FILENAME, any(r.ok for r in rs))

    monkeypatch.setattr(sync, "sync", fake)
    code, out, _ = run(capsys, "sync", "--region", "us-east-1", "--region", "eu-west-1", "--json")
    assert code == 0 and seen[-1] == ["us-east-1", "eu-west-1"]
    d = json.loads(out)
    assert [r["region"] for r in d["regions"]] == ["us-east-1", "eu-west-1"]
    assert d["regions"][0]["models"] == 120 and d["regions"][1]["error"].startswith("AccessDenied")
    code, out, err = run(capsys, "sync", "--region", "eu-west-1")
    assert code == 1 and "FAILED" in out and "every region failed" in err
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    code, out, _ = run(capsys, "sync")
    assert code == 0 and seen[-1] == ["us-east-1"] and "cache:" in out


def test_sync_needs_a_region(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sync")
    assert code == 2
    one_line_error(err)


def test_sync_all_failed_for_real(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # No credentials and an unreachable endpoint: every region fails, exit 1, no traceback.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, out, err = run(capsys, "sync", "--region", "us-east-1", "--json")
    assert code == 1 and "Traceback" not in err
    assert json.loads(out)["regions"][0]["ok"] is False
