"""Control-plane resolution of identifiers that name no base model (botocore Stubber)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from bedrock_lifecycle.ids import parse_model_id
from bedrock_lifecycle.lifecycle import bundled
from bedrock_lifecycle.lifecycle.model import State
from bedrock_lifecycle.lifecycle.registry import Registry
from bedrock_lifecycle.lifecycle.resolver import ControlPlaneResolver

UTC = dt.timezone.utc
AT = dt.datetime(2026, 9, 11, tzinfo=UTC)
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
FM_ARN = f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
ACCT = "123456789012"
APP = f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/a1b2c3d4e5f6"
PROV = f"arn:aws:bedrock:us-east-1:{ACCT}:provisioned-model/abcdefabcdef"
CUSTOM = f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model/imported/abcdefabcdef"
DEPLOY = f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model-deployment/abcdefabcdef"
NOW = dt.datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
    client = session.client("bedrock", region_name="us-east-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def _profile(arn: str = APP, models: list[str] | None = None) -> dict[str, Any]:
    return {
        "inferenceProfileName": "team-a", "inferenceProfileArn": arn, "inferenceProfileId": "a1b2c3d4e5f6",
        "status": "ACTIVE", "type": "APPLICATION",
        "models": [{"modelArn": m} for m in (models or [FM_ARN, FM_ARN.replace("us-east-1", "us-west-2")])],
    }


def _registry(resolver: ControlPlaneResolver) -> Registry:
    data = bundled.load()
    return Registry(data.entries, catalogue=data.catalogue, resolver=resolver)


def test_app_profile_via_resolver(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    stub.add_response("get_inference_profile", _profile(), {"inferenceProfileIdentifier": APP})
    clock = [0.0]
    resolver = ControlPlaneResolver(lambda region: client, ttl=60, timer=lambda: clock[0])
    reg = _registry(resolver)
    s = reg.lookup(APP, "us-east-1", AT)
    assert s.state is State.EOL and s.base_model_id == HAIKU and s.model_id == APP
    assert "GetInferenceProfile" in s.note and s.eol_date is not None
    # Cached: a second lookup makes no call (the stub has no response queued).
    assert reg.lookup(APP, "us-east-1", AT).state is State.EOL
    # After the TTL it asks again.
    clock[0] = 61.0
    stub.add_response("get_inference_profile", _profile(), {"inferenceProfileIdentifier": APP})
    assert reg.lookup(APP, "us-east-1", AT).state is State.EOL


def test_provisioned_and_custom_models(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    stub.add_response("get_provisioned_model_throughput", {
        "modelUnits": 1, "desiredModelUnits": 1, "provisionedModelName": "p", "provisionedModelArn": PROV,
        "modelArn": FM_ARN, "desiredModelArn": FM_ARN, "foundationModelArn": FM_ARN, "status": "InService",
        "creationTime": NOW, "lastModifiedTime": NOW,
    }, {"provisionedModelId": PROV})
    stub.add_response("get_custom_model_deployment", {
        "customModelDeploymentArn": DEPLOY, "modelDeploymentName": "d", "modelArn": CUSTOM,
        "createdAt": NOW, "status": "Active",
    }, {"customModelDeploymentIdentifier": DEPLOY})
    stub.add_response("get_custom_model", {
        "modelArn": CUSTOM, "modelName": "c", "creationTime": NOW, "baseModelArn": FM_ARN,
    }, {"modelIdentifier": CUSTOM})
    reg = _registry(ControlPlaneResolver(lambda region: client))
    s = reg.lookup(PROV, "us-east-1", AT)
    assert s.state is State.EOL and s.base_model_id == HAIKU and "GetProvisionedModelThroughput" in s.note
    s = reg.lookup(DEPLOY, "us-east-1", AT)  # deployment -> custom model -> base model
    assert s.state is State.EOL and "GetCustomModelDeployment" in s.note and "GetCustomModel:" in s.note


def test_errors_become_unknown_and_are_cached_briefly(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    stub.add_client_error("get_inference_profile", "AccessDeniedException", "not allowed", 403)
    clock = [0.0]
    resolver = ControlPlaneResolver(lambda region: client, error_ttl=30, timer=lambda: clock[0])
    reg = _registry(resolver)
    s = reg.lookup(APP, "us-east-1", AT)
    assert s.state is State.UNKNOWN and "AccessDeniedException" in s.note and "base_model_map" in s.note
    assert reg.lookup(APP, "us-east-1", AT).state is State.UNKNOWN  # cached failure, no call
    clock[0] = 31.0
    stub.add_response("get_inference_profile", _profile(), {"inferenceProfileIdentifier": APP})
    assert reg.lookup(APP, "us-east-1", AT).state is State.EOL


def test_resolver_never_raises() -> None:
    def factory(region: str | None) -> Any:
        raise RuntimeError(f"no client for {region}")

    resolver = ControlPlaneResolver(factory)
    r = resolver.resolve(parse_model_id(APP), "us-east-1")
    assert r.base_model_id is None and "no client for us-east-1" in r.note and not r.ok
    r = resolver.resolve(parse_model_id("arn:aws:sagemaker:us-east-1:123456789012:endpoint/x"), None)
    assert r.base_model_id is None and "cannot resolve" in r.note
    assert resolver.resolve(parse_model_id(f"us.{HAIKU}"), None).base_model_id == HAIKU


def test_empty_answer(stubbed: tuple[Any, Stubber]) -> None:
    client, stub = stubbed
    stub.add_response("get_custom_model", {"modelArn": CUSTOM, "modelName": "c", "creationTime": NOW},
                      {"modelIdentifier": CUSTOM})
    reg = _registry(ControlPlaneResolver(lambda region: client))
    s = reg.lookup(CUSTOM, "us-east-1", AT)
    assert s.state is State.UNKNOWN and "returned no model ARN" in s.note


def test_session_source_uses_region_of_the_arn(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []

    class FakeSession:
        def client(self, service: str, region_name: str | None = None, config: Any = None) -> Any:
            seen.append(region_name)
            raise RuntimeError("offline")

    resolver = ControlPlaneResolver(FakeSession())
    r = resolver.resolve(parse_model_id(APP.replace("us-east-1", "eu-west-1")), "us-east-1")
    assert seen == ["eu-west-1"] and not r.ok
