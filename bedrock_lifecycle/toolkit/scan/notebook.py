"""Jupyter notebooks (``.ipynb``) read as notebooks, not as raw JSON.

A finding in a notebook reports the cell (1-based, in notebook order), the line and column
within that cell, and the cell type. Cell outputs are skipped unless asked for: they repeat
what the code printed (a third of one public repository's findings were in outputs), and
they are not what a migration edits. An output is read in one representation only
(``text/plain`` before other text types, so an HTML copy of the same table is not counted
twice); images are never read.

Each finding also carries the line and column in the ``.ipynb`` file itself
(``file_line``/``file_column``), which is where editors, GitHub annotations and code
scanning point. They are found by locating each JSON-encoded source string in the file;
when that fails (an unusual writer), they are None and the cell location stands alone.

A file that does not parse as an nbformat 4 notebook is scanned as plain text, with a note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bedrock_lifecycle.toolkit.scan.match import scan_text


@dataclass(frozen=True)
class NotebookHit:
    cell: int  # 1-based
    cell_type: str
    line: int  # 1-based, within the cell (or within the output)
    column: int  # 1-based, in characters
    model_id: str
    output: int | None = None  # 1-based output number when the hit is in a cell output
    file_line: int | None = None
    file_column: int | None = None


class NotNotebook(ValueError):
    """The data is not an nbformat 4 notebook (the message says why)."""


def _chunks(value: Any) -> list[str] | None:
    """A notebook multi-line string: a list of strings or one string."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _output_parts(out: Any) -> list[list[str]]:
    """The texts of one output, each as its chunks: the stream text, the one chosen data
    representation, or each traceback entry (entries are lines without a newline)."""
    if not isinstance(out, dict):
        return []
    if "text" in out:  # stream
        found = _chunks(out["text"])
        return [found] if found else []
    data = out.get("data")
    if isinstance(data, dict):
        kinds = sorted(k for k in data if isinstance(k, str) and (k.startswith("text/") or k.endswith("json")))
        kinds.sort(key=lambda k: k != "text/plain")
        for k in kinds:
            v = data[k]
            found = _chunks(v)
            if found is None and isinstance(v, (dict, list)):
                found = [json.dumps(v)]  # application/json: its text, on one line
            if found:
                return [found]
    tb = out.get("traceback")
    if isinstance(tb, list):
        return [[entry] for entry in tb if isinstance(entry, str)]
    return []


class _Locator:
    """Finds where JSON-encoded strings sit in the raw file, moving forward only."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.cursor = 0

    def seek(self, key: str) -> None:
        i = self.raw.find(f'"{key}"', self.cursor)
        if i >= 0:
            self.cursor = i

    def place(self, chunks: list[str]) -> list[tuple[int, bool] | None]:
        """For each chunk, (offset of its opening quote, ensure_ascii used) or None."""
        out: list[tuple[int, bool] | None] = []
        for c in chunks:
            hit: tuple[int, bool] | None = None
            for ascii_only in (False, True):
                enc = json.dumps(c, ensure_ascii=ascii_only)
                i = self.raw.find(enc, self.cursor)
                if i >= 0:
                    hit = (i, ascii_only)
                    self.cursor = i + len(enc)
                    break
            out.append(hit)
        return out

    def position(self, chunk: str, placed: tuple[int, bool], offset: int) -> tuple[int, int]:
        """(line, column) in the raw file of character ``offset`` of ``chunk``."""
        start, ascii_only = placed
        pos = start + 1 + len(json.dumps(chunk[:offset], ensure_ascii=ascii_only)) - 2
        line = self.raw.count("\n", 0, pos) + 1
        return line, pos - (self.raw.rfind("\n", 0, pos) + 1) + 1


def _hits_in(chunks: list[str], loc: _Locator) -> list[tuple[int, int, str, int | None, int | None]]:
    text = "".join(chunks)
    hits = scan_text(text)
    if not hits:
        return []
    placed = loc.place(chunks)  # only where there is something to point at
    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)
    bounds = []
    acc = 0
    for c in chunks:
        bounds.append(acc)
        acc += len(c)
    out = []
    for line, col, mid in hits:
        off = line_starts[line - 1] + col - 1
        k = max(i for i, b in enumerate(bounds) if b <= off)
        fl = fc = None
        p = placed[k]
        if p is not None:
            fl, fc = loc.position(chunks[k], p, off - bounds[k])
        out.append((line, col, mid, fl, fc))
    return out


def scan_notebook(data: bytes, *, include_outputs: bool = False) -> list[NotebookHit]:
    """Findings in the notebook ``data``; raises :class:`NotNotebook` when it is not one."""
    try:
        nb = json.loads(data)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise NotNotebook(f"not valid JSON ({exc})") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        why = "nbformat 3 (worksheets)" if isinstance(nb, dict) and "worksheets" in nb else "no 'cells' list"
        raise NotNotebook(f"not an nbformat 4 notebook: {why}")
    loc = _Locator(data.decode("utf-8", "replace"))
    hits: list[NotebookHit] = []
    for n, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise NotNotebook(f"cell {n} is not an object")
        cell_type = str(cell.get("cell_type", "?"))
        source = _chunks(cell.get("source", ""))
        if source is None:
            raise NotNotebook(f"cell {n}: 'source' is not text")
        outputs = cell.get("outputs") if include_outputs else None
        if isinstance(outputs, list):  # nbformat writes keys sorted: outputs before source
            loc.seek("outputs")
            for k, out in enumerate(outputs, 1):
                first = 0  # line offset of this part within the output
                for chunks in _output_parts(out):
                    for line, col, mid, fl, fc in _hits_in(chunks, loc):
                        hits.append(NotebookHit(n, cell_type, first + line, col, mid, k, fl, fc))
                    first += "".join(chunks).count("\n") + 1
        loc.seek("source")
        for line, col, mid, fl, fc in _hits_in(source, loc):
            hits.append(NotebookHit(n, cell_type, line, col, mid, None, fl, fc))
    hits.sort(key=lambda h: (h.cell, h.output is not None, h.output or 0, h.line, h.column))
    return hits


__all__ = ["NotNotebook", "NotebookHit", "scan_notebook"]
