"""Several worker processes serve traffic through one shared SSM configuration; a weight
change reaches all of them within the TTL, with zero failed requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from bedrock_lifecycle.testing import LocalBedrock

PARAM = "/fleet/bedrock-lifecycle"
OLD = "amazon.nova-lite-v1:0"
NEW = "amazon.nova-pro-v1:0"
TTL = 0.5
WORKERS = 3

WORKER = textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    import bedrock_lifecycle
    client = bedrock_lifecycle.client(region_name="us-east-1")
    deadline = time.time() + float(sys.argv[1])
    out = open(sys.argv[2], "w")
    while time.time() < deadline:
        t = time.time()
        try:
            r = client.converse(modelId="chat", messages=[{"role": "user", "content": [{"text": "hi"}]}])
            meta = r["ResponseMetadata"]["BedrockLifecycle"]
            out.write(json.dumps({"t": t, "model": meta["model_id"], "version": meta["config_version"]}) + "\\n")
        except Exception as exc:
            out.write(json.dumps({"t": t, "error": repr(exc)}) + "\\n")
        out.flush()
        time.sleep(0.01)
    """
)


@pytest.fixture
def fleet_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    with LocalBedrock(record=True) as bedrock:
        env = {
            **os.environ,
            **bedrock.env(),
            "AWS_ENDPOINT_URL_SSM": f"http://{host}:{port}",
            "AWS_REGION": "us-east-1",
            "BEDROCK_LIFECYCLE_CONFIG": f"ssm:{PARAM}",
            "BEDROCK_LIFECYCLE_CONFIG_TTL": str(TTL),
        }
        for k in [k for k in env if k.startswith("BEDROCK_LIFECYCLE_") and k not in (
                "BEDROCK_LIFECYCLE_CONFIG", "BEDROCK_LIFECYCLE_CONFIG_TTL")]:
            env.pop(k)
        for k, v in env.items():
            if k.startswith(("AWS_", "BEDROCK_LIFECYCLE_")):
                monkeypatch.setenv(k, v)
        yield env
    moto.stop()


def _weights(old: int, new: int) -> str:
    return json.dumps({"aliases": {"chat": {"targets": [
        {"model": OLD, "weight": old}, {"model": NEW, "weight": new}]}}})


def test_weight_change_reaches_every_process_within_ttl(fleet_env: dict[str, str], tmp_path: Path) -> None:
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name=PARAM, Value=_weights(100, 0), Type="String", Overwrite=True)
    outs = [tmp_path / f"worker{i}.jsonl" for i in range(WORKERS)]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, "6", str(out)], env=fleet_env) for out in outs]
    try:
        # Let every worker start and serve on the old version first.
        deadline = time.time() + 30
        while time.time() < deadline and not all(o.exists() and o.stat().st_size > 0 for o in outs):
            time.sleep(0.05)
        time.sleep(0.5)
        changed_at = time.time()
        ssm.put_parameter(Name=PARAM, Value=_weights(0, 100), Type="String", Overwrite=True)
    finally:
        for p in procs:
            p.wait(timeout=60)
    assert all(p.returncode == 0 for p in procs)
    for out in outs:
        rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
        errors = [r for r in rows if "error" in r]
        assert not errors, errors[:3]
        before = [r for r in rows if r["t"] < changed_at]
        assert before and all(r["model"] == OLD for r in before)
        # Within TTL (plus one poll period of slack and scheduling), every call is on the new model.
        late = [r for r in rows if r["t"] > changed_at + 2 * TTL + 0.5]
        assert late and all(r["model"] == NEW for r in late), out
        # And no call ever saw a mix: the version and the model agree.
        versions = {r["version"] for r in rows}
        assert len(versions) == 2
