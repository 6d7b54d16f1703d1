"""The wrapper's own time, this tree against an earlier commit, in one process.

Two processes measured one after the other differ by 0.3-1 µs on a shared machine, more
than most changes to the call path. Here both versions are loaded side by side (the
earlier one as a copy of its package under another name, extracted with ``git archive``),
and their clients are called in turn: round-robin medians of own time (time in the client
minus time in botocore's ``_make_api_call``, the plain client's timer cost subtracted).

Run: ``python3 dev.py bench versions`` (against fefeb5b, the code before the one-call-flow
redesign) or ``python3 dev.py bench versions --base REV [--rounds N] [--compiled]``.
``--compiled`` adds this tree's compiled build (setup.py's modules, compiled with mypyc
as ``BEDROCK_LIFECYCLE_COMPILE=1`` does; needs a C compiler) as a third contestant.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import warnings
from pathlib import Path
from typing import Any

from bench.bench_client import (
    MESSAGES,
    MODEL,
    ROUTED,
    ROUTED_TOML,
    _raw,
    _stubbed,
    botocore_timer,
    own_time,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "fefeb5b"


def _copy(src: Path, dest: Path, name: str) -> None:
    """``src`` (a bedrock_lifecycle package) as package ``name`` under ``dest``."""
    shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for path in (dest / name).rglob("*.py"):
        path.write_text(re.sub(r"\bbedrock_lifecycle\b", name, path.read_text("utf-8")), "utf-8")


def _extract(rev: str, dest: Path) -> Path:
    data = subprocess.run(["git", "archive", rev, "bedrock_lifecycle"], cwd=ROOT, check=True,
                          capture_output=True).stdout
    safe: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python >= 3.10.12
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest / "archive", **safe)
    return dest / "archive" / "bedrock_lifecycle"


def _compile(dest: Path, name: str) -> None:
    """Compile the copy ``name`` under ``dest`` in place, as the compiled build does."""
    from tools.compiled import compiled_paths

    paths = [p.replace("bedrock_lifecycle/", f"{name}/", 1) for p in compiled_paths(ROOT)]
    # The copy is checked as code of its own: botocore untyped, as in pyproject.toml.
    (dest / "mypy.ini").write_text("[mypy]\nignore_missing_imports = True\nwarn_unused_ignores = False\n"
                                   "[mypy-botocore.*,boto3.*,aiobotocore.*]\nfollow_imports = skip\n"
                                   "follow_imports_for_stubs = True\n", "utf-8")
    done = subprocess.run([sys.executable, "-m", "mypyc", *paths], cwd=dest, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench versions --compiled: mypyc failed (exit {done.returncode}):\n"
                         f"{done.stdout[-3000:]}{done.stderr[-3000:]}")


def _cases(module: Any, tag: str, config_path: str) -> dict[str, Any]:
    one = {"aliases": {"chat": {"targets": [MODEL]}}}
    clients = {
        "model ID": module.wrap(_raw(), config=one, environ={}),
        "model ID, metrics off": module.wrap(_raw(), config=one, environ={"BEDROCK_LIFECYCLE_METRICS": "off"}),
        "alias": module.wrap(_raw(), config=one, environ={}),
        "routed alias": module.wrap(_raw(), config=ROUTED, environ={}),
        "config file, model ID": module.wrap(_raw(), environ={"BEDROCK_LIFECYCLE_CONFIG": config_path}),
        "config file, routed alias": module.wrap(_raw(), environ={"BEDROCK_LIFECYCLE_CONFIG": config_path}),
    }
    cases = {}
    for name, client in clients.items():
        _stubbed(client, 10**6)
        model = "chat" if "alias" in name else MODEL
        cases[f"{tag}: {name}"] = (lambda c=client, m=model: c.converse(modelId=m, messages=MESSAGES))
    return cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench versions")
    parser.add_argument("--base", default=DEFAULT_BASE, help=f"the earlier commit (default {DEFAULT_BASE})")
    parser.add_argument("--rounds", type=int, default=5, help="round-robin rounds (default 5)")
    parser.add_argument("--compiled", action="store_true", help="add this tree's compiled build")
    args = parser.parse_args(argv or [])
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp)
        _copy(_extract(args.base, dest), dest, "bl_base")
        _copy(ROOT / "bedrock_lifecycle", dest, "bl_tree")
        contestants = [("bl_base", args.base), ("bl_tree", "this tree")]
        if args.compiled:
            _copy(ROOT / "bedrock_lifecycle", dest, "bl_compiled")
            _compile(dest, "bl_compiled")
            contestants.append(("bl_compiled", "compiled"))
        sys.path.insert(0, str(dest))
        config_path = os.path.join(tmp, "models.toml")
        Path(config_path).write_text(ROUTED_TOML, "utf-8")
        plain = _raw()
        _stubbed(plain, 10**6)
        cases: dict[str, Any] = {"plain boto3": lambda: plain.converse(modelId=MODEL, messages=MESSAGES)}
        # The timer first: earlier versions bound botocore's method when they wrapped.
        with botocore_timer() as timer:
            for name, tag in contestants:
                cases.update(_cases(importlib.import_module(name), tag, config_path))
            runs: dict[str, list[float]] = {k: [] for k in cases}
            for _ in range(args.rounds):
                for name, ns in own_time(cases, number=2000, repeat=7, timer=timer).items():
                    runs[name].append(ns)
    floor = statistics.median(runs.pop("plain boto3"))
    print(f"\n== own time per call on Stubber, {' vs '.join(t for _, t in contestants)} in one process "
          f"({args.rounds} rounds; medians, the timer's cost subtracted): µs")
    for name, xs in runs.items():
        print(f"  {name:44} {(statistics.median(xs) - floor) / 1000:6.2f} µs")


if __name__ == "__main__":
    main(sys.argv[1:])
