"""``--at`` and ``--within`` mean the same in ``check``, ``status`` and ``scan`` (issue 10,
part 1), and the EOL day is worded "reaches end of life today" everywhere (part 9)."""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path

import pytest

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.errors import describe
from bedrock_lifecycle.lifecycle.eol import eol_phrase, eol_within
from bedrock_lifecycle.lifecycle.registry import Registry

SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # active until Legacy 2026-10-08; EOL 2027-04-08T00:00Z
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"  # EOL 2026-09-10T00:00Z in us-east-1
UTC = _dt.timezone.utc


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for k in list(os.environ):
        if k.startswith("BEDROCK_LIFECYCLE_") or k in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            monkeypatch.delenv(k)
    cfg = tmp_path / "models.toml"
    cfg.write_text(f'[aliases.chat]\ntargets = ["{SONNET_45}"]\n')
    (tmp_path / "app.py").write_text(f'MODEL = "{SONNET_45}"\n')
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(cfg))
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


# (at, within, fails): EOL is 2027-04-08T00:00Z; at 12:00 the 250th day ends at 12:00 on the EOL day.
# The old `check` rule (whole days, floored) failed at 249 too, where `scan` passed.
CASES = [
    ("2026-08-01T12:00:00Z", 250, True),
    ("2026-08-01T12:00:00Z", 249, False),
    ("2026-08-01", 250, True),  # exactly at + 250 days: "within" includes the last instant
    ("2026-08-01", 249, False),
    ("2026-07-31T23:59:59Z", 250, False),  # one second short
    ("2026-08-01", 0, False),  # 0: the state at --at alone
]


@pytest.mark.parametrize(("at", "within", "fails"), CASES)
def test_check_status_and_scan_agree_on_within(
    capsys: pytest.CaptureFixture[str], at: str, within: int, fails: bool
) -> None:
    code, out = _run(capsys, "check", "--region", "us-east-1", "--at", at, "--within", str(within), "--json")
    assert code == (1 if fails else 0), out
    if fails:
        assert "within --within" in json.loads(out)["problems"][0]["reason"]

    code, out = _run(capsys, "status", "--region", "us-east-1", "--at", at, "--within", str(within), "--json")
    assert code == 0  # informational
    row = json.loads(out)["aliases"][0]["targets"][0]
    assert row["eol_within"] is fails and (row["problem"] is not None) is fails

    code, out = _run(capsys, "scan", "app.py", "--region", "us-east-1", "--at", at, "--within", str(within), "--json")
    assert code == (1 if fails else 0)
    assert json.loads(out)["totals"]["failing"] == (1 if fails else 0)


def test_status_marks_rows_within_days_and_names_what_check_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "status", "--region", "us-east-1", "--at", "2026-08-01", "--within", "300")
    assert code == 0
    assert "250*" in out and "* reaches end of life within 300 days of 2026-08-01" in out
    assert "1 model would fail 'bedrock-lifecycle check':" in out
    assert f"chat: {SONNET_45} (target): reaches end of life on 2027-04-08 (in 250 days), within --within 300" in out
    code, out = _run(capsys, "status", "--region", "us-east-1", "--at", "2026-08-01")
    assert "*" not in out and "would fail" not in out


def test_status_names_a_retiring_model_without_within(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "status", "--region", "us-east-1", "--at", "2027-01-10")
    assert code == 0
    assert "would fail 'bedrock-lifecycle check'" in out and "extended_access" in out


def test_eol_within_is_one_rule() -> None:
    eol = _dt.datetime(2027, 4, 8, tzinfo=UTC)
    at = _dt.datetime(2026, 8, 1, 12, tzinfo=UTC)
    assert eol_within(eol, at, 250) and not eol_within(eol, at, 249)
    assert not eol_within(eol, at, 0) and not eol_within(None, at, 10_000)


# --------------------------------------------------------------------------- the EOL day


@pytest.mark.parametrize("hour", ["00:00:00", "00:00:01", "07:59:59", "08:00:00", "23:59:59"])
def test_on_the_eol_day_the_wording_says_today(hour: str, capsys: pytest.CaptureFixture[str]) -> None:
    at = f"2026-09-10T{hour}Z"
    status = Registry.default().lookup(HAIKU_3, "us-east-1", at)
    text = describe(status)
    assert text.startswith(f"{HAIKU_3} reaches end of life today (2026-09-10) in us-east-1."), text
    assert "0 days" not in text and "since 2026-09-10" not in text
    code, out = _run(capsys, "lookup", HAIKU_3, "--region", "us-east-1", "--at", at)
    assert code == 0 and "2026-09-10 (today)" in out


def test_the_days_around_the_eol_day() -> None:
    eol = _dt.datetime(2026, 9, 10, tzinfo=UTC)
    day = _dt.timedelta(days=1)
    assert eol_phrase(eol, eol - day) == "reaches end of life on 2026-09-10 (in 1 day)"
    assert eol_phrase(eol, eol - 2 * day) == "reaches end of life on 2026-09-10 (in 2 days)"
    assert eol_phrase(eol, eol + day) == "reached end of life on 2026-09-10 (1 day ago)"
    assert eol_phrase(eol, eol + 3 * day) == "reached end of life on 2026-09-10 (3 days ago)"
    reg = Registry.default()
    before = describe(reg.lookup(HAIKU_3, "us-east-1", "2026-09-09T23:00:00Z"))
    assert "end of life on 2026-09-10 (1 day left)" in before
    after = describe(reg.lookup(HAIKU_3, "us-east-1", "2026-09-11"))
    assert "is past its end-of-life date" in after and "end of life since 2026-09-10" in after


def test_check_on_the_eol_day(capsys: pytest.CaptureFixture[str], env: Path) -> None:
    (env / "models.toml").write_text(f'[aliases.chat]\ntargets = ["{HAIKU_3}"]\n')
    code, out = _run(capsys, "check", "--region", "us-east-1", "--at", "2026-09-10T12:00:00Z")
    assert code == 1
    assert "reaches end of life today (2026-09-10)" in out
