"""CLI polish (issue 10, part 9): ``--version``; every command's ``--help`` has a description,
examples that parse with the real parser, and its exit codes; argument errors are one line
that names the option once; plural forms."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys

import pytest

from bedrock_lifecycle import __version__
from bedrock_lifecycle.cli import build_parser, main
from bedrock_lifecycle.cli._common import plural


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


COMMANDS = sorted(_subparsers())


def test_every_command_is_covered() -> None:
    assert {"lookup", "list", "sync", "scan", "status", "check", "resolve", "demo", "compare", "analyze",
            "preflight", "diff", "notices", "alarm"} <= set(COMMANDS)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"bedrock-lifecycle {__version__}"


def _help(name: str) -> str:
    return _subparsers()[name].format_help()


def _examples(text: str) -> list[list[str]]:
    block = text.split("\nexamples:\n", 1)[1].split("\n\n", 1)[0]
    out = []
    for line in block.splitlines():
        line = re.split(r"\s+\d?[<>|]", line.strip())[0]
        words = shlex.split(line)
        while words and "=" in words[0]:  # VAR=value prefixes
            words = words[1:]
        out.append(words)
    return out


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_a_description_examples_and_exit_codes(name: str) -> None:
    text = _help(name)
    parser = _subparsers()[name]
    assert parser.description and len(parser.description) > 40, name
    examples = _examples(text)
    assert 2 <= len(examples) <= 3, (name, examples)
    codes = text.split("\nexit codes:\n", 1)[1]
    listed = re.findall(r"^  (\d)  ", codes, flags=re.MULTILINE)
    assert "0" in listed, (name, codes)
    assert len(listed) >= 2 or name == "demo", (name, codes)  # the demo has no failure mode of its own
    assert listed == sorted(listed)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_help_example_parses_with_the_real_parser(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    for words in _examples(_help(name)):
        assert words[0] == "bedrock-lifecycle" and words[1] == name, words
        try:
            build_parser().parse_args(words[1:])
        except SystemExit as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{' '.join(words)}: {capsys.readouterr().err.strip()} (exit {exc.code})")


def test_help_fits_an_80_column_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for name in COMMANDS:
        sub = _subparsers()[name]
        head = (sub.description or "") + "\n" + (sub.epilog or "")
        wide = [line for line in head.splitlines() if len(line) > 80 and " " in line.strip()]
        # Only an unbreakable example (a long model ID or ARN) may be wider.
        assert all(line.startswith("  bedrock-lifecycle ") for line in wide), (name, wide)


@pytest.mark.parametrize(
    ("argv", "option"),
    [(["check", "--at", "2026-13-45"], "--at"), (["scan", ".", "--at", "soon"], "--at"),
     (["status", "--within", "-1"], "--within"), (["lookup", "x", "--region", "us-east1"], "--region"),
     (["sync", "--region", "eu-west1"], "--region"), (["preflight", "m", "--region", "x"], "--region"),
     (["compare", "--region", "useast1"], "--region"), (["status", "--region", "US-EAST-1"], "--region")],
)
def test_an_argument_error_is_one_line_naming_the_option_once(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.count(option) == 1, err
    assert "Traceback" not in err


def test_each_error_is_printed_once() -> None:
    env = {"PATH": "", "BEDROCK_LIFECYCLE_CONFIG": "/nonexistent/models.toml", "AWS_REGION": "us-east-1"}
    for argv in (["check"], ["status"], ["resolve", "chat"]):
        proc = subprocess.run([sys.executable, "-m", "bedrock_lifecycle", *argv], capture_output=True, text=True,
                              env=env, timeout=60, check=False)
        assert proc.returncode == 2, proc.stderr
        assert proc.stdout == "" and proc.stderr.count("\n") == 1, proc.stderr
        assert proc.stderr.count("/nonexistent/models.toml") == 1


def test_plural() -> None:
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert plural(1, "process", "processes") == "1 process" and plural(3, "process", "processes") == "3 processes"


def test_no_counted_noun_is_written_with_a_parenthesised_plural() -> None:
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "bedrock_lifecycle" / "cli"
    found = [f"{p.name}: {node.value!r}" for p in root.glob("*.py") for node in ast.walk(ast.parse(p.read_text()))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and re.search(r"[a-z]\((?:s|es)\)", node.value)]
    assert found == []
