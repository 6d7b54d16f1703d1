"""Hot reload (config/reload.py): what is a version, and a reloader thread that never dies,
backs off without overflow, and ends with its client.

End-to-end tests use real files and the local Bedrock over HTTP, and SSM through moto's
server; the thread's survival is tested with a source that raises whatever a poll can meet.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bedrock_lifecycle
from bedrock_lifecycle.api import runtime_of, wrap
from bedrock_lifecycle.config import Config
from bedrock_lifecycle.config.reload import ConfigReloadWarning, Reloader, backoff
from bedrock_lifecycle.config.sources import CachedSource, Document, SourceError
from bedrock_lifecycle.core.flow import META_KEY
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import NOVA_LITE, NOVA_PRO, StaticRegistry

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
PARAM = "/reload/bedrock-lifecycle"


def alias(model: str) -> dict[str, Any]:
    return {"aliases": {"chat": {"targets": [model]}}}


def served(c: Any) -> tuple[str, str]:
    meta = c.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"][META_KEY]
    return meta["model_id"], meta["config_version"]


def replace_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    CachedSource.clear_cache()
    yield
    CachedSource.clear_cache()


def file_client(local_bedrock: LocalBedrock, path: Path, ttl: str = "0.05") -> Any:
    environ = {**local_bedrock.env(), "BEDROCK_LIFECYCLE_CONFIG": str(path), "BEDROCK_LIFECYCLE_CONFIG_TTL": ttl}
    return wrap(local_bedrock.runtime_client(), registry=StaticRegistry(), environ=environ)


# ------------------------------------------------------------------ what is a version


@pytest.mark.parametrize("empty", ["", "   \n\t\n", "{}", "\ufeff", "# only a comment\n", " { } "])
def test_an_empty_document_is_not_a_new_version(tmp_path: Path, local_bedrock: LocalBedrock, empty: str) -> None:
    cfg = tmp_path / ("models.json" if "{" in empty else "models.toml")
    cfg.write_text(json.dumps(alias(NOVA_LITE)) if cfg.suffix == ".json" else f'[aliases.chat]\ntargets = ["{NOVA_LITE}"]\n')
    c = file_client(local_bedrock, cfg, ttl="60")
    reloader: Reloader[Any] = runtime_of(c).reloader
    reloader.stop()
    good = reloader.version
    cfg.write_text(empty)  # what a truncating editor leaves
    CachedSource.clear_cache()
    with pytest.warns(ConfigReloadWarning, match="empty"):
        assert reloader.check() is False
    assert served(c) == (NOVA_LITE, good)
    assert reloader.version == good and reloader.stats().rejected == 1


@pytest.mark.parametrize("empty", ["", "  \n", "{}", "# nothing\n"])
def test_an_empty_file_at_start_up_is_a_clear_error(tmp_path: Path, local_bedrock: LocalBedrock, empty: str) -> None:
    cfg = tmp_path / ("models.json" if "{" in empty else "models.toml")
    cfg.write_text(empty)
    with pytest.raises(ConfigError, match=rf"{cfg}.*empty.*BEDROCK_LIFECYCLE_CONFIG unset"):
        file_client(local_bedrock, cfg)


def test_a_file_rewritten_in_place_under_load_never_drops_the_aliases(tmp_path: Path, local_bedrock: LocalBedrock) -> None:
    # The scenario: a file truncated and rewritten in place while calls run. A JSON
    # document is invalid until complete, and an empty one is not a version, so every call
    # is served by one good version or the other.
    cfg = tmp_path / "models.json"
    docs = [json.dumps(alias(NOVA_LITE)), json.dumps(alias(NOVA_PRO))]
    cfg.write_text(docs[0])
    c = file_client(local_bedrock, cfg, ttl="0.05")
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            with open(cfg, "w") as f:  # truncate, then write in two pieces
                text = docs[i % 2]
                f.write(text[: len(text) // 2])
                f.flush()
                time.sleep(0.001)
                f.write(text[len(text) // 2 :])
            i += 1
            time.sleep(0.005)

    t = threading.Thread(target=writer)
    failures = calls = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigReloadWarning)
        t.start()
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            try:
                served(c)
            except Exception:
                failures += 1
            calls += 1
        stop.set()
        t.join()
    reloader: Reloader[Any] = runtime_of(c).reloader
    stats = reloader.stats()
    c.close()
    assert calls > 50 and failures == 0
    assert stats.applied >= 1 and stats.unexpected_errors == 0


def test_atomic_replacement_is_picked_up(tmp_path: Path, local_bedrock: LocalBedrock) -> None:
    cfg = tmp_path / "models.toml"
    cfg.write_text(f'[aliases.chat]\ntargets = ["{NOVA_LITE}"]\n')
    c = file_client(local_bedrock, cfg)
    replace_atomically(cfg, f'[aliases.chat]\ntargets = ["{NOVA_PRO}"]\n')
    wait_for(lambda: served(c)[0] == NOVA_PRO)
    c.close()


def test_ssm_parameter_deleted_and_created_again_is_applied(
    moto_url: str, local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in {**local_bedrock.env(), "AWS_ENDPOINT_URL_SSM": moto_url, "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name=PARAM, Value=json.dumps(alias(NOVA_LITE)), Type="String", Overwrite=True)
    environ = {**local_bedrock.env(), "AWS_ENDPOINT_URL_SSM": moto_url, "AWS_REGION": "us-east-1",
               "BEDROCK_LIFECYCLE_CONFIG": f"ssm:{PARAM}", "BEDROCK_LIFECYCLE_CONFIG_TTL": "60"}
    c = wrap(local_bedrock.runtime_client(), registry=StaticRegistry(), environ=environ)
    reloader: Reloader[Any] = runtime_of(c).reloader
    reloader.stop()
    first = reloader.version
    assert first is not None and first.startswith(f"ssm:{PARAM}:1:")
    ssm.delete_parameter(Name=PARAM)
    ssm.put_parameter(Name=PARAM, Value=json.dumps(alias(NOVA_PRO)), Type="String")  # version 1 again
    CachedSource.clear_cache()
    assert reloader.check() is True
    model, version = served(c)
    assert model == NOVA_PRO and version.startswith(f"ssm:{PARAM}:1:") and version != first
    ssm.delete_parameter(Name=PARAM)


def test_client_config_may_name_an_ssm_parameter(
    moto_url: str, local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in {**local_bedrock.env(), "AWS_ENDPOINT_URL_SSM": moto_url, "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("BEDROCK_LIFECYCLE_CONFIG", raising=False)
    name = PARAM + "/arg"
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=name, Value=json.dumps(alias(NOVA_PRO)), Type="String", Overwrite=True)
    c = bedrock_lifecycle.client(config=f"ssm:{name}", region_name="us-east-1", registry=StaticRegistry())
    model, version = served(c)
    assert model == NOVA_PRO and version.startswith(f"ssm:{name}:1:")
    assert runtime_of(c).reloader.running
    c.close()


# ------------------------------------------------------------------ a thread that never dies


class ScriptedSource:
    """A source whose fetch() raises or returns what the test scripts, one item per poll."""

    kind = "file"
    name = "scripted source"
    ttl = 0.01

    def __init__(self, script: list[Any]) -> None:
        self.script = script
        self.fetches = 0

    def fetch(self, *, fresh: bool = False) -> Document:
        item = self.script[min(self.fetches, len(self.script) - 1)]
        self.fetches += 1
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[no-any-return]


class Owner:
    """Stands for the client: what apply() receives."""

    def __init__(self) -> None:
        self.applied: list[Config] = []


def record(owner: Owner, cfg: Config) -> None:
    owner.applied.append(cfg)


def doc(model: str, version: str) -> Document:
    return Document(alias(model), version, "scripted source", "file")


def deep_list(n: int) -> Any:
    out: Any = 0
    for _ in range(n):
        out = [out]
    return out


def test_no_exception_in_a_poll_ends_the_thread() -> None:
    hostile: list[Any] = [
        RecursionError("maximum recursion depth exceeded"),
        OverflowError("(34, 'Numerical result out of range')"),
        MemoryError(),
        KeyError("Parameter"),
        RuntimeError("boom"),
        SourceError("unreachable"),
        doc(NOVA_LITE, "v1"),
    ]
    owner = Owner()
    source = ScriptedSource(hostile)
    r = Reloader(owner, source, apply=record, environ={}, ttl=0.01, max_backoff=0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigReloadWarning)
        r.start()
        wait_for(lambda: owner.applied, timeout=10)
    stats = r.stats()
    assert r.running and stats.version == "v1" and stats.applied == 1
    assert stats.unexpected_errors == 5 and stats.source_errors == 1 and stats.consecutive_failures == 0
    r.stop(timeout=5)
    assert not r.running


def test_a_deeply_nested_document_is_rejected_and_the_thread_lives_on() -> None:
    owner = Owner()
    bad = Document({"aliases": {"chat": {"targets": [NOVA_LITE]}}, "rollbacks": [deep_list(100_000)]},
                   "deep", "scripted source", "file")
    source = ScriptedSource([doc(NOVA_LITE, "v1"), bad, doc(NOVA_PRO, "v2")])
    r = Reloader(owner, source, apply=record, environ={}, ttl=0.01)
    with pytest.warns(ConfigReloadWarning, match="nested more than 64 levels"):
        assert r.check() is True
        assert r.check() is False
    assert r.check() is True
    assert [c.aliases["chat"].targets[0].model for c in owner.applied] == [NOVA_LITE, NOVA_PRO]
    assert r.stats().rejected == 1 and r.stats().unexpected_errors == 0


def test_ten_thousand_consecutive_failures_cap_the_backoff_without_overflow() -> None:
    source = ScriptedSource([SourceError("ParameterNotFound")])
    owner = Owner()
    r = Reloader(owner, source, apply=record, environ={}, ttl=60.0)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(10_000):
            assert r.check() is False
    stats = r.stats()
    assert stats.consecutive_failures == 10_000 and stats.source_errors == 10_000
    assert stats.next_delay == 600.0  # 10 × TTL
    assert stats.unexpected_errors == 0
    assert len(seen) == 1  # one warning per outage; the log keeps counting (2, 4, 8 ...)


@given(ttl=st.floats(0.05, 86_400), failures=st.integers(0, 10**9), cap_factor=st.floats(1, 100))
def test_backoff_is_bounded_and_monotone(ttl: float, failures: int, cap_factor: float) -> None:
    cap = ttl * cap_factor
    d = backoff(ttl, failures, cap)
    assert ttl <= d <= cap
    assert backoff(ttl, failures + 1, cap) >= d


def test_a_rejection_by_apply_keeps_the_last_good_version() -> None:
    owner = Owner()

    def picky(o: Owner, cfg: Config) -> None:
        if cfg.aliases["chat"].targets[0].model == NOVA_PRO:
            raise ConfigError("aliases.chat: NOVA_PRO is past its EOL date")
        record(o, cfg)

    source = ScriptedSource([doc(NOVA_LITE, "v1"), doc(NOVA_PRO, "v2"), doc(NOVA_PRO, "v2")])
    r = Reloader(owner, source, apply=picky, environ={}, ttl=0.01)
    assert r.check() is True
    with pytest.warns(ConfigReloadWarning, match="v2 rejected, keeping v1: aliases.chat"):
        assert r.check() is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same rejected version does not warn again
        assert r.check() is False
    assert r.version == "v1" and len(owner.applied) == 1


# ------------------------------------------------------------------ a thread that ends with its client


def test_the_thread_ends_when_the_client_is_closed(tmp_path: Path, local_bedrock: LocalBedrock) -> None:
    cfg = tmp_path / "models.json"
    cfg.write_text(json.dumps(alias(NOVA_LITE)))
    c = file_client(local_bedrock, cfg, ttl="60")
    reloader: Reloader[Any] = runtime_of(c).reloader
    assert reloader.running
    c.close()
    assert reloader.join(timeout=5) and not reloader.running


def test_the_thread_ends_when_the_client_is_garbage_collected(tmp_path: Path, local_bedrock: LocalBedrock) -> None:
    cfg = tmp_path / "models.json"
    cfg.write_text(json.dumps(alias(NOVA_LITE)))
    c = file_client(local_bedrock, cfg, ttl="60")
    assert served(c)[0] == NOVA_LITE
    reloader: Reloader[Any] = runtime_of(c).reloader
    assert reloader.running
    del c
    gc.collect()
    assert reloader.join(timeout=5), "the reloader thread outlived its client"


def test_reloader_never_keeps_its_owner_alive() -> None:
    owner = Owner()
    r = Reloader(owner, ScriptedSource([doc(NOVA_LITE, "v1")]), apply=record, environ={}, ttl=60).start()
    del owner
    gc.collect()
    assert r.join(timeout=5)


def wait_for(pred: Any, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")
