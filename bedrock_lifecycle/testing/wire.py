"""What travels on the wire: the verbatim service messages, requests, responses and error bodies.

The lowest module of the local Bedrock: every service module builds its answers from these.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from bedrock_lifecycle.clock import parse_instant
from bedrock_lifecycle.testing import cbor

ACCOUNT_ID: Final = "123456789012"

# Verbatim service messages (see shared/data/service-errors.md, sections A-C).
EOL_MESSAGE: Final = (
    "This model version has reached the end of its life. "
    "Please refer to the AWS documentation for more details."
)
INVALID_MODEL_MESSAGE: Final = "The provided model identifier is invalid."


def legacy_message(days: int = 30) -> str:
    """What Bedrock answers for a Legacy model the account has not used lately (15 or 30 days seen)."""
    return (
        "Access denied. This Model is marked by provider as Legacy and you have not been actively "
        f"using the model in the last {days} days. Please upgrade to an active model on Amazon Bedrock"
    )


ERROR_STATUS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "AccessDeniedException": 403,
        "ResourceNotFoundException": 404,
        "ThrottlingException": 429,
        "ModelNotReadyException": 429,
        "ModelTimeoutException": 408,
        "InternalServerException": 500,
        "ServiceUnavailableException": 503,
        "ValidationException": 400,
        "ServiceQuotaExceededException": 400,
        "ConflictException": 400,
        "ModelErrorException": 424,
        "ModelStreamErrorException": 424,
        # Not in the Bedrock models but sent by every AWS front end.
        "UnrecognizedClientException": 403,
        "ExpiredTokenException": 403,
        "UnknownOperationException": 404,
        # Service Quotas and AWS Health.
        "NoSuchResourceException": 400,
        "TooManyRequestsException": 400,
        "IllegalArgumentException": 400,
        "ServiceException": 500,
        "SubscriptionRequiredException": 400,
        "InvalidPaginationToken": 400,
    }
)

DEFAULT_MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "AccessDeniedException": "You don't have access to the model with the specified model ID.",
        "ResourceNotFoundException": "Model not found.",
        "ThrottlingException": "Too many requests, please wait before trying again.",
        "ModelNotReadyException": "Model is not ready for inference. Wait and try your request again.",
        "ModelTimeoutException": "Model has timed out in processing the request. Try your request again.",
        "InternalServerException": (
            "The system encountered an unexpected error during processing. Try your request again."
        ),
        "ServiceUnavailableException": "Bedrock is unable to process your request.",
        "ValidationException": "Malformed input request, please reformat your input and try again.",
        "ServiceQuotaExceededException": (
            "You have exceeded the service quota for this model. Request a quota increase."
        ),
        "ConflictException": "The request conflicts with the current state of the resource.",
        "ModelErrorException": "The model returned an error while processing the request.",
        "ModelStreamErrorException": "The model stream encountered an error. Try your request again.",
        "UnrecognizedClientException": "The security token included in the request is invalid.",
        "ExpiredTokenException": "The security token included in the request is expired",
        "UnknownOperationException": "Unknown operation.",
        "NoSuchResourceException": "The specified resource does not exist.",
        "TooManyRequestsException": "Rate exceeded",
        "IllegalArgumentException": "Invalid input.",
        "ServiceException": "Something went wrong.",
        "SubscriptionRequiredException": (
            "The AWS Premium Support Subscription is required to use this service."
        ),
        "InvalidPaginationToken": "The specified pagination token is not valid.",
    }
)

_ERROR_TYPE_SUFFIX: Final = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

# Wire protocols, as botocore's service models name them.
REST_JSON: Final = "rest-json"
JSON: Final = "json"  # POST / with X-Amz-Target: Prefix.Operation
RPC_V2_CBOR: Final = "smithy-rpc-v2-cbor"  # POST /service/Prefix/operation/Operation
_CBOR_HEADERS: Final = (("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"))


@dataclasses.dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server saw it (model ID URL-decoded, header names lower-case)."""

    operation: str  # botocore operation name, e.g. "Converse"; "Unknown" for a route we lack
    model_id: str | None
    body: dict[str, Any] | bytes  # parsed JSON object, else the raw bytes; {} when empty
    headers: dict[str, str]
    at: float  # time.time() on arrival
    service: str = "bedrock-runtime"  # or "bedrock"
    region: str = "us-east-1"  # from the SigV4 credential scope
    status: int = 200  # what the server answered (200 for a stream that failed mid-way)
    error_code: str | None = None  # "ThrottlingException", or "throttlingException" mid-stream
    path: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """One parsed request, as every route handler receives it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any] | bytes
    region: str
    segments: tuple[str, ...] = ()  # the path's labels, each URL-decoded

    @property
    def target(self) -> str:
        """``X-Amz-Target`` (``Service_Version.Operation``) of a JSON-protocol call, else ''."""
        return self.headers.get("x-amz-target", "")

    @property
    def protocol(self) -> str:
        """The wire protocol the client spoke (answers go back in it)."""
        if self.target:
            return JSON
        if self.headers.get("smithy-protocol") == "rpc-v2-cbor":
            return RPC_V2_CBOR
        return REST_JSON

    @property
    def json(self) -> dict[str, Any]:
        """The body when it is a JSON object, else ``{}``."""
        return self.body if isinstance(self.body, dict) else {}


@dataclasses.dataclass(slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    reset: bool = False  # no answer: the connection is reset (RST) instead


# The code a scripted connection reset is recorded with (status 0: nothing was answered).
CONNECTION_RESET: Final = "ConnectionReset"


@dataclasses.dataclass(slots=True)
class Fault:
    """A scripted (or built-in) error answer."""

    code: str
    message: str
    status: int
    remaining: int | None  # None: for ever
    retry_after: float | None = None
    operations: frozenset[str] | None = None


def error_code(code: str, status: int | None) -> tuple[str, int]:
    """Accept ``ThrottlingException``, ``throttlingException`` or ``Throttling``."""
    name = code[:1].upper() + code[1:]
    if name not in ERROR_STATUS and name + "Exception" in ERROR_STATUS:
        name += "Exception"
    if status is not None:
        return name, status
    if name not in ERROR_STATUS:
        raise ValueError(
            f"unknown error code {code!r}: pass status= for a custom code, or use one of "
            f"{', '.join(ERROR_STATUS)}"
        )
    return name, ERROR_STATUS[name]


def fault(code: str, message: str | None = None) -> Fault:
    name, status = error_code(code, None)
    return Fault(name, message or DEFAULT_MESSAGES.get(name, name), status, None)


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), default=_epoch).encode("utf-8")


def _epoch(value: Any) -> float:
    """JSON-protocol timestamps are epoch seconds (rest-json answers carry ISO strings)."""
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_response(obj: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, [("Content-Type", "application/json"), *headers], dumps(obj))


def respond(obj: Any, protocol: str = REST_JSON) -> Response:
    """A successful answer in ``protocol`` (rest-json, json or rpc-v2-cbor)."""
    if protocol == RPC_V2_CBOR:
        return Response(200, [*_CBOR_HEADERS], cbor.encode(obj))
    if protocol == JSON:
        return Response(200, [("Content-Type", "application/x-amz-json-1.1")], dumps(obj))
    return json_response(obj)


def error_response(failure: Fault, protocol: str = REST_JSON) -> Response:
    """The error as AWS front ends send it in ``protocol``. Besides rest-json's
    ``x-amzn-ErrorType`` header, json and rpc-v2-cbor name the code as ``__type`` in the body
    (where botocore's parsers for them look)."""
    headers = [("x-amzn-ErrorType", failure.code + _ERROR_TYPE_SUFFIX)]
    if failure.retry_after is not None:
        headers.append(("Retry-After", str(max(0, math.ceil(failure.retry_after)))))
        headers.append(("x-amz-retry-after", str(max(0, int(failure.retry_after * 1000)))))
    body: dict[str, str] = {"message": failure.message}
    if protocol == REST_JSON:
        return Response(
            failure.status, [("Content-Type", "application/json"), *headers], dumps(body)
        )
    body = {"__type": failure.code, **body}
    if protocol == RPC_V2_CBOR:
        return Response(failure.status, [*_CBOR_HEADERS, *headers], cbor.encode(body))
    return Response(
        failure.status, [("Content-Type", "application/x-amz-json-1.1"), *headers], dumps(body)
    )


def parse_body(raw: bytes, content_type: str = "") -> dict[str, Any] | bytes:
    if not raw:
        return {}
    if content_type.startswith("application/cbor"):
        try:
            value = cbor.decode(raw)
        except (cbor.CBORError, UnicodeDecodeError):
            return raw
        return value if isinstance(value, dict) else raw
    if raw[:1] in (b"{", b" ", b"\n", b"\t", b"\r"):
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(value, dict):
            return value
    return raw


def page(
    items: list[dict[str, Any]], query: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One page of ``items`` by ``nextToken``/``maxResults`` (query string or JSON body)."""
    start = int(query.get("nextToken") or query.get("NextToken") or 0)
    size = int(query.get("maxResults") or query.get("MaxResults") or 1000)
    end = start + size
    return items[start:end], ({"nextToken": str(end)} if end < len(items) else {})


# --- times and ARNs -----------------------------------------------------------------------

Instant = _dt.datetime | _dt.date | str


def instant(value: Instant, field: str) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc)
    return parse_instant(value, field=field)


def iso(value: _dt.datetime) -> str:
    return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now_iso() -> str:
    return iso(_dt.datetime.now(_dt.timezone.utc))


def fm_arn(model: str, region: str) -> str:
    return (
        model if model.startswith("arn:") else f"arn:aws:bedrock:{region}::foundation-model/{model}"
    )


def arn_resource(identifier: str) -> str:
    """``arn:aws:bedrock:r:a:type/res/x`` -> ``res/x``; a plain ID unchanged."""
    if identifier.startswith("arn:"):
        return identifier.split(":", 5)[-1].partition("/")[2]
    return identifier
