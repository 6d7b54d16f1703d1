"""Error classification: retry, fall back, or raise (messages from shared/data/service-errors.md)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    EventStreamError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.parsers import create_parser

from bedrock_lifecycle.core.classify import (
    DEFAULT_CLASSIFIER,
    Classifier,
    Disposition,
    error_code,
    normalise_code,
)

RETRY, FALLBACK, FATAL = Disposition.RETRY, Disposition.FALLBACK, Disposition.FATAL

EOL_MESSAGE = (
    "This model version has reached the end of its life. Please refer to the AWS documentation for more details."
)
LEGACY_15 = (
    "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model "
    "in the last 15 days. Please upgrade to an active model on Amazon Bedrock"
)
LEGACY_30 = LEGACY_15.replace("15 days", "30 days")
LEGACY_TRUNCATED = (
    "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model "
    "in the last 30 days. Please "
)
ON_DEMAND_TYPOGRAPHIC = (
    "Invocation of model ID amazon.nova-2-lite-v1:0 with on-demand throughput isn\u2019t supported. Retry your "
    "request with the ID or ARN of an inference profile that contains this model."
)
ON_DEMAND_PLAIN = ON_DEMAND_TYPOGRAPHIC.replace("\u2019", "'")
ON_DEMAND_OTHER = "The provided model doesn't support on-demand throughput."
INVALID_ID = "The provided model identifier is invalid."


def client_error(code: str, message: str = "", status: int = 400, op: str = "Converse") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {
                "RequestId": "5d9c7f0e-0000-4000-8000-000000000000",
                "HTTPStatusCode": status,
                "HTTPHeaders": {
                    "content-type": "application/json",
                    "x-amzn-errortype": f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/",
                },
                "RetryAttempts": 0,
            },
        },
        op,
    )


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        # transient: retry, then fall back
        ("ThrottlingException", "Too many requests, please wait before trying again.", RETRY),
        ("ModelNotReadyException", "Model is not ready for inference. Wait and try your request again.", RETRY),
        ("ServiceUnavailableException", "Service unavailable. Try again later.", RETRY),
        ("InternalServerException", "The server encountered an internal error.", RETRY),
        ("ModelTimeoutException", "Model has timed out in processing the request.", RETRY),
        ("ModelStreamErrorException", "The stream ended unexpectedly.", RETRY),
        # this target cannot serve: fall back at once
        ("AccessDeniedException", "You don't have access to the model with the specified model ID.", FALLBACK),
        ("ServiceQuotaExceededException", "Your request exceeds the service quota for your account.", FALLBACK),
        ("ResourceNotFoundException", EOL_MESSAGE, FALLBACK),
        ("ResourceNotFoundException", "This model version has reached the end of its life.", FALLBACK),
        ("ResourceNotFoundException", LEGACY_15, FALLBACK),
        ("ResourceNotFoundException", LEGACY_30, FALLBACK),
        ("ResourceNotFoundException", LEGACY_TRUNCATED, FALLBACK),
        ("ResourceNotFoundException", "Model not found.", FALLBACK),
        ("ResourceNotFoundException", "Model use case details have not been submitted for this account", FALLBACK),
        ("ValidationException", ON_DEMAND_TYPOGRAPHIC, FALLBACK),
        ("ValidationException", ON_DEMAND_PLAIN, FALLBACK),
        ("ValidationException", ON_DEMAND_OTHER, FALLBACK),
        ("ValidationException", INVALID_ID, FALLBACK),
        # the caller's own mistake: raise at once
        ("ValidationException", "Malformed input request: #: required key [messages] not found, please reformat your input and try again.", FATAL),
        ("ValidationException", "The value at messages.0.content is invalid.", FATAL),
        ("ValidationException", "A conversation must start with a user message. Try again with a conversation that starts with a user message.", FATAL),
        ("ValidationException", "", FATAL),
        ("ModelErrorException", "The model returned an error: invalid output.", FATAL),
        ("ParamValidationError", "Parameter validation failed: Missing required parameter in input: \"messages\"", FATAL),
        # a ResourceNotFound that says nothing of the model is not a model problem
        ("ResourceNotFoundException", "The async invocation was not found.", FATAL),
        ("SomethingNew", "", FATAL),
        ("", "", FATAL),
    ],
)
def test_classify_modelled_codes(code: str, message: str, expected: Disposition) -> None:
    assert DEFAULT_CLASSIFIER.classify(code, message) is expected


def test_message_patterns_apply_only_to_their_codes() -> None:
    # An EOL-sounding message under a code that is the caller's (or unknown) stays fatal.
    assert DEFAULT_CLASSIFIER.classify("ModelErrorException", EOL_MESSAGE) is FATAL
    assert DEFAULT_CLASSIFIER.classify("UnknownOperationException", INVALID_ID) is FATAL


def test_classify_matches_regardless_of_case_in_messages() -> None:
    assert DEFAULT_CLASSIFIER.classify("ResourceNotFoundException", EOL_MESSAGE.upper()) is FALLBACK


# ------------------------------------------------------------------ untyped errors


def parse_error(status: int, body: bytes, headers: dict[str, str] | None = None) -> ClientError:
    """A ClientError exactly as botocore's rest-json parser builds it from a raw response."""
    client = _client()
    shape = client.meta.service_model.operation_model("Converse").output_shape
    parsed = create_parser("rest-json").parse(
        {"status_code": status, "headers": headers or {}, "body": body}, shape
    )
    return ClientError(parsed, "Converse")


_CLIENT: list[Any] = []


def _client() -> Any:
    if not _CLIENT:
        _CLIENT.append(
            boto3.client(
                "bedrock-runtime",
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        )
    return _CLIENT[0]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, b"<html><body><b>Http/1.1 Service Unavailable</b></body></html>"),  # a proxy's page
        (502, b""),
        (504, b"<html><body>Gateway Timeout</body></html>"),
        (500, b""),
        (429, b""),  # a bare throttle without x-amzn-errortype
    ],
)
def test_untyped_transient_http_errors_are_retried(status: int, body: bytes) -> None:
    """botocore names such errors by their HTTP status; a 429 or 503 must not be fatal."""
    exc = parse_error(status, body)
    code, _ = error_code(exc)
    assert code == str(status)
    assert DEFAULT_CLASSIFIER.classify(*error_code(exc)) is RETRY


def test_typed_error_parsed_from_the_wire() -> None:
    exc = parse_error(
        404,
        b'{"message": "' + EOL_MESSAGE.encode() + b'"}',
        {"x-amzn-errortype": "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazon.bedrock/"},
    )
    assert error_code(exc) == ("ResourceNotFoundException", EOL_MESSAGE)
    assert DEFAULT_CLASSIFIER.classify(*error_code(exc)) is FALLBACK
    exc = parse_error(400, b'{"message": "bad"}', {"x-amzn-errortype": "ValidationException:http://x/"})
    assert DEFAULT_CLASSIFIER.classify(*error_code(exc)) is FATAL


# ------------------------------------------------------------------ configured


def test_configured_additions() -> None:
    c = Classifier.configured(fallback_on=["ModelErrorException", "ValidationException"])
    assert c.classify("ModelErrorException", "boom") is FALLBACK
    assert c.classify("ValidationException", "Malformed input request") is FALLBACK
    assert c.classify("ThrottlingException") is RETRY  # a retry code stays a retry code
    assert c.classify("SomethingElse") is FATAL
    # the default instance is untouched
    assert DEFAULT_CLASSIFIER.classify("ModelErrorException", "boom") is FATAL


def test_configured_removals() -> None:
    c = Classifier.configured(never=["AccessDeniedException", "ThrottlingException"])
    assert c.classify("AccessDeniedException", "denied") is FATAL
    assert c.classify("ThrottlingException", "slow down") is FATAL
    assert c.classify("ServiceQuotaExceededException") is FALLBACK
    assert c.classify("ModelTimeoutException") is RETRY


def test_never_wins_over_message_based_fallback() -> None:
    """never_fallback_on = ["ValidationException"] means a ValidationException never falls
    back, even when its message is one of the model-at-fault wordings."""
    c = Classifier.configured(never=["ValidationException"])
    assert c.classify("ValidationException", ON_DEMAND_PLAIN) is FATAL
    assert c.classify("ValidationException", INVALID_ID) is FATAL
    assert c.classify("ResourceNotFoundException", EOL_MESSAGE) is FALLBACK
    c = Classifier.configured(never=["ResourceNotFoundException"])
    assert c.classify("ResourceNotFoundException", LEGACY_30) is FATAL


def test_never_beats_fallback_on() -> None:
    c = Classifier.configured(fallback_on=["ModelErrorException"], never=["ModelErrorException"])
    assert c.classify("ModelErrorException") is FATAL


def test_configured_with_nothing_equals_default() -> None:
    c = Classifier.configured()
    for code in ("ThrottlingException", "AccessDeniedException", "ValidationException", "503", "X"):
        assert c.classify(code, INVALID_ID) is DEFAULT_CLASSIFIER.classify(code, INVALID_ID)


# ------------------------------------------------------------------ codes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("throttlingException", "ThrottlingException"),
        ("modelStreamErrorException", "ModelStreamErrorException"),
        ("ThrottlingException", "ThrottlingException"),
        ("x", "X"),
        ("", ""),
    ],
)
def test_normalise_code(raw: str, expected: str) -> None:
    assert normalise_code(raw) == expected


def test_error_code_client_error() -> None:
    exc = client_error("ResourceNotFoundException", LEGACY_15, 404)
    assert error_code(exc) == ("ResourceNotFoundException", LEGACY_15)
    # missing pieces become empty strings
    assert error_code(ClientError({"Error": {}}, "Converse")) == ("", "")
    assert error_code(ClientError({}, "Converse")) == ("", "")


@pytest.mark.parametrize(
    ("member", "expected", "disposition"),
    [
        ("throttlingException", "ThrottlingException", RETRY),
        ("modelStreamErrorException", "ModelStreamErrorException", RETRY),
        ("serviceUnavailableException", "ServiceUnavailableException", RETRY),
        ("internalServerException", "InternalServerException", RETRY),
        ("modelTimeoutException", "ModelTimeoutException", RETRY),
        ("validationException", "ValidationException", FATAL),
    ],
)
def test_error_code_event_stream_error(member: str, expected: str, disposition: Disposition) -> None:
    # botocore raises stream errors with the union member's lowercase name as the code
    exc = EventStreamError({"Error": {"Code": member, "Message": "oops"}}, "ConverseStream")
    assert error_code(exc) == (expected, "oops")
    assert DEFAULT_CLASSIFIER.classify(*error_code(exc)) is disposition


def test_error_code_plain_client_error_is_not_normalised() -> None:
    # only event-stream codes get the capital: a ClientError's code is taken as sent
    assert error_code(ClientError({"Error": {"Code": "throttlingException"}}, "Converse"))[0] == "throttlingException"


def test_error_code_transport_errors() -> None:
    read = ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com/model/x/converse")
    assert error_code(read)[0] == "ReadTimeout"
    assert "Read timeout" in error_code(read)[1]
    conn = EndpointConnectionError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")
    assert error_code(conn)[0] == "ConnectionError"
    assert "Could not connect" in error_code(conn)[1]
    assert error_code(ConnectTimeoutError(endpoint_url="https://x"))[0] == "ConnectionError"
    for exc in (read, conn):
        assert DEFAULT_CLASSIFIER.classify(*error_code(exc)) is RETRY


def test_error_code_param_validation_error_from_a_real_client() -> None:
    with pytest.raises(ParamValidationError) as info:
        _client().converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages="hello")
    code, message = error_code(info.value)
    assert code == "ParamValidationError"
    assert "messages" in message
    assert DEFAULT_CLASSIFIER.classify(code, message) is FATAL


def test_error_code_other_exceptions() -> None:
    assert error_code(ValueError("nope")) == ("ValueError", "nope")
    assert DEFAULT_CLASSIFIER.classify(*error_code(KeyError("k"))) is FATAL
