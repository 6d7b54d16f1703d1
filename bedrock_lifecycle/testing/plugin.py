"""pytest plugin (entry point ``pytest11``): fixtures ``local_bedrock`` and ``local_bedrock_env``.

Loaded into every pytest run of everyone who installs the package, so importing it must
stay cheap: the server module (and boto3) load only when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bedrock_lifecycle.testing.server import LocalBedrock

# Variables that would send botocore somewhere else or sign with real credentials.
_SCRUBBED_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class _ServerHolder:
    """One server per session (start-up costs a few ms; a test's own server would too)."""

    def __init__(self) -> None:
        self.server: LocalBedrock | None = None

    def get(self) -> LocalBedrock:
        if self.server is None or not self.server.running:  # a test may have stopped it
            from bedrock_lifecycle.testing.server import LocalBedrock

            self.server = LocalBedrock().start()
        return self.server

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture(scope="session")
def _bedrock_lifecycle_server() -> Iterator[_ServerHolder]:
    holder = _ServerHolder()
    yield holder
    holder.close()


@pytest.fixture
def local_bedrock(_bedrock_lifecycle_server: _ServerHolder) -> Iterator[LocalBedrock]:
    """A running :class:`~bedrock_lifecycle.testing.LocalBedrock`, with no scripts and no
    records, and the default catalogue. Shared by the session and reset around each test."""
    server = _bedrock_lifecycle_server.get()
    server.reset()
    try:
        yield server
    finally:
        server.reset()


@pytest.fixture
def local_bedrock_env(
    local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalBedrock]:
    """``local_bedrock``, with the environment pointing boto3 at it (``local_bedrock.env()``):
    code that builds its own clients (``boto3.client("bedrock-runtime")``) talks to it."""
    for name in _SCRUBBED_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in local_bedrock.env().items():
        monkeypatch.setenv(name, value)
    yield local_bedrock
