"""Sync and control-plane resolution end to end over HTTP, against the local Bedrock.

Real boto3 clients built through the normal credential/endpoint chain
(``AWS_ENDPOINT_URL_BEDROCK``), real signing, parsing and retries.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.lifecycle import bundled, sync
from bedrock_lifecycle.lifecycle.model import State
from bedrock_lifecycle.lifecycle.registry import Registry
from bedrock_lifecycle.lifecycle.resolver import ControlPlaneResolver

server = pytest.importorskip("bedrock_lifecycle.testing.server")

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 9, 26, 12, 0, tzinfo=UTC)
SONNET4 = "anthropic.claude-sonnet-4-20250514-v1:0"
SONNET45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
ACCT = "123456789012"


def T(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=UTC)


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    with server.LocalBedrock() as b:
        for k, v in b.env().items():
            monkeypatch.setenv(k, v)
        for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "BEDROCK_LIFECYCLE_NOW"):
            monkeypatch.delenv(k, raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
        monkeypatch.setenv(sync.ENV_CACHE_DIR, str(tmp_path / "cache"))
        sync._memo.clear()
        yield b
        sync._memo.clear()


def _registry() -> Registry:
    data = bundled.load()
    return Registry(data.entries, catalogue=data.catalogue)


def test_sync_over_http_through_the_boto3_chain(bedrock: Any, tmp_path: Path) -> None:
    b = bedrock
    report = sync.sync(["us-east-1"], now=NOW)  # no session, no factory: boto3's own chain
    assert report.ok_regions == ["us-east-1"] and report.written
    assert report.cache_path == tmp_path / "cache" / sync.CACHE_FILENAME
    by_id = {e.model_id: e for e in report.entries}
    e = by_id[SONNET4]
    assert e.status is State.LEGACY and e.eol == T("2026-10-14T08:00:00") and e.regions == frozenset({"us-east-1"})
    assert by_id[SONNET45].status is State.ACTIVE and by_id[SONNET45].eol is None
    assert b.calls(operation="ListFoundationModels") == 1

    reg = Registry.default()
    # The API's exact instant (08:00 UTC) in the synced region, the bundled day elsewhere.
    assert reg.lookup(SONNET4, "us-east-1", T("2026-10-14T07:00:00")).state is State.EXTENDED_ACCESS
    assert reg.lookup(f"us.{SONNET4}", "us-east-1", T("2026-10-14T08:00:00")).state is State.EOL
    assert reg.lookup(SONNET4, "us-west-2", T("2026-10-14T07:00:00")).state is State.EOL
    # Status-only ACTIVE from the API keeps the docs' announced dates.
    s = reg.lookup(SONNET45, "us-east-1", T("2026-10-09"))
    assert s.state is State.LEGACY and s.source == "api" and s.eol_date == T("2027-04-08")


def test_regional_answers_and_status_only_legacy(bedrock: Any) -> None:
    b = bedrock
    b.add_foundation_model(HAIKU, "LEGACY", legacy_time="2026-03-10T08:00:00Z",
                           eol_time="2026-09-10T08:00:00Z", regions=["us-west-2"])
    b.add_foundation_model("acme.new-model-v1:0", "LEGACY", regions=["us-east-1"])
    report = sync.sync(["us-east-1", "us-west-2"], now=NOW)
    assert report.ok_regions == ["us-east-1", "us-west-2"]
    got = {(e.model_id, next(iter(e.regions or ()))): e for e in report.entries}
    assert (HAIKU, "us-west-2") in got and (HAIKU, "us-east-1") not in got
    assert got[("acme.new-model-v1:0", "us-east-1")].status is State.LEGACY
    # LEGACY without dates: the sync asked GetFoundationModel for them.
    assert b.calls("acme.new-model-v1:0", "GetFoundationModel") == 1
    reg = _registry()
    reg.replace_api_entries(report.entries)
    s = reg.lookup("acme.new-model-v1:0", "us-east-1", NOW)
    assert s.state is State.LEGACY and s.source == "api"
    assert reg.lookup("acme.new-model-v1:0", "us-west-2", NOW).state is State.UNKNOWN


def test_failure_keeps_last_good_data(bedrock: Any) -> None:
    b = bedrock
    first = sync.sync(["us-east-1"], now=NOW)
    assert first.ok_regions == ["us-east-1"]
    b.fail_control("ListFoundationModels", "AccessDeniedException")
    with pytest.warns(sync.CacheWarning, match="us-east-1 failed"):
        second = sync.sync(["us-east-1"], now=NOW + dt.timedelta(hours=1))
    assert second.all_failed and second.results[0].kept_previous and not second.written
    assert {e.model_id for e in second.entries} == {e.model_id for e in first.entries}
    assert "AccessDeniedException" in (second.results[0].error or "")


def test_throttling_is_retried_by_botocore(bedrock: Any) -> None:
    b = bedrock
    b.fail_control("ListFoundationModels", "ThrottlingException", times=1)
    report = sync.sync(["us-east-1"], now=NOW)
    assert report.ok_regions == ["us-east-1"]
    assert b.calls(operation="ListFoundationModels") == 2


def test_removed_model_stays_eol(bedrock: Any) -> None:
    b = bedrock
    sync.sync(["us-east-1"], now=NOW)
    b.remove_foundation_model(SONNET4)
    report = sync.sync(["us-east-1"], now=T("2026-10-15"))
    assert SONNET4 not in {e.model_id for e in report.entries}
    reg = Registry.default()
    s = reg.lookup(SONNET4, "us-east-1", T("2026-10-15"))
    assert s.state is State.EOL and s.source == "bundled"  # absence from the API is not "active"


def test_cli_sync_then_lookup(bedrock: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", "--region", "us-east-1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["regions"][0]["models"] >= 5 and out["regions"][0]["legacy"] == 1
    sync._memo.clear()
    assert main(["lookup", SONNET4, "--region", "us-east-1", "--at", "2026-10-14T07:00:00Z", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["state"] == "extended_access" and d["source"] == "api" and d["eol_date"] == "2026-10-14T08:00:00Z"
    bedrock.fail_control("*", "AccessDeniedException")
    assert main(["sync", "--region", "us-east-1", "--region", "us-west-2"]) == 1
    captured = capsys.readouterr()
    assert "FAILED" in captured.out and "every region failed" in captured.err
    assert "Traceback" not in captured.err


def test_resolver_over_http(bedrock: Any) -> None:
    b = bedrock
    app = f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/a1b2c3d4e5f6"
    prov = f"arn:aws:bedrock:us-east-1:{ACCT}:provisioned-model/abcdefabcdef"
    custom = f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model/{HAIKU}/abcdefabcdef"
    b.add_inference_profile(app, [f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET4}"])
    b.add_provisioned_model(prov, HAIKU)
    b.add_custom_model(custom, HAIKU)
    data = bundled.load()
    reg = Registry(data.entries, catalogue=data.catalogue, resolver=ControlPlaneResolver())
    at = T("2026-10-15")
    s = reg.lookup(app, "us-east-1", at)
    assert s.state is State.EOL and s.base_model_id == SONNET4 and "GetInferenceProfile" in s.note
    s = reg.lookup(prov, "us-east-1", at)
    assert s.state is State.EOL and s.base_model_id == HAIKU
    assert reg.lookup(custom, "us-east-1", at).state is State.EOL  # names its base: no call
    assert b.calls(operation="GetCustomModel") == 0
    reg.lookup(app, "us-east-1", at)
    assert b.calls(operation="GetInferenceProfile") == 1
    missing = f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/ffffffffffff"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = reg.lookup(missing, "us-east-1", at)
    assert s.state is State.UNKNOWN and "ResourceNotFoundException" in s.note


def test_cli_lookup_resolve(bedrock: Any, capsys: pytest.CaptureFixture[str]) -> None:
    app = f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/a1b2c3d4e5f6"
    bedrock.add_inference_profile(app, [f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"])
    assert main(["lookup", app, "--resolve", "--at", "2026-09-11", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["state"] == "eol" and d["base_model_id"] == HAIKU and d["region"] == "us-east-1"
