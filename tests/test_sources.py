"""Configuration sources and hot reload: files, and SSM Parameter Store through moto's
server over real HTTP (the same boto3 code path as production)."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import boto3
import pytest

from bedrock_lifecycle.api import runtime_of, wrap
from bedrock_lifecycle.config.reload import ConfigReloadWarning, Reloader
from bedrock_lifecycle.config.sources import CachedSource, SSMSource, source_from
from bedrock_lifecycle.core.flow import META_KEY
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import MESSAGES, NOVA_LITE, NOVA_MICRO, NOVA_PRO, StaticRegistry

PARAM = "/myapp/bedrock-lifecycle"




@pytest.fixture
def env(moto_url: str, local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {**local_bedrock.env(), "AWS_ENDPOINT_URL_SSM": moto_url, "AWS_REGION": "us-east-1"}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    CachedSource.clear_cache()
    return values


def ssm() -> Any:
    return boto3.client("ssm", region_name="us-east-1")


def put(doc: dict[str, Any] | str, kind: str = "String") -> int:
    body = doc if isinstance(doc, str) else json.dumps(doc)
    return int(ssm().put_parameter(Name=PARAM, Value=body, Type=kind, Overwrite=True)["Version"])


def alias(model: str) -> dict[str, Any]:
    return {"aliases": {"chat": {"targets": [model]}}}


def make(env: dict[str, str], ttl: str = "0.1") -> Any:
    environ = {**env, "BEDROCK_LIFECYCLE_CONFIG": f"ssm:{PARAM}", "BEDROCK_LIFECYCLE_CONFIG_TTL": ttl}
    return wrap(boto3.client("bedrock-runtime", region_name="us-east-1"), registry=StaticRegistry(), environ=environ)


def served(c: Any) -> tuple[str, str]:
    meta = c.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"][META_KEY]
    return meta["model_id"], meta["config_version"]


def wait_for(pred: Any, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_loads_from_ssm_and_reloads_within_ttl(env: dict[str, str]) -> None:
    v1 = put(alias(NOVA_LITE))
    c = make(env)
    model, version = served(c)
    assert model == NOVA_LITE and version.startswith(f"ssm:{PARAM}:{v1}:")
    v2 = put(alias(NOVA_PRO))
    wait_for(lambda: served(c)[0] == NOVA_PRO)
    model, version = served(c)
    assert model == NOVA_PRO and version.startswith(f"ssm:{PARAM}:{v2}:")
    runtime_of(c).reloader.stop()


def test_toml_securestring_and_arn_form(env: dict[str, str]) -> None:
    put(f'[aliases.chat]\ntargets = ["{NOVA_MICRO}"]\n', kind="SecureString")
    arn = f"arn:aws:ssm:us-east-1:123456789012:parameter{PARAM}"
    environ = {**env, "BEDROCK_LIFECYCLE_CONFIG": f"ssm:{arn}"}
    src = source_from(environ["BEDROCK_LIFECYCLE_CONFIG"])
    assert isinstance(src, SSMSource) and src.region == "us-east-1"
    c = wrap(boto3.client("bedrock-runtime", region_name="us-east-1"), registry=StaticRegistry(), environ={
        **env, "BEDROCK_LIFECYCLE_CONFIG": f"ssm:{PARAM}"})
    assert served(c)[0] == NOVA_MICRO
    runtime_of(c).reloader.stop()


def test_bad_version_is_rejected_and_last_good_stays(env: dict[str, str]) -> None:
    put(alias(NOVA_LITE))
    c = make(env)
    reloader: Reloader = runtime_of(c).reloader
    reloader.stop()  # drive polls by hand for determinism
    with pytest.warns(ConfigReloadWarning, match="rejected"):
        put({"aliases": {"chat": {"targets": [{"model": NOVA_PRO, "weight": -5}]}}})
        CachedSource.clear_cache()
        assert reloader.check() is False
    assert served(c)[0] == NOVA_LITE
    with pytest.warns(ConfigReloadWarning, match="rejected"):
        put("{ this is not json")
        CachedSource.clear_cache()
        assert reloader.check() is False
    assert served(c)[0] == NOVA_LITE
    put(alias(NOVA_PRO))
    CachedSource.clear_cache()
    assert reloader.check() is True
    assert served(c)[0] == NOVA_PRO


def test_unreachable_ssm_keeps_last_good_version_and_backs_off(env: dict[str, str]) -> None:
    put(alias(NOVA_LITE))
    c = make(env)
    reloader: Reloader = runtime_of(c).reloader
    reloader.stop()
    src = reloader.source
    assert isinstance(src, SSMSource)
    src._client = boto3.client("ssm", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")  # nothing listens
    CachedSource.clear_cache()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert reloader.check() is False
        assert reloader.check() is False
    assert any(issubclass(w.category, ConfigReloadWarning) for w in seen)
    assert reloader.failures == 2 and reloader.next_delay() == pytest.approx(reloader.ttl * 4)
    assert reloader.stats().source_errors == 2
    assert served(c)[0] == NOVA_LITE  # requests never waited on SSM


def test_no_good_version_at_startup_is_a_clear_error(env: dict[str, str]) -> None:
    ssm().delete_parameters(Names=[PARAM])
    with pytest.raises(ConfigError, match=f"SSM parameter {PARAM}.*start-up"):
        make(env)


def test_bad_ttl_names_the_variable(env: dict[str, str]) -> None:
    put(alias(NOVA_LITE))
    with pytest.raises(ConfigError, match="BEDROCK_LIFECYCLE_CONFIG_TTL"):
        make(env, ttl="soon")


def test_file_source_reloads_too(tmp_path: Path, local_bedrock: LocalBedrock) -> None:
    cfg = tmp_path / "models.json"
    cfg.write_text(json.dumps(alias(NOVA_LITE)))
    environ = {**local_bedrock.env(), "BEDROCK_LIFECYCLE_CONFIG": str(cfg), "BEDROCK_LIFECYCLE_CONFIG_TTL": "0.05"}
    c = wrap(local_bedrock.runtime_client(), registry=StaticRegistry(), environ=environ)
    assert served(c)[0] == NOVA_LITE
    cfg.write_text(json.dumps(alias(NOVA_PRO)))
    wait_for(lambda: served(c)[0] == NOVA_PRO)
    runtime_of(c).reloader.stop()
