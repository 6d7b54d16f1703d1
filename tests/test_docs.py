"""Docs are code: every fenced block in README.md and docs/ is checked.

- TOML, JSON and YAML blocks parse; a block whose top-level keys are configuration keys is
  validated against the configuration schema. A block that is not a configuration (an
  output, a SARIF file, an IAM policy) says so with ``<!-- not-config: why -->`` on the
  line before it, and a deliberate fragment with ``<!-- fragment: why -->`` (parsed, not
  validated). A block the marker ``<!-- invalid: why -->`` precedes must fail validation.
- Python blocks compile; a block preceded by ``<!-- run -->`` runs in a fresh interpreter
  against the local Bedrock (no AWS account), and must exit 0.
- Every ``bedrock-lifecycle …`` command line in a shell block parses with the real
  argument parser.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bedrock_lifecycle.cli import build_parser
from bedrock_lifecycle.config import Config, load_config
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.testing import LocalBedrock

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```", re.M | re.S)
MARKER = re.compile(r"<!--\s*(not-config|fragment|invalid|run|skip)\s*(?::\s*(.*?))?\s*-->\s*$")
CONFIG_KEYS = set(Config.model_fields)


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    text: str
    marker: str | None

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks() -> Iterator[Block]:
    for path in DOCS:
        text = path.read_text()
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            marker = MARKER.search(before)
            yield Block(path, line, m.group(1).lower(), m.group(2), marker.group(1) if marker else None)


ALL = list(blocks())


def _ids(bs: list[Block]) -> list[str]:
    return [b.where for b in bs]


def _parse(b: Block) -> object:
    if b.lang == "toml":
        return tomllib.loads(b.text)
    if b.lang == "json":
        try:
            return json.loads(b.text)
        except ValueError:
            if b.marker != "not-config":
                raise
            return [json.loads(line) for line in b.text.splitlines() if line.strip()]  # JSON Lines
    import yaml  # type: ignore[import-untyped]

    return yaml.safe_load(b.text)


DATA = [b for b in ALL if b.lang in ("toml", "json", "yaml", "yml") and b.marker != "skip"]


@pytest.mark.parametrize("block", DATA, ids=_ids(DATA))
def test_data_blocks_parse_and_configurations_validate(block: Block) -> None:
    if block.lang in ("yaml", "yml"):
        pytest.importorskip("yaml")
    try:
        doc = _parse(block)
    except Exception as exc:
        pytest.fail(f"{block.where}: {block.lang} does not parse: {exc}")
    if block.marker in ("not-config", "fragment"):
        return
    is_config = isinstance(doc, dict) and doc and set(doc) <= CONFIG_KEYS
    if block.marker == "invalid":
        with pytest.raises(ConfigError):
            load_config(doc, environ={})
        return
    assert is_config, (
        f"{block.where}: a {block.lang} block that is not a configuration "
        f"(keys {sorted(doc) if isinstance(doc, dict) else type(doc).__name__}); "
        "mark it <!-- not-config: why --> or <!-- fragment: why -->")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            load_config(doc, environ={})
        except ConfigError as exc:
            pytest.fail(f"{block.where}: not a valid configuration: {exc}")


PY = [b for b in ALL if b.lang in ("python", "py") and b.marker != "skip"]


@pytest.mark.parametrize("block", PY, ids=_ids(PY))
def test_python_blocks_compile(block: Block) -> None:
    try:
        compile(block.text, block.where, "exec")
    except SyntaxError as exc:
        pytest.fail(f"{block.where}: {exc}")


RUN = [b for b in PY if b.marker == "run"]


@pytest.mark.parametrize("block", RUN, ids=_ids(RUN))
def test_runnable_python_blocks_run_against_the_local_bedrock(block: Block, local_bedrock: LocalBedrock,
                                                               tmp_path: Path) -> None:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("BEDROCK_LIFECYCLE_")}
    env.update(local_bedrock.env())
    env["BEDROCK_LIFECYCLE_ALIAS_CHAT"] = "amazon.nova-lite-v1:0"
    done = subprocess.run([sys.executable, "-c", block.text], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"{block.where} failed:\n{done.stderr[-2000:]}"


SHELL = [b for b in ALL if b.lang in ("sh", "bash", "shell", "console", "") and b.marker != "skip"]


def _strip_optional(line: str) -> str:
    """A synopsis line's ``[optional ...]`` groups (nested too) removed: the rest must parse."""
    while True:
        new = re.sub(r"\[[^\[\]]*\]", "", line)
        if new == line:
            return line
        line = new


def _commands(text: str) -> Iterator[list[str]]:
    joined = re.sub(r"\\\n\s*", " ", text)
    for raw in joined.splitlines():
        line = _strip_optional(raw.strip())
        if line.startswith("$ "):
            line = line[2:]
        line = re.split(r"\s+\d?[<>]", line)[0]  # redirections
        for part in re.split(r"\s*(?:&&|\|\||;|\|)\s*", line):
            try:
                words = shlex.split(part, comments=True)
            except ValueError:
                continue
            while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
                words = words[1:]  # VAR=value prefixes
            if words and words[0] == "bedrock-lifecycle" and not (len(words) > 1 and words[1].endswith(":")):
                yield words[1:]  # (``bedrock-lifecycle compare: ...`` is output, not a command)


SHELL_LINES = [(b, argv) for b in SHELL for argv in _commands(b.text)]


@pytest.mark.parametrize(("block", "argv"), SHELL_LINES, ids=[f"{b.where} {' '.join(a)[:40]}" for b, a in SHELL_LINES])
def test_every_command_line_parses(block: Block, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    try:
        parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code not in (0, None):  # --help and --version exit 0
            pytest.fail(f"{block.where}: `bedrock-lifecycle {' '.join(argv)}` does not parse: "
                        f"{capsys.readouterr().err.strip()}")


def test_the_docs_have_blocks_of_every_kind() -> None:
    assert len(DATA) > 20 and len(PY) > 10 and len(SHELL_LINES) > 30 and RUN
