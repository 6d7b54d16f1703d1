"""Fixtures shared by the end-to-end tests.

``bedrock`` is the package's own ``local_bedrock`` fixture (one server per session, reset
around each test) plus a clean slate for the process-wide state tests read: the
once-per-process lifecycle warnings and the built-in metrics. ``moto_url`` is one moto
server (SSM, CloudWatch) over real HTTP for the session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings
from moto.server import ThreadedMotoServer

from bedrock_lifecycle.api import reset_warnings
from bedrock_lifecycle.observe import metrics
from bedrock_lifecycle.testing import LocalBedrock

# Hypothesis' per-example deadline is a wall-clock limit: under load on a shared 2-core
# machine it fails examples that are merely slow. Invariants, not speed, are tested here.
settings.register_profile("bedrock-lifecycle", deadline=None)
settings.load_profile("bedrock-lifecycle")


@pytest.fixture
def bedrock(local_bedrock: LocalBedrock) -> LocalBedrock:
    reset_warnings()
    metrics.METRICS.reset()
    return local_bedrock


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
