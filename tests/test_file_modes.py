"""Exact modes for what the library writes from calls: files 0600, directories 0700,
whatever the umask and whoever made a directory first (util.files, the shadow log and the
``file`` metrics exporter)."""

from __future__ import annotations

import errno
import json
import os
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config as BotoConfig

from bedrock_lifecycle.api import wrap
from bedrock_lifecycle.migrate.shadow import ShadowLogWarning, mirror_of
from bedrock_lifecycle.observe import metrics
from bedrock_lifecycle.testing import LocalBedrock
from bedrock_lifecycle.util.files import ensure_private_dir, open_private_append
from tests.helpers import MESSAGES, NOVA_LITE, NOVA_PRO, StaticRegistry

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o000, 0o022], ids=["umask000", "umask022"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


# ------------------------------------------------------------------------ util.files


def test_private_dir_creates_every_missing_level_0700(tmp_path: Path, umask: int) -> None:
    os.chmod(tmp_path, 0o755)
    leaf = tmp_path / "a" / "b" / "c"
    assert ensure_private_dir(leaf) == leaf and leaf.is_dir()
    for d in (tmp_path / "a", tmp_path / "a" / "b", leaf):
        assert mode(d) == 0o700, d
    assert mode(tmp_path) == 0o755  # existing directories above are not ours to change


def test_private_dir_tightens_an_existing_leaf(tmp_path: Path, umask: int) -> None:
    d = tmp_path / "cache"
    d.mkdir()
    os.chmod(d, 0o777)
    ensure_private_dir(d)
    assert mode(d) == 0o777  # an existing directory is left alone by default
    ensure_private_dir(d, tighten=True)
    assert mode(d) == 0o700
    ensure_private_dir(d, tighten=True)  # idempotent
    assert mode(d) == 0o700


def test_private_dir_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OSError):
        ensure_private_dir(tmp_path / "f" / "sub")


def test_open_private_append_creates_0600_and_appends(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "log.jsonl"
    for line in (b"one\n", b"two\n"):
        opened = open_private_append(path)
        try:
            assert opened.loosened is None
            os.write(opened.fd, line)
        finally:
            os.close(opened.fd)
    assert path.read_bytes() == b"one\ntwo\n"
    assert mode(path) == 0o600


@pytest.mark.parametrize("wide", [0o644, 0o666, 0o604, 0o640])
def test_open_private_append_tightens_a_wider_file_and_says_so(tmp_path: Path, wide: int) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"old\n")
    os.chmod(path, wide)
    opened = open_private_append(path)
    os.close(opened.fd)
    assert opened.loosened == wide and mode(path) == 0o600
    assert path.read_bytes() == b"old\n"  # appended to, never truncated


def test_open_private_append_leaves_devices_alone() -> None:
    before = mode("/dev/null")
    opened = open_private_append("/dev/null")
    os.close(opened.fd)
    assert opened.loosened is None and mode("/dev/null") == before


def test_a_fifo_nobody_reads_fails_at_once_instead_of_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError) as err:
        open_private_append(fifo)
    assert err.value.errno == errno.ENXIO
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # with a reader it opens, blocking for writes
    try:
        opened = open_private_append(fifo)
        assert os.get_blocking(opened.fd) and opened.loosened is None
        os.write(opened.fd, b"x\n")
        os.close(opened.fd)
        assert os.read(reader, 10) == b"x\n"
    finally:
        os.close(reader)


def test_open_private_append_does_not_create_directories(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_private_append(tmp_path / "missing" / "log.jsonl")
    assert not (tmp_path / "missing").exists()


# ------------------------------------------------------------------------ the shadow log


def shadow_client(bedrock: LocalBedrock, log: Path) -> Any:
    cfg = {"aliases": {"chat": {"targets": [NOVA_LITE], "shadow": {"model": NOVA_PRO, "sample": 1.0}}},
           "shadow": {"log": str(log), "record_text": True}}
    raw = bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}))
    return wrap(raw, config=cfg, registry=StaticRegistry(), environ={})


def test_new_shadow_log_is_0600_under_any_umask(bedrock: LocalBedrock, tmp_path: Path, umask: int) -> None:
    log = tmp_path / "shadow.jsonl"
    c = shadow_client(bedrock, log)
    m = mirror_of(c)
    assert m is not None
    try:
        assert log.exists() and mode(log) == 0o600  # opened at creation, before any record
        c.converse(modelId="chat", messages=MESSAGES)
        assert m.drain(10)
        assert mode(log) == 0o600 and len(log.read_text().splitlines()) == 1
    finally:
        m.close(0)


def test_existing_wider_shadow_log_is_tightened_with_a_warning(bedrock: LocalBedrock, tmp_path: Path,
                                                               umask: int) -> None:
    log = tmp_path / "shadow.jsonl"
    log.write_text('{"earlier": true}\n')
    os.chmod(log, 0o644)
    with pytest.warns(ShadowLogWarning, match=r"0644.*tightened to 0600"):
        c = shadow_client(bedrock, log)
    m = mirror_of(c)
    assert m is not None and mode(log) == 0o600
    try:
        c.converse(modelId="chat", messages=MESSAGES)
        assert m.drain(10)
        lines = log.read_text().splitlines()
        assert json.loads(lines[0]) == {"earlier": True} and len(lines) == 2
        assert mode(log) == 0o600
    finally:
        m.close(0)


def test_a_0600_shadow_log_gives_no_warning(bedrock: LocalBedrock, tmp_path: Path) -> None:
    log = tmp_path / "shadow.jsonl"
    log.write_text("")
    os.chmod(log, 0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ShadowLogWarning)
        c = shadow_client(bedrock, log)
    m = mirror_of(c)
    assert m is not None
    m.close(0)


# ------------------------------------------------------------------------ metrics snapshots


@pytest.fixture
def snapshot_writer() -> Iterator[None]:
    metrics.WRITER.stop()
    yield
    metrics.WRITER.stop()


def test_file_exporter_creates_the_cache_dir_0700(bedrock: LocalBedrock, tmp_path: Path, umask: int,
                                                  snapshot_writer: None) -> None:
    os.chmod(tmp_path, 0o755)
    cache = tmp_path / "home" / ".cache" / "bedrock-lifecycle"  # nothing exists yet
    raw = bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}))
    c = wrap(raw, config={"aliases": {"chat": {"targets": [NOVA_LITE]}}}, registry=StaticRegistry(),
             environ={"BEDROCK_LIFECYCLE_METRICS": "file", "BEDROCK_LIFECYCLE_CACHE_DIR": str(cache)})
    c.converse(modelId="chat", messages=MESSAGES)
    (path,) = metrics.WRITER.write()
    assert path.parent == cache / "metrics"
    for d in (tmp_path / "home", tmp_path / "home" / ".cache", cache, cache / "metrics"):
        assert mode(d) == 0o700, d
    assert mode(path) == 0o600
    assert mode(tmp_path) == 0o755


def test_file_exporter_tightens_a_metrics_dir_made_by_someone_else(bedrock: LocalBedrock, tmp_path: Path,
                                                                   umask: int, snapshot_writer: None) -> None:
    (tmp_path / "metrics").mkdir(mode=0o777)
    os.chmod(tmp_path / "metrics", 0o777)
    raw = bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}))
    c = wrap(raw, config={"aliases": {"chat": {"targets": [NOVA_LITE]}}}, registry=StaticRegistry(),
             environ={"BEDROCK_LIFECYCLE_METRICS": "file", "BEDROCK_LIFECYCLE_CACHE_DIR": str(tmp_path)})
    c.converse(modelId="chat", messages=MESSAGES)
    (path,) = metrics.WRITER.write()
    assert mode(tmp_path / "metrics") == 0o700 and mode(path) == 0o600
