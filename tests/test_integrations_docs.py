"""docs/integrations.md and the AppConfig part of docs/fleet.md are code: their examples parse,
the configuration example validates, and the self-contained recipes run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bedrock_lifecycle.config import load_config

DOCS = Path(__file__).resolve().parents[1] / "docs"


def blocks(name: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", (DOCS / name).read_text(), re.S | re.M)


@pytest.mark.parametrize("name", ["integrations.md", "quickstart.md", "fleet.md"])
def test_python_examples_compile(name: str) -> None:
    found = blocks(name, "python")
    assert found or name == "fleet.md"
    for i, code in enumerate(found):
        compile(code, f"{name}[python {i}]", "exec")


def test_the_appconfig_document_is_a_valid_configuration() -> None:
    [document] = [json.loads(b) for b in blocks("fleet.md", "json") if "Canary" not in b and "aliases" in b]
    cfg = load_config(document, environ={})
    assert [t.weight for t in cfg.aliases["chat"].targets] == [90, 10]


def test_the_install_and_testing_recipes_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("BEDROCK_LIFECYCLE_CONFIG", raising=False)
    code = blocks("integrations.md", "python")
    runnable = [c for c in code if "uninstall(session)" in c or "LocalBedrock()" in c]
    assert len(runnable) == 2
    for snippet in runnable:
        exec(compile(snippet, "integrations.md", "exec"), {})
