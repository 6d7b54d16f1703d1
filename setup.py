"""The optional compiled build of the call path (docs/performance.md).

``BEDROCK_LIFECYCLE_COMPILE=1 pip wheel .`` compiles the modules every call runs through
with mypyc, from the same source; without it (the default, and every editable install)
the package is pure Python. Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import os
import sys

from setuptools import setup

# The modules a call runs through (bench/bench_client.py): the driver's loop, the flow,
# the planner and the gate it asks, the collector and the built-in metrics it feeds.
# tests/test_compiled.py checks that they load compiled from a compiled build.
COMPILED = [
    "bedrock_lifecycle/core/drive.py",
    "bedrock_lifecycle/core/flow.py",
    "bedrock_lifecycle/core/planner.py",
    "bedrock_lifecycle/core/routing.py",
    "bedrock_lifecycle/core/gate.py",
    "bedrock_lifecycle/core/rewrite.py",
    "bedrock_lifecycle/core/cooldown.py",
    "bedrock_lifecycle/core/observer.py",
    "bedrock_lifecycle/observe/metrics.py",
    "bedrock_lifecycle/observe/series.py",
]
ENV = "BEDROCK_LIFECYCLE_COMPILE"


def compile_requested() -> bool:
    value = os.environ.get(ENV, "").strip()
    if value not in ("", "0", "1"):
        sys.exit(f"{ENV}={value!r}: expected 1 (compile the call path with mypyc) or 0 (pure Python)")
    return value == "1"


ext_modules = []
if compile_requested():
    from mypyc.build import mypycify

    ext_modules = mypycify(COMPILED, opt_level="3", group_name="bedrock_lifecycle")

setup(ext_modules=ext_modules)
