"""``status``, ``check``, ``resolve``: the configuration as the CLI sees it (real registry data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bedrock_lifecycle.cli import main
from tests.helpers import config_file_env
from tests.helpers import run_cli as run

SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # Legacy 2026-10-08, EOL 2027-04-08 (S3)
SONNET_46 = "anthropic.claude-sonnet-4-6"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"  # EOL 2026-09-10 in us-east-1

CONFIG = f"""
[aliases.chat]
targets = [{{ model = "{SONNET_45}", weight = 90 }}, {{ model = "{SONNET_46}", weight = 10 }}]
fallbacks = ["anthropic.claude-haiku-4-5-20251001-v1:0"]

[[aliases.chat.ramp]]
at = "2026-12-01"
weights = [50, 50]

[[aliases.chat.ramp]]
at = "2026-12-15T09:00:00Z"
weights = [0, 100]
"""


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cfg: Path = config_file_env(tmp_path, monkeypatch, CONFIG)
    return cfg


def test_status_json_lists_targets_weights_and_lifecycle(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", "--at", "2026-11-25", "--json")
    assert code == 0
    data = json.loads(out)
    chat = data["aliases"][0]
    assert chat["alias"] == "chat"
    rows = {t["model_id"]: t for t in chat["targets"]}
    assert rows[SONNET_45]["state"] == "legacy" and rows[SONNET_45]["share"] == 0.9
    assert rows[SONNET_45]["eol_date"].startswith("2027-04-08")
    assert rows[SONNET_46]["state"] == "active" and rows[SONNET_46]["share"] == 0.1
    assert rows["anthropic.claude-haiku-4-5-20251001-v1:0"]["role"] == "fallback"


def test_status_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", "--at", "2026-11-25")
    assert code == 0
    assert "ALIAS" in out and SONNET_45 in out and "legacy" in out and "90%" in out


def test_check_fails_on_a_legacy_target_and_passes_after_the_ramp(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--at", "2026-11-25")
    assert code == 1 and SONNET_45 in out and "legacy" in out
    # After the last ramp step the Legacy target has weight 0, but a rollback or a new ramp
    # step can send to it again: it still counts until it is removed from the configuration.
    code, out, _ = run(capsys, "check", "--at", "2026-12-16")
    assert code == 1 and SONNET_45 in out and "target (weight 0)" in out


def test_check_within_days(capsys: pytest.CaptureFixture[str], env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_LIFECYCLE_ALIAS_CHAT", SONNET_46)  # env replaces the file's targets
    env.write_text(f'[aliases.chat]\ntargets = ["{SONNET_46}"]\n')
    code, _, _ = run(capsys, "check", "--at", "2026-11-25")
    assert code == 0
    monkeypatch.setenv("BEDROCK_LIFECYCLE_ALIAS_CHAT", SONNET_45)
    code, out, _ = run(capsys, "check", "--at", "2026-09-01", "--within", "365", "--json")
    data = json.loads(out)
    assert code == 1 and not data["ok"]
    assert data["problems"][0]["model_id"] == SONNET_45


def test_resolve_shows_weights_in_force_at_an_instant(capsys: pytest.CaptureFixture[str]) -> None:
    for when, expected in (("2026-11-25", [90, 10]), ("2026-12-01", [50, 50]), ("2026-12-20", [0, 100])):
        code, out, _ = run(capsys, "resolve", "chat", "--at", when, "--json", "--key", "user-1")
        assert code == 0
        data = json.loads(out)
        assert [data["weights"][SONNET_45], data["weights"][SONNET_46]] == expected
    assert data["outcome"] == {"action": "send", "model": SONNET_46}  # weight 0 targets are never chosen
    assert (data["order"][0]["model"], data["order"][0]["role"]) == (SONNET_46, "primary")
    assert SONNET_45 not in [o["model"] for o in data["order"]]


def test_resolve_follows_the_library_clock(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_LIFECYCLE_NOW", "2026-12-02")
    _, out, _ = run(capsys, "resolve", "chat", "--json")
    assert json.loads(out)["weights"][SONNET_46] == 50


def test_resolve_is_sticky_for_a_key(capsys: pytest.CaptureFixture[str]) -> None:
    picks = set()
    for _ in range(5):
        _, out, _ = run(capsys, "resolve", "chat", "--at", "2026-12-01", "--key", "tenant-7", "--json")
        picks.add(json.loads(out)["outcome"]["model"])
    assert len(picks) == 1


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["resolve", "nope"], "'nope'"),
        (["status", "--at", "yesterday"], "--at"),
        (["check", "--within", "-3"], "--within"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    _, err = capsys.readouterr()
    assert code == 2
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_config_is_reported_with_its_source(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_LIFECYCLE_ON_EOL", "explode")
    code, _, err = run(capsys, "status")
    assert code == 2 and "BEDROCK_LIFECYCLE_ON_EOL" in err and "explode" in err
