"""Notebooks read as notebooks: cell, line within the cell, cell type; outputs on request; fallback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.toolkit.scan import scan_one
from bedrock_lifecycle.toolkit.scan.notebook import NotNotebook, scan_notebook
from tests.test_scan import HAIKU3, JAMBA, SONNET46


def notebook(*cells: dict[str, Any]) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4,
            "nbformat_minor": 5}


def code(source: list[str] | str, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": 1, "id": "x", "metadata": {}, "outputs": outputs or [],
            "source": source}


def md(source: list[str] | str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": "y", "metadata": {}, "source": source}


def write(path: Path, nb: dict[str, Any], *, ascii_only: bool = False) -> Path:
    # The way Jupyter writes: indent 1, keys sorted, non-ASCII kept.
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=ascii_only) + "\n", encoding="utf-8")
    return path


def raw_at(path: Path, line: int | None, col: int | None) -> str:
    assert line is not None and col is not None
    return path.read_text(encoding="utf-8").split("\n")[line - 1][col - 1 :]  # lines end at "\n" only


def test_cells_lines_and_types(tmp_path: Path) -> None:
    nb = notebook(
        md(["# Models\n", "\n", f"We use `{HAIKU3}` — for now.\n"]),
        code(["import boto3\n", "client = boto3.client('bedrock-runtime')\n", f'MODEL = "us.{SONNET46}"\n']),
        {"cell_type": "raw", "metadata": {}, "source": f"{JAMBA}"},
    )
    f = write(tmp_path / "nb.ipynb", nb)
    res = scan_one(str(f))
    assert res.status == "scanned" and res.note == ""
    got = [(x.cell, x.cell_type, x.line, x.column, x.model_id, x.output) for x in res.findings]
    assert got == [(1, "markdown", 3, 9, HAIKU3, None), (2, "code", 3, 10, f"us.{SONNET46}", None),
                   (3, "raw", 1, 1, JAMBA, None)]
    for x in res.findings:  # and where each sits in the .ipynb file itself
        assert raw_at(f, x.file_line, x.file_column).startswith(x.model_id)
    assert res.findings[0].location == f"{f} cell 1 3:9"


def test_outputs_skipped_unless_asked(tmp_path: Path) -> None:
    outputs = [
        {"name": "stdout", "output_type": "stream", "text": ["calling\n", f"\x1b[32m{HAIKU3}\x1b[0m done\n"]},
        {"data": {"text/html": [f"<b>{JAMBA}</b>"], "text/plain": [f"'{JAMBA}'"]}, "execution_count": 1,
         "metadata": {}, "output_type": "execute_result"},
        {"data": {"image/png": "iVBORw0KGgo=" + HAIKU3}, "metadata": {}, "output_type": "display_data"},
        {"ename": "ValidationException", "evalue": "x", "output_type": "error",
         "traceback": ["\x1b[0;31mValidationException\x1b[0m", f"model {SONNET46} not found"]},
    ]
    f = write(tmp_path / "nb.ipynb", notebook(code([f'm = "{SONNET46}"'], outputs)))
    assert [x.model_id for x in scan_one(str(f)).findings] == [SONNET46]
    found = scan_one(str(f), include_outputs=True).findings
    assert [(x.model_id, x.output, x.line, x.column) for x in found] == [
        (SONNET46, None, 1, 6), (HAIKU3, 1, 2, 6), (JAMBA, 2, 1, 2), (SONNET46, 4, 2, 7)]  # html not counted twice
    for x in found:
        assert raw_at(f, x.file_line, x.file_column).startswith(x.model_id)


@pytest.mark.parametrize(
    ("content", "why"),
    [(b"{not json " + HAIKU3.encode(), "not valid JSON"),
     (json.dumps({"worksheets": [{"cells": []}], "x": HAIKU3}).encode(), "nbformat 3"),
     (json.dumps([HAIKU3]).encode(), "no 'cells' list"),
     (json.dumps({"cells": [{"cell_type": "code", "source": 42}], "m": HAIKU3}).encode(), "'source' is not text")],
)
def test_malformed_notebook_falls_back_to_text_with_a_note(tmp_path: Path, content: bytes, why: str) -> None:
    f = tmp_path / "bad.ipynb"
    f.write_bytes(content)
    res = scan_one(str(f))
    assert res.status == "scanned" and [x.model_id for x in res.findings] == [HAIKU3]
    assert why in res.note and res.note.endswith("scanned as text")
    assert res.findings[0].cell is None
    with pytest.raises(NotNotebook):
        scan_notebook(content)


def test_single_string_sources_and_ascii_escaped_files(tmp_path: Path) -> None:
    nb = notebook(code(f"# café ☕\nx = 1\ny = '{HAIKU3}'  # \"quoted\"\tand tab\n"))
    for ascii_only in (False, True):
        f = write(tmp_path / f"nb{ascii_only}.ipynb", nb, ascii_only=ascii_only)
        (x,) = scan_one(str(f)).findings
        assert (x.cell, x.line, x.column) == (1, 3, 6)
        assert raw_at(f, x.file_line, x.file_column).startswith(HAIKU3)


text_line = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(st.lists(st.tuples(text_line, st.booleans(), text_line), min_size=1, max_size=4),
                      min_size=1, max_size=4),
       as_string=st.booleans())
def test_cell_positions_match_the_source_and_the_file(tmp_path_factory: pytest.TempPathFactory,
                                                      cells: list[list[tuple[str, bool, str]]], as_string: bool) -> None:
    built = []
    expected = []
    for n, lines in enumerate(cells, 1):
        src = []
        for i, (before, has_id, after) in enumerate(lines, 1):
            line = f"{before} '{HAIKU3}' {after}" if has_id else before + after
            src.append(line + "\n")
            if has_id:
                expected.append((n, i, len(before) + 3))
        built.append(code("".join(src) if as_string else src))
    f = write(tmp_path_factory.mktemp("nb") / "p.ipynb", notebook(*built))
    found = scan_one(str(f)).findings
    # Text drawn at random may itself contain an ID-like run; every expected hit is there.
    got = {(x.cell, x.line, x.column) for x in found if x.model_id == HAIKU3}
    assert set(expected) <= got
    for x in found:
        assert raw_at(f, x.file_line, x.file_column).startswith(x.model_id)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=120) | st.lists(st.sampled_from(["anthropic.", "claude-3-", "\x1b[1m", "us.", "é", "\\",
                                                              '"', "arn:aws:bedrock:", "-v1:0", "\n", " "]),
                                             max_size=20).map("".join),
       ascii_only=st.booleans())
def test_the_notebook_prefilter_never_hides_a_finding(text: str, ascii_only: bool) -> None:
    from bedrock_lifecycle.toolkit.scan.match import may_contain_ids, scan_text

    encoded = json.dumps({"cells": [{"cell_type": "code", "source": [text]}]}, ensure_ascii=ascii_only).encode()
    if scan_text(text):
        assert may_contain_ids(encoded)
