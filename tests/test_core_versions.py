"""A configuration version is a whole runtime, and the client stays a real botocore client.

- Reconfiguring builds routing, policy and registry together: ``[registry]`` overrides
  and base-model maps of the new version are in force with it, and ``config_version``
  names only a version in force.
- A patch applied to ``BaseClient._make_api_call`` after the client was created (what
  OpenTelemetry's botocore instrumentation does) still sees every request.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.client import BaseClient

from bedrock_lifecycle.api import reconfigure, runtime_of, wrap
from bedrock_lifecycle.config import Config
from bedrock_lifecycle.core.flow import META_KEY
from bedrock_lifecycle.errors import ConfigError, ModelApproachingEOLWarning, ModelEndOfLifeError
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import MESSAGES, NOVA_LITE, NOVA_PRO, at


def make(bedrock: LocalBedrock, config: dict[str, Any]) -> Any:
    return wrap(bedrock.runtime_client(), config=config, clock=lambda: at("2026-12-01"),
                environ={"BEDROCK_LIFECYCLE_METRICS": "off"})


def test_registry_overrides_of_a_new_version_are_in_force(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_PRO]}},
                       "version": "v1"})
    assert c.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"][META_KEY]["model_id"] == NOVA_LITE
    v2 = Config.model_validate({
        "version": "v2", "policy": {"on_eol": "fallback"},
        "aliases": {"chat": {"targets": [NOVA_LITE], "fallbacks": [NOVA_PRO]}},
        "registry": {"overrides": [{"model": NOVA_LITE, "eol": "2026-11-01"}]},
    })
    reconfigure(c, v2)
    r = c.converse(modelId="chat", messages=MESSAGES)
    meta = r["ResponseMetadata"][META_KEY]
    assert meta["config_version"] == "v2" and meta["model_id"] == NOVA_PRO
    assert [a["outcome"] for a in meta["attempts"]] == ["skipped", "ok"]
    assert runtime_of(c).version.registry is not None


def test_a_rejected_version_changes_nothing(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"chat": {"targets": [NOVA_LITE]}}, "version": "v1"})
    bad = Config.model_validate({
        "version": "v2", "aliases": {"chat": {"targets": [NOVA_LITE]}},
        "registry": {"overrides": [{"model": NOVA_LITE, "eol": "2026-11-01"}]},
    })
    with pytest.raises(ConfigError, match="alias 'chat'"):
        reconfigure(c, bad)  # under on_eol=error an EOL target is refused, whole version kept out
    r = c.converse(modelId="chat", messages=MESSAGES)
    assert r["ResponseMetadata"][META_KEY]["config_version"] == "v1"


def test_a_target_crossing_eol_while_running_follows_the_policy(bedrock: LocalBedrock) -> None:
    """Accepted at creation (EOL still ahead); once the date passes, on_eol=error refuses
    that key's call before sending, as resolve says."""
    now = {"t": at("2026-10-30")}
    c = wrap(bedrock.runtime_client(), clock=lambda: now["t"], environ={"BEDROCK_LIFECYCLE_METRICS": "off"},
             config={"aliases": {"chat": {"targets": [NOVA_LITE]}},
                     "registry": {"overrides": [{"model": NOVA_LITE, "eol": "2026-11-01"}]}})
    with pytest.warns(ModelApproachingEOLWarning, match="2 days left"):  # within warn_before_eol_days
        c.converse(modelId="chat", messages=MESSAGES)
    now["t"] = at("2026-11-02")
    with pytest.raises(ModelEndOfLifeError):
        c.converse(modelId="chat", messages=MESSAGES)
    assert bedrock.calls(NOVA_LITE) == 1


def test_instrumentation_patched_after_creation_still_sees_requests(bedrock: LocalBedrock,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    c = make(bedrock, {"aliases": {"chat": {"targets": [NOVA_LITE]}}})
    seen: list[tuple[str, str]] = []
    original = BaseClient._make_api_call

    def traced(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        seen.append((operation_name, api_params.get("modelId")))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", traced)  # as opentelemetry-instrumentation-botocore does
    c.converse(modelId="chat", messages=MESSAGES)
    assert seen == [("Converse", NOVA_LITE)]  # the resolved model, once per attempt


def test_response_metadata_has_the_plain_keys_plus_ours(bedrock: LocalBedrock) -> None:
    import boto3

    plain = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=bedrock.endpoint_url,
                         aws_access_key_id="x", aws_secret_access_key="x")
    expected = set(plain.converse(modelId=NOVA_LITE, messages=MESSAGES)["ResponseMetadata"])
    import bedrock_lifecycle

    c = bedrock_lifecycle.client(region_name="us-east-1", endpoint_url=bedrock.endpoint_url,
                                 aws_access_key_id="x", aws_secret_access_key="x",
                                 config={"aliases": {"chat": {"targets": [NOVA_LITE]}}}, environ={})
    meta = c.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"]
    assert set(meta) == expected | {META_KEY}
    assert meta["RetryAttempts"] == 0 and "MaxAttemptsReached" not in meta
    bedrock.fail(NOVA_LITE, "ThrottlingException", times=1)
    meta = c.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"]
    assert meta["RetryAttempts"] == 1  # the library's retry on the model that served
