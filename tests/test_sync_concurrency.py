"""Sync under concurrency and hostile caches (issue 14, items 2 and 4).

Several ``bedrock-lifecycle sync --region R`` processes against the local Bedrock over
HTTP, released at the same instant: every region must be in the cache afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.lifecycle import sync
from bedrock_lifecycle.lifecycle.registry import Registry

server = pytest.importorskip("bedrock_lifecycle.testing.server")

REGIONS = [
    "us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
    "ap-northeast-1", "ap-southeast-2", "ca-central-1", "sa-east-1",
]

# Waits for the go file so every process reaches the read-merge-write at about the same time.
_CHILD = """
import os, sys, time
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.002)
from bedrock_lifecycle.cli import main
sys.exit(main(["sync", "--region", sys.argv[2], "--cache-dir", sys.argv[3], "--json"]))
"""


@pytest.fixture
def bedrock_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with server.LocalBedrock() as b:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BEDROCK_LIFECYCLE_"))}
        env.update(b.env())
        env["AWS_CONFIG_FILE"] = str(tmp_path / "no-config")
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "no-credentials")
        yield env


@pytest.mark.parametrize("n", [2, 4, 8])
def test_concurrent_syncs_keep_every_region(bedrock_env: dict[str, str], tmp_path: Path, n: int) -> None:
    cache = tmp_path / "cache"
    go = tmp_path / "go"
    regions = REGIONS[:n]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(go), r, str(cache)],
            env=bedrock_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for r in regions
    ]
    time.sleep(0.3 + 0.15 * n)  # let every child import and start polling
    go.touch()
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert json.loads(out)["written"] is True
    doc = json.loads((cache / sync.CACHE_FILENAME).read_text())
    assert sorted(doc["regions"]) == sorted(regions)
    for r in regions:
        assert doc["regions"][r]["models"], r


def test_a_later_sync_merges_regions_instead_of_replacing(bedrock_env: dict[str, str], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in bedrock_env.items():
        monkeypatch.setenv(k, v)
    cache = tmp_path / "c"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sync.sync(["us-east-1"], cache_dir=cache)
        sync.sync(["eu-west-1"], cache_dir=cache)
    doc = json.loads((cache / sync.CACHE_FILENAME).read_text())
    assert sorted(doc["regions"]) == ["eu-west-1", "us-east-1"]


def _hostile(path: Path, depth: int = 200_000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"schema": "bedrock-lifecycle/sync-cache", "regions": ' + "[" * depth + "]" * depth + "}")


def test_deeply_nested_cache_is_ignored_with_a_warning_and_rebuilt(
    bedrock_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bedrock_lifecycle

    for k, v in bedrock_env.items():
        monkeypatch.setenv(k, v)
    cache = tmp_path / "deep"
    monkeypatch.setenv(sync.ENV_CACHE_DIR, str(cache))
    path = cache / sync.CACHE_FILENAME
    _hostile(path)
    sync._memo.clear()
    with pytest.warns(sync.CacheWarning, match="nests 200001 levels deep"):
        reg = Registry.default()
    assert reg.api_entries == ()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sync.CacheWarning)
        client: Any = bedrock_lifecycle.client("bedrock-runtime", region_name="us-east-1")
        out = client.converse(modelId="anthropic.claude-sonnet-4-6",
                              messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    # sync rebuilds it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sync.CacheWarning)
        assert main(["sync", "--region", "us-east-1"]) == 0
    doc = json.loads(path.read_text())
    assert list(doc["regions"]) == ["us-east-1"]
    sync._memo.clear()
