"""API sync and its disk cache (botocore Stubber; HTTP end-to-end tests in test_sync_http.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bedrock_lifecycle.lifecycle import bundled, sync
from bedrock_lifecycle.lifecycle.model import State
from bedrock_lifecycle.lifecycle.registry import Registry

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 9, 26, 12, 0, tzinfo=UTC)
SONNET4 = "anthropic.claude-sonnet-4-20250514-v1:0"
SONNET45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def T(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=UTC)


def summary(model_id: str, status: str = "ACTIVE", **times: str) -> dict[str, Any]:
    lifecycle: dict[str, Any] = {"status": status}
    lifecycle.update({k: T(v) for k, v in times.items()})
    return {
        "modelArn": f"arn:aws:bedrock:us-west-2::foundation-model/{model_id}",
        "modelId": model_id,
        "modelName": model_id.split(".")[1],
        "providerName": model_id.split(".")[0].title(),
        "modelLifecycle": lifecycle,
    }


LISTING = [
    summary(SONNET4, "LEGACY", startOfLifeTime="2025-05-22", legacyTime="2026-04-14T08:00:00",
            publicExtendedAccessTime="2026-07-14T08:00:00", endOfLifeTime="2026-10-14T08:00:00"),
    summary(SONNET45, "ACTIVE", startOfLifeTime="2025-09-29"),
    summary("anthropic.claude-sonnet-4-6", "ACTIVE", startOfLifeTime="2026-02-17T18:00:00"),
    summary("amazon.titan-text-lite-v1:0:4k", "ACTIVE"),  # provisioned variant: skipped
    summary("anthropic.claude-3-haiku-20240307-v1:0", "LEGACY"),  # no dates: details asked
]
HAIKU_DETAILS = {
    "modelDetails": {
        **summary("anthropic.claude-3-haiku-20240307-v1:0", "LEGACY", legacyTime="2026-03-10T08:00:00",
                  endOfLifeTime="2026-09-10T08:00:00"),
    }
}


class Clients:
    """One stubbed bedrock client per region; ``fail`` regions answer an error."""

    def __init__(self) -> None:
        self.session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y")
        self.stubs: dict[str, Stubber] = {}
        self.clients: dict[str, Any] = {}

    def client(self, region: str) -> Any:
        if region not in self.clients:
            c = self.session.client("bedrock", region_name=region)
            self.clients[region] = c
            self.stubs[region] = Stubber(c)
            self.stubs[region].activate()
        return self.clients[region]

    def listing(self, region: str, models: list[dict[str, Any]], details: dict[str, Any] | None = None) -> None:
        self.client(region)
        self.stubs[region].add_response("list_foundation_models", {"modelSummaries": models}, {})
        if details is not None:
            self.stubs[region].add_response(
                "get_foundation_model", details, {"modelIdentifier": details["modelDetails"]["modelId"]}
            )

    def error(self, region: str, code: str = "ThrottlingException", status: int = 429) -> None:
        self.client(region)
        self.stubs[region].add_client_error("list_foundation_models", code, "slow down", status)

    def factory(self, region: str) -> Any:
        return self.clients[region]

    def done(self) -> None:
        for s in self.stubs.values():
            s.assert_no_pending_responses()


@pytest.fixture
def clients() -> Iterator[Clients]:
    c = Clients()
    yield c
    c.done()


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    sync.forget_cached()
    sync._memo.clear()
    yield
    sync._memo.clear()


def _no_temp_files(d: Path) -> None:
    # The cache and its lock file (filelock may keep it between syncs), nothing else.
    lock = sync.lock_file(d / sync.CACHE_FILENAME).name
    assert [p.name for p in d.iterdir() if p.name not in (sync.CACHE_FILENAME, lock)] == []


def test_sync_writes_a_private_versioned_cache(tmp_path: Path, clients: Clients) -> None:
    clients.listing("us-west-2", LISTING, HAIKU_DETAILS)
    report = sync.sync(["us-west-2"], client_factory=clients.factory, cache_dir=tmp_path, now=NOW)
    assert report.ok_regions == ["us-west-2"] and report.written and not report.all_failed
    (r,) = report.results
    assert (r.models, r.legacy, r.dated, r.detail_errors) == (4, 2, 2, 0)
    path = tmp_path / sync.CACHE_FILENAME
    assert report.cache_path == path
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _no_temp_files(tmp_path)
    doc = json.loads(path.read_text())
    assert doc["schema"] == sync.CACHE_SCHEMA and doc["schema_version"] == sync.CACHE_SCHEMA_VERSION
    block = doc["regions"]["us-west-2"]
    assert block["synced_at"] == "2026-09-26T12:00:00Z"
    (s4,) = [m for m in block["models"] if m["model_id"] == SONNET4]
    assert s4["eol"] == "2026-10-14T08:00:00Z" and s4["start_of_life"] == "2025-05-22T00:00:00Z"
    assert not any(":4k" in m["model_id"] for m in block["models"])
    # Entries: source api, exact timestamps, one region.
    by_id = {e.model_id: e for e in report.entries}
    e = by_id[SONNET4]
    assert e.source == "api" and e.regions == frozenset({"us-west-2"}) and e.status is State.LEGACY
    assert e.eol == T("2026-10-14T08:00:00") and e.as_of == NOW.date()
    assert e.launch == T("2025-05-22T00:00:00")  # startOfLifeTime: the launch date guarantees count from
    assert by_id["anthropic.claude-3-haiku-20240307-v1:0"].eol == T("2026-09-10T08:00:00")  # from details


def test_registry_merges_synced_data(tmp_path: Path, clients: Clients) -> None:
    clients.listing("us-west-2", LISTING, HAIKU_DETAILS)
    data = bundled.load()
    reg = Registry(data.entries, catalogue=data.catalogue)
    sync.sync(["us-west-2"], client_factory=clients.factory, cache_dir=tmp_path, now=NOW, registry=reg)
    # Exact API instants beat the bundled calendar day.
    assert reg.lookup(SONNET4, "us-west-2", T("2026-10-14T07:00:00")).state is State.EXTENDED_ACCESS
    assert reg.lookup(SONNET4, "us-east-1", T("2026-10-14T07:00:00")).state is State.EOL
    # API says ACTIVE with no dates: the announced bundled dates survive.
    s = reg.lookup(SONNET45, "us-west-2", T("2026-10-09"))
    assert s.state is State.LEGACY and s.source == "api" and s.eol_date == T("2027-04-08")
    # Registry.default reads the cache written by sync.
    reg2 = Registry.default(cache_dir=tmp_path)
    assert reg2.lookup(SONNET4, "us-west-2", T("2026-10-14T07:00:00")).source == "api"


def test_failed_region_keeps_last_good_data_and_warns(tmp_path: Path, clients: Clients) -> None:
    clients.listing("us-west-2", LISTING, HAIKU_DETAILS)
    clients.listing("us-east-1", [summary(SONNET45)])
    sync.sync(["us-west-2", "us-east-1"], client_factory=clients.factory, cache_dir=tmp_path, now=NOW)
    before = json.loads((tmp_path / sync.CACHE_FILENAME).read_text())

    clients.error("us-west-2")
    clients.listing("us-east-1", [summary(SONNET45, "LEGACY", legacyTime="2026-10-08T08:00:00")])
    later = NOW + dt.timedelta(days=1)
    with pytest.warns(sync.CacheWarning, match=r"us-west-2 failed \(ThrottlingException"):
        report = sync.sync(["us-west-2", "us-east-1"], client_factory=clients.factory, cache_dir=tmp_path, now=later)
    assert report.failed_regions == ["us-west-2"] and report.ok_regions == ["us-east-1"]
    bad = report.results[0]
    assert bad.kept_previous and bad.synced_at == "2026-09-26T12:00:00Z" and bad.models == 4
    assert "ThrottlingException" in (bad.error or "")
    after = json.loads((tmp_path / sync.CACHE_FILENAME).read_text())
    assert after["regions"]["us-west-2"] == before["regions"]["us-west-2"]
    assert after["regions"]["us-east-1"]["synced_at"] == "2026-09-27T12:00:00Z"
    assert report.to_json()["regions"][0]["ok"] is False

    # Every region failing: reported, nothing rewritten, never raised.
    clients.error("us-west-2")
    clients.error("us-east-1", "AccessDeniedException", 403)
    mtime = (tmp_path / sync.CACHE_FILENAME).stat().st_mtime_ns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sync.CacheWarning)
        report = sync.sync(["us-west-2", "us-east-1"], client_factory=clients.factory, cache_dir=tmp_path, now=later)
    assert report.all_failed and not report.written
    assert (tmp_path / sync.CACHE_FILENAME).stat().st_mtime_ns == mtime
    assert len(report.entries) == len(sync.load_cache(tmp_path / sync.CACHE_FILENAME))


def test_failure_with_no_earlier_data(tmp_path: Path) -> None:
    def factory(region: str) -> Any:
        raise RuntimeError("no credentials")

    with pytest.warns(sync.CacheWarning, match="no earlier data"):
        report = sync.sync(["eu-west-1"], client_factory=factory, cache_dir=tmp_path, now=NOW)
    assert report.all_failed and not report.results[0].kept_previous
    assert not (tmp_path / sync.CACHE_FILENAME).exists()


def test_details_failure_keeps_status(tmp_path: Path, clients: Clients) -> None:
    clients.listing("us-west-2", [summary("anthropic.claude-3-haiku-20240307-v1:0", "LEGACY")])
    clients.stubs["us-west-2"].add_client_error("get_foundation_model", "ThrottlingException", "slow", 429)
    report = sync.sync(["us-west-2"], client_factory=clients.factory, cache_dir=tmp_path, now=NOW)
    (r,) = report.results
    assert r.ok and r.detail_errors == 1
    (e,) = report.entries
    assert e.status is State.LEGACY and e.eol is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "corrupt"),
        (b"\xff\xfe\x00garbage", "corrupt"),
        (b'{"hello": "world"}', "not a bedrock-lifecycle sync cache"),
        (b"[1, 2, 3]", "not a bedrock-lifecycle sync cache"),
        (json.dumps({"schema": sync.CACHE_SCHEMA, "schema_version": 99, "regions": {}}).encode(), "schema_version 99"),
        (json.dumps({"schema": sync.CACHE_SCHEMA, "schema_version": 1, "regions": {"us-east-1": {"synced_at": "x", "models": []}}}).encode(), "malformed"),
        (json.dumps({"schema": sync.CACHE_SCHEMA, "schema_version": 1, "regions": {"us-east-1": {
            "synced_at": "2026-01-01T00:00:00Z", "models": [{"model_id": "nope nope"}]}}}).encode(), "malformed"),
        (json.dumps({"schema": sync.CACHE_SCHEMA, "schema_version": 1, "regions": []}).encode(), "malformed"),
    ],
    ids=["bad-json", "bad-utf8", "foreign-object", "foreign-list", "other-schema", "bad-timestamp", "bad-model", "bad-regions"],
)
def test_unusable_cache_is_ignored_once(tmp_path: Path, clients: Clients, content: bytes, reason: str) -> None:
    path = tmp_path / sync.CACHE_FILENAME
    path.write_bytes(content)
    with pytest.warns(sync.CacheWarning, match=reason):
        assert sync.load_cache(path) == ()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second read of the same file stays quiet
        assert sync.load_cache(path) == ()
        reg = Registry.default(cache_dir=tmp_path)
    assert reg.lookup(SONNET4, "us-east-1", T("2026-10-15")).state is State.EOL  # bundled still works
    # The next sync rebuilds it.
    clients.listing("us-west-2", [summary(SONNET45)])
    report = sync.sync(["us-west-2"], client_factory=clients.factory, cache_dir=tmp_path, now=NOW)
    assert report.written and len(sync.load_cache(path)) == 1


def test_atomic_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sub" / sync.CACHE_FILENAME
    sync.write_document(path, {"schema": sync.CACHE_SCHEMA, "schema_version": 1, "regions": {}})
    original = path.read_bytes()

    def boom(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        sync.write_document(path, {"schema": sync.CACHE_SCHEMA, "schema_version": 1, "regions": {"x": {}}})
    assert path.read_bytes() == original
    _no_temp_files(path.parent)


def test_unwritable_cache_is_reported(tmp_path: Path, clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    clients.listing("us-west-2", [summary(SONNET45)])

    def refuse(path: Path, doc: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sync, "write_document", refuse)
    with pytest.warns(sync.CacheWarning, match="cannot write"):
        report = sync.sync(["us-west-2"], client_factory=clients.factory, cache_dir=tmp_path, now=NOW)
    assert report.ok_regions == ["us-west-2"] and not report.written and report.cache_error
    assert report.to_json()["ok"] is False and len(report.entries) == 1


def test_mode_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("POSIX modes")
    old = os.umask(0)
    try:
        sync.write_document(tmp_path / "c.json", {"a": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "c.json").stat().st_mode) == 0o600


def test_cache_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = Path("/home/u")
    assert sync.default_cache_root({}, "linux", home) == home / ".cache" / "bedrock-lifecycle"
    assert sync.default_cache_root({"XDG_CACHE_HOME": "/x/c"}, "linux", home) == Path("/x/c/bedrock-lifecycle")
    assert sync.default_cache_root({"XDG_CACHE_HOME": "relative"}, "linux", home) == home / ".cache" / "bedrock-lifecycle"
    assert sync.default_cache_root({}, "darwin", home) == home / "Library" / "Caches" / "bedrock-lifecycle"
    assert sync.default_cache_root({"LOCALAPPDATA": "C:/L"}, "win32", home) == Path("C:/L") / "bedrock-lifecycle"
    assert sync.resolve_cache_dir(None, {sync.ENV_CACHE_DIR: "/env/dir"}) == Path("/env/dir")
    assert sync.resolve_cache_dir(tmp_path, {sync.ENV_CACHE_DIR: "/env/dir"}) == tmp_path
    monkeypatch.setenv(sync.ENV_CACHE_DIR, str(tmp_path))
    assert sync.cache_file() == tmp_path / sync.CACHE_FILENAME


def test_disk_cache_memo_has_a_ttl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    memo: Any = sync.TTLCache(maxsize=4, ttl=sync.DISK_CACHE_TTL, timer=lambda: clock[0])
    monkeypatch.setattr(sync, "_memo", memo)
    assert sync.cached_api_entries(tmp_path) == ()
    doc = {"schema": sync.CACHE_SCHEMA, "schema_version": 1, "written_at": "2026-01-01T00:00:00Z", "regions": {
        "us-east-1": {"synced_at": "2026-01-01T00:00:00Z", "models": [{"model_id": SONNET45, "status": "ACTIVE"}]}}}
    sync.write_document(tmp_path / sync.CACHE_FILENAME, doc)
    assert sync.cached_api_entries(tmp_path) == ()  # still memoised
    clock[0] = sync.DISK_CACHE_TTL + 1
    assert len(sync.cached_api_entries(tmp_path)) == 1  # re-read after the TTL


def test_record_mapping_is_tolerant() -> None:
    assert sync.record_from_api({"modelId": 7}) is None
    assert sync.record_from_api({"modelId": "not an id!"}) is None
    rec = sync.record_from_api({"modelId": "acme.m-v1:0", "modelLifecycle": {"status": "PUBLIC_EXTENDED_ACCESS"}})
    assert rec is not None
    e = sync.entry_from_record(rec, "us-east-1", "2026-01-01T00:00:00Z")
    assert e.status is State.EXTENDED_ACCESS
    rec = sync.record_from_api({"modelId": "acme.m-v1:0", "modelLifecycle": {"status": "SOMETHING_NEW"}})
    assert rec is not None and sync.entry_from_record(rec, "us-east-1", "2026-01-01T00:00:00Z").status is None
