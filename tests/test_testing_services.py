"""The local server's services beside Bedrock: model availability, Service Quotas, AWS Health,
through real botocore clients over HTTP, and the CBOR codec for Smithy RPC v2 clients."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from bedrock_lifecycle.testing import LocalBedrock, cbor

NOVA = "amazon.nova-lite-v1:0"
SONNET4 = "anthropic.claude-sonnet-4-20250514-v1:0"


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


# --- GetFoundationModelAvailability ---------------------------------------------------------


def test_availability_defaults_and_scripts(local_bedrock: LocalBedrock) -> None:
    control = local_bedrock.control_client()
    answer = control.get_foundation_model_availability(modelId=NOVA)
    assert answer["agreementAvailability"] == {"status": "AVAILABLE"}
    assert (answer["authorizationStatus"], answer["entitlementAvailability"]) == (
        "AUTHORIZED",
        "AVAILABLE",
    )
    local_bedrock.set_model_availability(
        NOVA, agreement="NOT_AVAILABLE", agreement_error="Offer not accepted", regions="us-east-1"
    )
    answer = control.get_foundation_model_availability(modelId=NOVA)
    assert answer["agreementAvailability"] == {
        "status": "NOT_AVAILABLE",
        "errorMessage": "Offer not accepted",
    }
    west = local_bedrock.control_client(region_name="us-west-2")
    assert west.get_foundation_model_availability(modelId=NOVA)["agreementAvailability"] == {
        "status": "AVAILABLE"
    }


def test_availability_region_follows_the_catalogue(local_bedrock: LocalBedrock) -> None:
    local_bedrock.add_foundation_model("meta.llama3-8b-instruct-v1:0", regions=["us-west-2"])
    control = local_bedrock.control_client()
    answer = control.get_foundation_model_availability(modelId="meta.llama3-8b-instruct-v1:0")
    assert answer["regionAvailability"] == "NOT_AVAILABLE"
    with pytest.raises(ClientError) as exc:
        control.get_foundation_model_availability(modelId="nobody.unknown-v1:0")
    assert _code(exc) == "ResourceNotFoundException"


def test_availability_rejects_a_bad_value(local_bedrock: LocalBedrock) -> None:
    with pytest.raises(ValueError, match="authorization must be one of"):
        local_bedrock.set_model_availability(NOVA, authorization="MAYBE")


# --- Service Quotas ---------------------------------------------------------------------------


def test_quotas_defaults_applied_and_get(local_bedrock: LocalBedrock) -> None:
    quotas = local_bedrock.client("service-quotas")
    defaults = quotas.list_aws_default_service_quotas(ServiceCode="bedrock")["Quotas"]
    names = {q["QuotaName"]: q for q in defaults}
    tokens = names["On-demand model inference tokens per minute for Amazon Nova Lite"]
    assert tokens["QuotaCode"].startswith("L-") and tokens["Value"] == 400_000
    assert quotas.list_service_quotas(ServiceCode="bedrock")["Quotas"] == []
    local_bedrock.set_applied_quota(tokens["QuotaCode"], 1_000_000)
    applied = quotas.list_service_quotas(ServiceCode="bedrock")["Quotas"]
    assert [(q["QuotaCode"], q["Value"]) for q in applied] == [(tokens["QuotaCode"], 1_000_000)]
    got = quotas.get_service_quota(ServiceCode="bedrock", QuotaCode=tokens["QuotaCode"])
    assert got["Quota"]["Value"] == 1_000_000
    with pytest.raises(ClientError) as exc:
        quotas.get_service_quota(ServiceCode="bedrock", QuotaCode="L-00000000")
    assert _code(exc) == "NoSuchResourceException"
    with pytest.raises(ClientError) as exc:
        quotas.list_service_quotas(ServiceCode="ec2")
    assert _code(exc) == "NoSuchResourceException"


def test_quotas_paginate(local_bedrock: LocalBedrock) -> None:
    quotas = local_bedrock.client("service-quotas")
    pages = quotas.get_paginator("list_aws_default_service_quotas").paginate(
        ServiceCode="bedrock", PaginationConfig={"PageSize": 5}
    )
    sizes = [len(p["Quotas"]) for p in pages]
    assert sizes[0] == 5 and sum(sizes) == 12


def test_quota_access_denied_names_the_action(local_bedrock: LocalBedrock) -> None:
    local_bedrock.fail_service_quotas("list_service_quotas", "AccessDeniedException")
    quotas = local_bedrock.client("service-quotas")
    with pytest.raises(ClientError) as exc:
        quotas.list_service_quotas(ServiceCode="bedrock")
    assert _code(exc) == "AccessDeniedException"
    assert "servicequotas:ListServiceQuotas" in str(exc.value)
    quotas.list_aws_default_service_quotas(ServiceCode="bedrock")  # other operations answer
    assert local_bedrock.calls(operation="ListServiceQuotas") == 1


# --- AWS Health -------------------------------------------------------------------------------


def test_health_events_details_entities(local_bedrock: LocalBedrock) -> None:
    arn = local_bedrock.add_health_event(
        "Claude Sonnet 4 reaches end of life on January 15, 2027.",
        entities={SONNET4: "PENDING", "anthropic.claude-3-haiku-20240307-v1:0": "RESOLVED"},
        start_time="2026-11-01",
    )
    local_bedrock.add_health_event("EC2 maintenance", service="EC2", category="scheduledChange")
    health = local_bedrock.client("health")
    events = health.describe_events(
        filter={"services": ["BEDROCK"], "eventTypeCategories": ["scheduledChange"]}
    )["events"]
    assert [e["arn"] for e in events] == [arn]
    assert events[0]["startTime"] == dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    details = health.describe_event_details(eventArns=[arn, "arn:nope"])
    assert details["successfulSet"][0]["eventDescription"]["latestDescription"].startswith("Claude")
    assert details["failedSet"][0]["eventArn"] == "arn:nope"
    entities = health.describe_affected_entities(
        filter={"eventArns": [arn], "statusCodes": ["PENDING"]}
    )["entities"]
    assert [e["entityValue"] for e in entities] == [SONNET4]


def test_health_organization_view(local_bedrock: LocalBedrock) -> None:
    arn = local_bedrock.add_health_event("x", entities=[SONNET4], account_id="210987654321")
    health = local_bedrock.client("health")
    events = health.describe_events_for_organization(filter={"services": ["BEDROCK"]})["events"]
    assert [e["arn"] for e in events] == [arn]
    pair = [{"eventArn": arn, "awsAccountId": "210987654321"}]
    details = health.describe_event_details_for_organization(organizationEventDetailFilters=pair)
    assert details["successfulSet"][0]["awsAccountId"] == "210987654321"
    entities = health.describe_affected_entities_for_organization(organizationEntityFilters=pair)
    assert [e["entityValue"] for e in entities["entities"]] == [SONNET4]


def test_health_without_a_support_plan(local_bedrock: LocalBedrock) -> None:
    local_bedrock.fail_health("*", "SubscriptionRequiredException")
    health = local_bedrock.client("health")
    with pytest.raises(ClientError) as exc:
        health.describe_events()
    assert _code(exc) == "SubscriptionRequiredException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_rpc_v2_cbor_requests_are_answered_in_cbor(local_bedrock: LocalBedrock) -> None:
    """botocore prefers JSON for Health today; a client speaking Smithy RPC v2 CBOR is answered
    in CBOR on the same routes."""
    local_bedrock.add_health_event("x", start_time="2026-11-01")
    request = urllib.request.Request(
        local_bedrock.endpoint_url + "/service/AWSHealth_20160804/operation/DescribeEvents",
        data=cbor.encode({"filter": {"services": ["BEDROCK"]}}),
        headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
        body = cbor.decode(response.read())
    assert body["events"][0]["startTime"] == dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def test_json_protocol_errors_carry_type(local_bedrock: LocalBedrock) -> None:
    local_bedrock.fail_health("DescribeEvents", "ThrottlingException")
    request = urllib.request.Request(
        local_bedrock.endpoint_url + "/",
        data=b"{}",
        headers={"X-Amz-Target": "AWSHealth_20160804.DescribeEvents"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=5)
    assert json.loads(exc.value.read())["__type"] == "ThrottlingException"


# --- CBOR -------------------------------------------------------------------------------------

_json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


@given(_json_like)
def test_cbor_round_trip(value: object) -> None:
    assert cbor.decode(cbor.encode(value)) == value


@given(
    st.lists(st.text(max_size=20), max_size=4),
    st.integers(min_value=1, max_value=100),
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)
def test_cbor_reads_what_botocore_writes(regions: list[str], size: int, when: dt.datetime) -> None:
    """A DescribeEvents request as botocore's own Smithy RPC v2 CBOR serializer writes it."""
    import botocore.session
    from botocore.serialize import RpcV2CBORSerializer

    model = botocore.session.get_session().get_service_model("health")
    params = {
        "filter": {"regions": regions, "startTimes": [{"from": when}]},
        "maxResults": size,
    }
    request = RpcV2CBORSerializer().serialize_to_request(
        params, model.operation_model("DescribeEvents")
    )
    decoded = cbor.decode(request["body"])
    assert decoded["maxResults"] == size
    assert decoded["filter"]["regions"] == regions
    sent = decoded["filter"]["startTimes"][0]["from"]
    assert abs(sent - when.replace(tzinfo=dt.timezone.utc)) < dt.timedelta(seconds=1)


def test_cbor_rejects_garbage() -> None:
    with pytest.raises(cbor.CBORError):
        cbor.decode(b"\x1c")
    with pytest.raises(cbor.CBORError):
        cbor.decode(b"\x62a")  # truncated text
    with pytest.raises(cbor.CBORError):
        cbor.decode(b"\x01\x02")  # trailing bytes


# --- the package's shape ----------------------------------------------------------------------


def test_testing_imports_only_ids_and_clock_from_the_package() -> None:
    """testing/ sits at the top layer but must not depend on the library it tests."""
    import ast
    from pathlib import Path

    import bedrock_lifecycle.testing as pkg

    allowed = ("bedrock_lifecycle.ids", "bedrock_lifecycle.clock", "bedrock_lifecycle.testing")
    seen: dict[str, list[str]] = {}
    for path in Path(pkg.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("bedrock_lifecycle") and not name.startswith(allowed):
                    seen.setdefault(path.name, []).append(name)
        assert len(path.read_text().splitlines()) <= 600, path.name
    assert seen == {}


def test_every_service_has_routes_scripts_and_an_endpoint_variable() -> None:
    from bedrock_lifecycle.testing.server import SERVICES

    names = [s.name for s in SERVICES]
    assert names[:2] == ["bedrock-runtime", "bedrock"]  # routing order: the runtime first
    assert {"servicequotas", "health"} <= set(names) and len(set(names)) == len(names)
    assert len({s.endpoint_env for s in SERVICES}) == len(SERVICES)
    operations = [op for s in SERVICES for op in s.operations]
    assert len(operations) == len(set(operations))  # calls(operation=...) stays unambiguous
