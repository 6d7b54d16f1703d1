#!/usr/bin/env python3
"""Project set-up in one file: ``python3 dev.py demo`` and ``python3 dev.py test``.

Both create ``.venv`` on first use and install the package with its dev extra, so a
fresh machine with only Python 3 needs nothing else.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
COMPILED_BUILD = ROOT / "build" / "compiled"


def _run(*cmd: str | os.PathLike[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> int:
    shown = "".join(f"{k}={v} " for k, v in (env or {}).items())
    where = "" if cwd == ROOT else f"(cd {cwd}) "
    print(f"+ {where}{shown}{' '.join(str(c) for c in cmd)}", flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=cwd, env={**os.environ, **env} if env else None)


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
        [str(PY), "-m", "ruff", "check", "bedrock_lifecycle", "tests", "bench", "tools", "dev.py", "setup.py"],
        [str(PY), "-m", "mypy"],
        [str(PY), "-m", "pytest", *args],
    ]
    for step in steps:
        rc = _run(*step)
        if rc != 0:
            print(f"FAILED: {' '.join(step[1:4])} (exit {rc})", file=sys.stderr)
            return rc
    return test_compiled(args)


def c_compiler() -> str | None:
    """Why the compiled build cannot be made here, or None when it can (a C compiler and
    Python's headers)."""
    cc = shlex.split(sysconfig.get_config_var("CC") or "cc")[:1]
    if os.name == "nt" or not cc or shutil.which(cc[0]) is None:
        return f"no C compiler ({' '.join(cc) or 'CC unset'}) on PATH"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return f"no Python headers in {sysconfig.get_paths()['include']}"
    return None


def test_compiled(args: list[str]) -> int:
    """The same suite against the compiled build (setup.py): a wheel built as a release's
    would be, unpacked into a copy of the tree (build/compiled/tree) whose package it
    replaces, and the suite run there."""
    missing = c_compiler()
    if missing is not None:
        print(f"SKIPPED: the compiled build's run of the suite: {missing}", file=sys.stderr)
        return 0
    shutil.rmtree(COMPILED_BUILD, ignore_errors=True)
    dist, tree = COMPILED_BUILD / "dist", COMPILED_BUILD / "tree"
    rc = _run(PY, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, ".", env={"BEDROCK_LIFECYCLE_COMPILE": "1"})
    if rc != 0:
        print(f"FAILED: the compiled build (exit {rc})", file=sys.stderr)
        return rc
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "bedrock_lifecycle"))
    for wheel in dist.glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:  # the package only: the editable install's metadata stays the one
            zf.extractall(tree, [n for n in zf.namelist() if ".dist-info/" not in n])
    if (ROOT.parent / "shared").is_dir():  # the tests that read ../shared find it beside the copy too
        (COMPILED_BUILD / "shared").symlink_to(ROOT.parent / "shared", target_is_directory=True)
    rc = _run(PY, "-m", "pytest", *args, env={"BL_EXPECT_COMPILED": "1"}, cwd=tree)
    if rc != 0:
        print(f"FAILED: pytest against the compiled build (exit {rc})", file=sys.stderr)
    return rc


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
    if cmd == "test-compiled":
        ensure_venv()
        return test_compiled(rest)
    print("usage: python3 dev.py demo | test [pytest args] | test-compiled [pytest args] | bench [name]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
