"""setup.py's list of the modules the compiled build compiles, read without running setup.py
(for the tests and ``bench versions --compiled``)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compiled_paths(root: Path = ROOT) -> list[str]:
    """setup.py's ``COMPILED``: paths of modules, relative to ``root``."""
    setup_py = root / "setup.py"
    for node in ast.parse(setup_py.read_text("utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "COMPILED" for t in node.targets):
            paths: list[str] = ast.literal_eval(node.value)
            return paths
    raise LookupError(f"{setup_py} has no COMPILED list")
