#!/usr/bin/env python3
"""Project set-up in one file: ``python3 dev.py demo`` and ``python3 dev.py test``.

Both create ``.venv`` on first use and install the package with its dev extra, so a
fresh machine with only Python 3 needs nothing else.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def _run(*cmd: str | os.PathLike[str]) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def ensure_venv() -> None:
    """Create the venv and (re)install when pyproject.toml changed since the last install."""
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text() == want:
        return
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    for args, what in (
        (["install", "-q", "--upgrade", "pip"], "upgrading pip"),
        (["install", "-q", "-e", ".[dev]"], "installing the package with its dev extra"),
    ):
        print(f"{what} ...", flush=True)
        # Quiet on success (setuptools' notices are noise); everything on failure.
        done = subprocess.run([str(PY), "-m", "pip", *args], cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            sys.exit(f"{what} failed (exit {done.returncode})")
    STAMP.write_text(want)


def test(args: list[str]) -> int:
    ensure_venv()
    steps = [
        [str(PY), "-m", "ruff", "check", "bedrock_lifecycle", "tests", "bench", "tools", "dev.py"],
        [str(PY), "-m", "mypy"],
        [str(PY), "-m", "pytest", *args],
    ]
    for step in steps:
        rc = _run(*step)
        if rc != 0:
            print(f"FAILED: {' '.join(step[1:4])} (exit {rc})", file=sys.stderr)
            return rc
    return 0


def demo(args: list[str]) -> int:
    ensure_venv()
    return _run(PY, "-m", "bedrock_lifecycle", "demo", *args)


def main() -> int:
    cmd, *rest = sys.argv[1:] or ["help"]
    if cmd == "test":
        return test(rest)
    if cmd == "demo":
        return demo(rest)
    if cmd == "bench":
        ensure_venv()
        return _run(PY, "-m", "bench", *rest)
    print("usage: python3 dev.py demo | test [pytest args] | bench [name]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
