"""The optional compiled build (setup.py, docs/performance.md).

``python3 dev.py test`` runs the suite twice: on the pure-Python tree, then on a copy of
the tree whose package is a wheel built with ``BEDROCK_LIFECYCLE_COMPILE=1``
(``BL_EXPECT_COMPILED=1`` set; a name outside the library's own variables).
These tests make sure each run really tests what it says: the compiled run loads every
listed module compiled, the pure run loads none.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tools.compiled import compiled_paths

REPO = Path(__file__).resolve().parent.parent
EXPECT_COMPILED = os.environ.get("BL_EXPECT_COMPILED") == "1"


def compiled_modules() -> list[str]:
    """setup.py's ``COMPILED`` list, as module names."""
    return [p.removesuffix(".py").replace("/", ".") for p in compiled_paths(REPO)]


def is_extension(module: object) -> bool:
    return str(getattr(module, "__file__", "")).endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def test_the_compiled_list_names_modules_of_the_package() -> None:
    names = compiled_modules()
    assert names and len(names) == len(set(names))
    for name in names:
        assert (REPO / (name.replace(".", "/") + ".py")).is_file(), name
    # The binding swaps a botocore client's class: only an interpreted class can be swapped in.
    assert "bedrock_lifecycle.core.sync" not in names and "bedrock_lifecycle.core.adriver" not in names


@pytest.mark.parametrize("name", compiled_modules())
def test_each_run_loads_the_build_it_names(name: str) -> None:
    module = importlib.import_module(name)
    if EXPECT_COMPILED:
        assert is_extension(module), f"{name} loaded from {module.__file__}, not compiled"
    else:
        assert not is_extension(module), f"{name} loaded compiled ({module.__file__}) in the pure-Python run"


def test_the_build_flag_is_checked() -> None:
    done = subprocess.run([sys.executable, "setup.py", "--name"], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "BEDROCK_LIFECYCLE_COMPILE": "yes"})
    assert done.returncode != 0
    assert "BEDROCK_LIFECYCLE_COMPILE='yes': expected 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_build_flag_left_set_at_run_time_is_not_an_unknown_variable() -> None:
    from bedrock_lifecycle.config.loading import env_layer

    assert env_layer({"BEDROCK_LIFECYCLE_COMPILE": "1"}) == ({}, {})


def _dev() -> Any:
    spec = importlib.util.spec_from_file_location("dev_script", REPO / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_a_c_compiler_the_compiled_run_says_it_was_skipped(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    dev = _dev()
    real = dev.sysconfig.get_config_var
    monkeypatch.setattr(dev.sysconfig, "get_config_var",
                        lambda name: "no-such-cc-xyz -O2" if name == "CC" else real(name))
    assert dev.c_compiler() == "no C compiler (no-such-cc-xyz) on PATH"
    assert dev.test_compiled([]) == 0  # nothing built, nothing run, and it says so:
    assert "SKIPPED: the compiled build's run of the suite: no C compiler (no-such-cc-xyz)" in capsys.readouterr().err


@pytest.mark.parametrize("hook", ["get_requires_for_build_editable", "prepare_metadata_for_build_editable",
                                  "build_editable", "get_requires_for_build_wheel"])
def test_setup_py_never_sees_the_flag_where_mypyc_is_not_wanted_or_not_there_yet(
        hook: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Editable installs stay pure (and must not need mypyc); the wheel's requirements are
    collected before mypy is installed. Each hook runs setuptools' without the flag."""
    from tools import build_backend

    seen: list[str | None] = []

    def setuptools_hook(*_: object) -> Any:
        seen.append(os.environ.get("BEDROCK_LIFECYCLE_COMPILE"))
        return [] if hook.startswith("get_requires") else "built"

    monkeypatch.setattr(build_backend._setuptools, hook, setuptools_hook)
    monkeypatch.setenv("BEDROCK_LIFECYCLE_COMPILE", "1")
    fn = getattr(build_backend, hook)
    assert fn.__module__ == "tools.build_backend", f"{hook} is setuptools' own: it would run setup.py with the flag"
    result = fn("out") if not hook.startswith("get_requires") else fn()
    assert seen == [None]
    assert os.environ["BEDROCK_LIFECYCLE_COMPILE"] == "1"  # put back
    if hook == "get_requires_for_build_wheel":
        assert result == ["mypy>=2.4"]
    elif hook == "get_requires_for_build_editable":
        assert result == []
