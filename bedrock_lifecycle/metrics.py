"""(being written) — see issue 5."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def attach(runtime: Any, environ: Mapping[str, str]) -> None:
    """Wire this feature into a client's runtime (no-op until implemented)."""
