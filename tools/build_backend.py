"""The package's build backend: setuptools', asking for mypy (whose mypyc compiles the call
path) only when ``BEDROCK_LIFECYCLE_COMPILE=1`` asks for the compiled build (setup.py).
A pure-Python build needs nothing more than setuptools."""

from __future__ import annotations

import os
from collections.abc import Callable

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 -- every hook setuptools provides

ENV = "BEDROCK_LIFECYCLE_COMPILE"
# The mypy the test suite checks the package with (pyproject.toml's dev extra).
MYPYC = "mypy>=2.4"

Settings = dict[str, "str | list[str]"] | None


def _requires(hook: Callable[[Settings], list[str]], config_settings: Settings, editable: bool = False) -> list[str]:
    # setuptools runs setup.py to collect its own requirements, before mypy is installed:
    # that run leaves the extensions out (they are not requirements).
    wanted = os.environ.pop(ENV, None)
    try:
        found = hook(config_settings)
    finally:
        if wanted is not None:
            os.environ[ENV] = wanted
    return [*found, MYPYC] if (wanted or "").strip() == "1" and not editable else found


def get_requires_for_build_wheel(config_settings: Settings = None) -> list[str]:
    return _requires(_setuptools.get_requires_for_build_wheel, config_settings)


def get_requires_for_build_editable(config_settings: Settings = None) -> list[str]:
    return _requires(_setuptools.get_requires_for_build_editable, config_settings, editable=True)


def build_editable(wheel_directory: str, config_settings: Settings = None,
                   metadata_directory: str | None = None) -> str:
    # An editable install is always pure Python: compiled modules beside the sources would
    # shadow every later edit of them.
    wanted = os.environ.pop(ENV, None)
    try:
        return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
    finally:
        if wanted is not None:
            os.environ[ENV] = wanted
