"""The package's build backend: setuptools', asking for mypy (whose mypyc compiles the call
path) only when ``BEDROCK_LIFECYCLE_COMPILE=1`` asks for the compiled build (setup.py).
A pure-Python build needs nothing more than setuptools."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 -- every hook setuptools provides

ENV = "BEDROCK_LIFECYCLE_COMPILE"
# The mypy the test suite checks the package with (pyproject.toml's dev extra).
MYPYC = "mypy>=2.4"

Settings = dict[str, "str | list[str]"] | None


@contextmanager
def _pure() -> Iterator[bool]:
    """setup.py run without the flag; yields whether the flag asked for the compiled build."""
    wanted = os.environ.pop(ENV, None)
    try:
        yield (wanted or "").strip() == "1"
    finally:
        if wanted is not None:
            os.environ[ENV] = wanted


def get_requires_for_build_wheel(config_settings: Settings = None) -> list[str]:
    # setuptools runs setup.py to collect its own requirements, before mypy is installed:
    # that run leaves the extensions out (they are not requirements).
    with _pure() as compiled:
        found: list[str] = _setuptools.get_requires_for_build_wheel(config_settings)
    return [*found, MYPYC] if compiled else found


# An editable install is always pure Python: compiled modules beside the sources would
# shadow every later edit of them.

def get_requires_for_build_editable(config_settings: Settings = None) -> list[str]:
    with _pure():
        found: list[str] = _setuptools.get_requires_for_build_editable(config_settings)
    return found


def build_editable(wheel_directory: str, config_settings: Settings = None,
                   metadata_directory: str | None = None) -> str:
    with _pure():
        built: str = _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
    return built


def prepare_metadata_for_build_editable(metadata_directory: str, config_settings: Settings = None) -> str:
    with _pure():
        prepared: str = _setuptools.prepare_metadata_for_build_editable(metadata_directory, config_settings)
    return prepared
