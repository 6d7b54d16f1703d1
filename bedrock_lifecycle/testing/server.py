"""A local Amazon Bedrock (runtime and control plane) that the real botocore client talks to.

One ``ThreadingHTTPServer`` on 127.0.0.1 answers both ``bedrock-runtime`` and ``bedrock``
(rest-json: the routes do not overlap). Behaviour is scripted per model ID exactly as it
appears on the wire (URL-decoded); ``"*"`` scripts every model. Every answer is built in
memory and written with one ``send`` and a ``Content-Length``, so keep-alive works and
nothing waits on Nagle's algorithm.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as _dt
import hashlib
import http
import json
import math
import re
import secrets
import socket
import socketserver
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType, TracebackType
from typing import Any, Final
from urllib.parse import parse_qs, unquote

from bedrock_lifecycle.clock import parse_instant
from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.testing import eventstream as es

__all__ = [
    "ACCOUNT_ID",
    "CONTROL_OPERATIONS",
    "DEFAULT_MESSAGES",
    "EOL_MESSAGE",
    "ERROR_STATUS",
    "INVALID_MODEL_MESSAGE",
    "RUNTIME_OPERATIONS",
    "LocalBedrock",
    "RecordedRequest",
    "legacy_message",
]

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
    }
)

RUNTIME_OPERATIONS: Final = (
    "Converse",
    "ConverseStream",
    "InvokeModel",
    "InvokeModelWithResponseStream",
    "CountTokens",
    "StartAsyncInvoke",
    "GetAsyncInvoke",
    "ListAsyncInvokes",
    "ApplyGuardrail",
)
CONTROL_OPERATIONS: Final = (
    "ListFoundationModels",
    "GetFoundationModel",
    "ListInferenceProfiles",
    "GetInferenceProfile",
    "GetProvisionedModelThroughput",
    "GetCustomModel",
)
_STREAMING: Final = frozenset({"ConverseStream", "InvokeModelWithResponseStream"})
_SNAKE: Final = {
    re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower(): op
    for op in RUNTIME_OPERATIONS + CONTROL_OPERATIONS
}
_ERROR_TYPE_SUFFIX: Final = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
_CREDENTIAL_RE: Final = re.compile(r"Credential=[^/,]*/\d{8}/([^/,]+)/")
_WORDS_RE: Final = re.compile(r"\S+\s*|\s+")
_HANG_SECONDS: Final = math.inf


def _operation(name: str, allowed: Sequence[str]) -> str:
    op = name if name in allowed else _SNAKE.get(name, "")
    if op not in allowed:
        raise ValueError(f"unknown operation {name!r}; expected one of {', '.join(allowed)}")
    return op


def _operations(names: str | Iterable[str] | None) -> frozenset[str] | None:
    if names is None:
        return None
    items = [names] if isinstance(names, str) else list(names)
    return frozenset(_operation(n, RUNTIME_OPERATIONS) for n in items)


def _error_code(code: str, status: int | None) -> tuple[str, int]:
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


def _stream_exception_type(code: str) -> str:
    name = code[:1].lower() + code[1:]
    return name if name.endswith("Exception") else name + "Exception"


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


# --- scripts -------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Reply:
    text: str | Callable[[RecordedRequest], str] | None
    stop_reason: str
    input_tokens: int | None
    output_tokens: int | None
    latency: float


@dataclasses.dataclass(slots=True)
class _Fault:
    code: str
    message: str
    status: int
    remaining: int | None  # None: for ever
    retry_after: float | None = None
    operations: frozenset[str] | None = None


@dataclasses.dataclass(slots=True)
class _StreamFault:
    exception_type: str
    message: str
    after_events: int
    remaining: int | None
    operations: frozenset[str] | None = None


@dataclasses.dataclass(slots=True)
class _Delay:
    seconds: float
    remaining: int | None
    operations: frozenset[str] | None = None


_INVALID_MODEL: Final = _Fault("ValidationException", INVALID_MODEL_MESSAGE, 400, None)


def _take(table: dict[str, list[Any]], keys: Iterable[str], op: str) -> Any:
    """Consume the first entry (FIFO) that applies to ``op``; the caller holds the lock."""
    for key in keys:
        entries = table.get(key)
        if not entries:
            continue
        for i, entry in enumerate(entries):
            if entry.operations is None or op in entry.operations:
                if entry.remaining is not None:
                    entry.remaining -= 1
                    if entry.remaining <= 0:
                        del entries[i]
                return entry
    return None


# --- control-plane catalogue --------------------------------------------------------------

_PROVIDER_NAMES: Final = {
    "ai21": "AI21 Labs",
    "amazon": "Amazon",
    "anthropic": "Anthropic",
    "cohere": "Cohere",
    "deepseek": "DeepSeek",
    "meta": "Meta",
    "mistral": "Mistral AI",
    "openai": "OpenAI",
    "qwen": "Qwen",
    "stability": "Stability AI",
    "writer": "Writer",
}
# Regions a system-defined cross-region profile routes to, by its prefix.
_GEOGRAPHY_REGIONS: Final = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-west-1", "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-southeast-1", "ap-southeast-2"),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1",),
    "us-gov": ("us-gov-west-1", "us-gov-east-1"),
    "global": ("us-east-1", "us-east-2", "us-west-2"),
}
_LIFECYCLE_FIELDS: Final = (
    ("start_time", "startOfLifeTime"),
    ("legacy_time", "legacyTime"),
    ("extended_access_time", "publicExtendedAccessTime"),
    ("eol_time", "endOfLifeTime"),
)

Instant = _dt.datetime | _dt.date | str


def _instant(value: Instant, field: str) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc)
    return parse_instant(value, field=field)


def _iso(value: _dt.datetime) -> str:
    return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _fm_arn(model: str, region: str) -> str:
    return (
        model if model.startswith("arn:") else f"arn:aws:bedrock:{region}::foundation-model/{model}"
    )


def _arn_resource(identifier: str) -> str:
    """``arn:aws:bedrock:r:a:type/res/x`` -> ``res/x``; a plain ID unchanged."""
    if identifier.startswith("arn:"):
        return identifier.split(":", 5)[-1].partition("/")[2]
    return identifier


@dataclasses.dataclass(frozen=True, slots=True)
class _FoundationModel:
    model_id: str
    status: str
    lifecycle: tuple[tuple[str, _dt.datetime], ...]
    regions: frozenset[str] | None
    name: str
    provider: str
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    inference_types: tuple[str, ...]
    customizations: tuple[str, ...]
    streaming: bool

    def summary(self, region: str) -> dict[str, Any]:
        lifecycle: dict[str, Any] = {"status": self.status}
        lifecycle.update((key, _iso(value)) for key, value in self.lifecycle)
        return {
            "modelArn": _fm_arn(self.model_id, region),
            "modelId": self.model_id,
            "modelName": self.name,
            "providerName": self.provider,
            "inputModalities": list(self.input_modalities),
            "outputModalities": list(self.output_modalities),
            "responseStreamingSupported": self.streaming,
            "customizationsSupported": list(self.customizations),
            "inferenceTypesSupported": list(self.inference_types),
            "modelLifecycle": lifecycle,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class _Profile:
    profile_id: str
    arn: str | None  # None: built from the request region
    models: tuple[str, ...] | None  # None: derived from the ID's geography
    type: str
    name: str
    description: str
    created: _dt.datetime

    def describe(self, region: str) -> dict[str, Any]:
        arn = (
            self.arn or f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:inference-profile/{self.profile_id}"
        )
        if self.models is not None:
            models = [_fm_arn(m, region) for m in self.models]
        else:
            parsed = parse_model_id(self.profile_id)
            regions = _GEOGRAPHY_REGIONS.get(parsed.geography or "", (region,))
            models = [_fm_arn(parsed.base_model_id or "", r) for r in regions]
        return {
            "inferenceProfileName": self.name,
            "description": self.description,
            "createdAt": _iso(self.created),
            "updatedAt": _iso(self.created),
            "inferenceProfileArn": arn,
            "models": [{"modelArn": m} for m in models],
            "inferenceProfileId": self.profile_id,
            "status": "ACTIVE",
            "type": self.type,
        }


_CATALOGUE_CREATED: Final = _dt.datetime(2025, 1, 1, tzinfo=_dt.timezone.utc)

# A snapshot shaped like real answers around 2026-09-26 (service-errors.md section D): dates
# only where the API shows them; amazon.nova-* carry the older status-only shape on purpose.
_DEFAULT_MODELS: Final[tuple[dict[str, Any], ...]] = (
    {
        "model_id": "anthropic.claude-sonnet-4-20250514-v1:0",
        "status": "LEGACY",
        "name": "Claude Sonnet 4",
        "start_time": "2025-05-22T00:00:00+00:00",
        "legacy_time": "2026-04-14T08:00:00+00:00",
        "extended_access_time": "2026-07-14T08:00:00+00:00",
        "eol_time": "2026-10-14T08:00:00+00:00",
        "input_modalities": ("TEXT", "IMAGE"),
        "inference_types": ("INFERENCE_PROFILE",),
    },
    {
        "model_id": "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "name": "Claude Sonnet 4.5",
        "start_time": "2025-09-29T00:00:00+00:00",
        "input_modalities": ("TEXT", "IMAGE"),
        "inference_types": ("INFERENCE_PROFILE",),
    },
    {
        "model_id": "anthropic.claude-sonnet-4-6",
        "name": "Claude Sonnet 4.6",
        "start_time": "2026-02-17T18:00:00+00:00",
        "input_modalities": ("TEXT", "IMAGE"),
        "inference_types": ("INFERENCE_PROFILE",),
    },
    {
        "model_id": "amazon.nova-lite-v1:0",
        "name": "Nova Lite",
        "input_modalities": ("TEXT", "IMAGE"),
    },
    {"model_id": "amazon.nova-micro-v1:0", "name": "Nova Micro"},
)
_DEFAULT_PROFILES: Final = (
    "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.anthropic.claude-sonnet-4-6",
    "us.amazon.nova-lite-v1:0",
)


def _foundation_model(
    model_id: str,
    status: str = "ACTIVE",
    *,
    legacy_time: Instant | None = None,
    extended_access_time: Instant | None = None,
    eol_time: Instant | None = None,
    start_time: Instant | None = None,
    regions: Iterable[str] | None = None,
    name: str | None = None,
    provider: str | None = None,
    input_modalities: Sequence[str] = ("TEXT",),
    output_modalities: Sequence[str] = ("TEXT",),
    inference_types: Sequence[str] = ("ON_DEMAND",),
    customizations: Sequence[str] = (),
    streaming: bool = True,
) -> _FoundationModel:
    status = status.upper()
    if status not in ("ACTIVE", "LEGACY"):
        raise ValueError(f"status must be ACTIVE or LEGACY (the API has no other), got {status!r}")
    dates = {
        "start_time": start_time,
        "legacy_time": legacy_time,
        "extended_access_time": extended_access_time,
        "eol_time": eol_time,
    }
    lifecycle = tuple(
        (key, _instant(value, arg))
        for arg, key in _LIFECYCLE_FIELDS
        if (value := dates[arg]) is not None
    )
    prefix = model_id.partition(".")[0]
    return _FoundationModel(
        model_id=model_id,
        status=status,
        lifecycle=lifecycle,
        regions=None
        if regions is None
        else frozenset([regions] if isinstance(regions, str) else regions),
        name=name or model_id.partition(".")[2] or model_id,
        provider=provider or _PROVIDER_NAMES.get(prefix, prefix.capitalize()),
        input_modalities=tuple(input_modalities),
        output_modalities=tuple(output_modalities),
        inference_types=tuple(inference_types),
        customizations=tuple(customizations),
        streaming=streaming,
    )


def _profile(
    profile_id_or_arn: str, models: Iterable[str] | None, name: str | None, description: str | None
) -> _Profile:
    arn: str | None = None
    profile_id = profile_id_or_arn
    kind = "SYSTEM_DEFINED"
    if profile_id_or_arn.startswith("arn:"):
        arn = profile_id_or_arn
        resource_type = profile_id_or_arn.split(":", 5)[-1].partition("/")[0]
        profile_id = _arn_resource(profile_id_or_arn)
        if resource_type == "application-inference-profile":
            kind = "APPLICATION"
    model_list = None if models is None else tuple([models] if isinstance(models, str) else models)
    if model_list is None:
        try:
            parsed = parse_model_id(profile_id)
        except ModelIdError:
            parsed = None
        if parsed is None or parsed.kind != "inference-profile":
            raise ValueError(
                f"pass models= for {profile_id_or_arn!r}: only a cross-region profile ID "
                "('us.anthropic...') names its model"
            )
    geo, _, rest = profile_id.partition(".")
    return _Profile(
        profile_id=profile_id,
        arn=arn,
        models=model_list,
        type=kind,
        name=name or (f"{geo.upper()} {rest}" if kind == "SYSTEM_DEFINED" else profile_id),
        description=description or f"Routes requests to {rest or profile_id}.",
        created=_CATALOGUE_CREATED,
    )


# --- responses ----------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class _Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def _json_response(
    obj: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()
) -> _Response:
    return _Response(status, [("Content-Type", "application/json"), *headers], _dumps(obj))


def _error_response(fault: _Fault) -> _Response:
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", fault.code + _ERROR_TYPE_SUFFIX),
    ]
    if fault.retry_after is not None:
        headers.append(("Retry-After", str(max(0, math.ceil(fault.retry_after)))))
        headers.append(("x-amz-retry-after", str(max(0, int(fault.retry_after * 1000)))))
    return _Response(fault.status, headers, _dumps({"message": fault.message}))


def _fault(code: str, message: str | None = None) -> _Fault:
    name, status = _error_code(code, None)
    return _Fault(name, message or DEFAULT_MESSAGES.get(name, name), status, None)


def _chars(obj: Any) -> int:
    """Characters of text in a JSON value: the base of every token estimate."""
    if isinstance(obj, str):
        return len(obj)
    if isinstance(obj, dict):
        return sum(_chars(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(_chars(v) for v in obj)
    return 0


def _tokens(chars: int) -> int:
    return max(1, (chars + 3) // 4)


def _converse_input_tokens(request: Mapping[str, Any]) -> int:
    return _tokens(_chars(request.get("messages")) + _chars(request.get("system")))


def _invoke_input_tokens(body: dict[str, Any] | bytes) -> int:
    return _tokens(len(body) if isinstance(body, bytes) else _chars(body))


def _chunks(text: str, words: int = 2) -> list[str]:
    parts = _WORDS_RE.findall(text)
    if not parts:
        return [text]
    return ["".join(parts[i : i + words]) for i in range(0, len(parts), words)]


def _parse_body(raw: bytes) -> dict[str, Any] | bytes:
    if not raw:
        return {}
    if raw[:1] in (b"{", b" ", b"\n", b"\t", b"\r"):
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(value, dict):
            return value
    return raw


@dataclasses.dataclass(frozen=True, slots=True)
class _Generation:
    text: str
    stop_reason: str
    input_tokens: int
    output_tokens: int
    latency_ms: int


# --- the application ----------------------------------------------------------------------


class _App:
    """All state and request handling; the HTTP layer only moves bytes."""

    def __init__(self, region: str, catalogue: bool, record: bool = True) -> None:
        self.default_region = region
        self.with_catalogue = catalogue
        self.record = record
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopped = False
        self._init_state()

    def _init_state(self) -> None:
        self.records: list[RecordedRequest] = []
        self.scripted: set[str] = set()
        self.replies: dict[str, _Reply] = {}
        self.faults: dict[str, list[_Fault]] = {}
        self.stream_faults: dict[str, list[_StreamFault]] = {}
        self.delays: dict[str, list[_Delay]] = {}
        self.control_faults: dict[str, list[_Fault]] = {}
        self.control_delays: dict[str, list[_Delay]] = {}
        self.eol_ids: set[str] = set()
        self.models: dict[tuple[str, frozenset[str] | None], _FoundationModel] = {}
        self.profiles: dict[str, _Profile] = {}
        self.provisioned: dict[str, dict[str, Any]] = {}
        self.custom: dict[str, dict[str, Any]] = {}
        self.async_jobs: dict[str, dict[str, Any]] = {}
        self.async_tokens: dict[str, str] = {}
        self.async_default: tuple[str, str | None] = ("Completed", None)
        if self.with_catalogue:
            for spec in _DEFAULT_MODELS:
                model = _foundation_model(**spec)
                self.models[(model.model_id, None)] = model
            for pid in _DEFAULT_PROFILES:
                self.profiles[pid] = _profile(pid, None, self.profile_name(pid), None)

    def profile_name(self, profile_id: str) -> str | None:
        """``US Anthropic Claude Sonnet 4``, as AWS names system profiles, when the base model
        is catalogued; the caller holds the lock (or is initialising)."""
        try:
            parsed = parse_model_id(profile_id)
        except ModelIdError:
            return None
        model = self.models.get((parsed.base_model_id or "", None))
        if model is None or parsed.geography is None:
            return None
        return f"{parsed.geography.upper()} {model.provider} {model.name}"

    def reset(self) -> None:
        with self.lock:
            # Release handlers parked in delay()/hang() so they finish before the next test.
            old, self.wake = self.wake, threading.Event()
            self._init_state()
        old.set()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            wake = self.wake
        wake.set()

    # -- entry point

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes) -> _Response:
        path, _, query_string = raw_path.partition("?")
        # Split before decoding: ARNs travel with "/" as %2F inside one label.
        seg = [unquote(s) for s in path.split("/")[1:]]
        query = {k: v[0] for k, v in parse_qs(query_string).items()} if query_string else {}
        match = _CREDENTIAL_RE.search(headers.get("authorization", ""))
        region = match.group(1) if match else self.default_region
        try:
            ctx = _Request(method, path, query, headers, raw, _parse_body(raw), region)
            return self._route(ctx, seg)
        except Exception as exc:  # a bug here must answer, not hang the client
            return _error_response(
                _Fault(
                    "InternalServerException",
                    f"local bedrock: {type(exc).__name__}: {exc}",
                    500,
                    None,
                )
            )

    def _route(self, ctx: _Request, seg: list[str]) -> _Response:
        n = len(seg)
        if ctx.method == "POST":
            if n == 3 and seg[0] == "model" and seg[2] in _MODEL_ROUTES:
                return self._model_call(ctx, _MODEL_ROUTES[seg[2]], seg[1])
            if n == 1 and seg[0] == "async-invoke":
                model_id = ctx.body.get("modelId") if isinstance(ctx.body, dict) else None
                return self._model_call(ctx, "StartAsyncInvoke", str(model_id or ""))
            if n == 5 and seg[0] == "guardrail" and seg[2] == "version" and seg[4] == "apply":
                return self._model_call(ctx, "ApplyGuardrail", None)
        elif ctx.method == "GET":
            if seg[0] == "async-invoke" and n <= 2:
                if n == 2:
                    return self._model_call(ctx, "GetAsyncInvoke", None, seg[1])
                return self._model_call(ctx, "ListAsyncInvokes", None)
            if n <= 2 and seg[0] in _CONTROL_ROUTES:
                op = _CONTROL_ROUTES[seg[0]][n - 1]
                if op is not None:
                    return self._control_call(ctx, op, seg[1] if n == 2 else None)
        with self.lock:
            self._record(ctx, "Unknown", None, "bedrock-runtime", 404, "UnknownOperationException")
        return _error_response(_fault("UnknownOperationException"))

    def _record(
        self,
        ctx: _Request,
        op: str,
        model_id: str | None,
        service: str,
        status: int,
        code: str | None,
    ) -> RecordedRequest:
        rec = RecordedRequest(
            op,
            model_id,
            ctx.body,
            ctx.headers,
            time.time(),
            service,
            ctx.region,
            status,
            code,
            ctx.path,
        )
        if self.record:
            self.records.append(rec)
        return rec

    def _sleep(self, wake: threading.Event, seconds: float) -> None:
        if seconds > 0:
            wake.wait(None if math.isinf(seconds) else seconds)

    # -- runtime

    def _model_call(
        self, ctx: _Request, op: str, model_id: str | None, target: str | None = None
    ) -> _Response:
        keys = ("*",) if model_id is None else (model_id, "*")
        with self.lock:
            fault: _Fault | None = None
            if model_id is not None and model_id not in self.scripted and not _plausible(model_id):
                fault = _INVALID_MODEL
            else:
                fault = _take(self.faults, keys, op)
            stream_fault: _StreamFault | None = None
            if fault is None and op in _STREAMING:
                stream_fault = _take(self.stream_faults, keys, op)
            delay: _Delay | None = _take(self.delays, keys, op)
            reply = (
                None if model_id is None else self.replies.get(model_id) or self.replies.get("*")
            )
            wake = self.wake
            rec = self._record(
                ctx,
                op,
                model_id,
                "bedrock-runtime",
                fault.status if fault else 200,
                fault.code if fault else stream_fault.exception_type if stream_fault else None,
            )
        seconds = delay.seconds if delay else 0.0
        if fault is None and reply is not None:
            seconds += reply.latency
        self._sleep(wake, seconds)
        if fault is not None:
            return _error_response(fault)
        if op == "Converse":
            return self._converse(ctx, rec, reply)
        if op == "ConverseStream":
            return self._converse_stream(ctx, rec, reply, stream_fault)
        if op == "InvokeModel":
            return self._invoke(ctx, rec, reply)
        if op == "InvokeModelWithResponseStream":
            return self._invoke_stream(ctx, rec, reply, stream_fault)
        if op == "CountTokens":
            return self._count_tokens(ctx, reply)
        if op == "StartAsyncInvoke":
            return self._start_async(ctx, model_id or "")
        if op == "GetAsyncInvoke":
            return self._get_async(target or "")
        if op == "ListAsyncInvokes":
            return self._list_async(ctx)
        return self._apply_guardrail()

    def _generation(
        self, raw: bytes, rec: RecordedRequest, reply: _Reply | None, input_tokens: int
    ) -> _Generation:
        model_id = rec.model_id or ""
        text: str
        if reply is not None and reply.text is not None:
            text = reply.text(rec) if callable(reply.text) else reply.text
        else:
            digest = hashlib.blake2s(raw, digest_size=4).hexdigest()
            text = f"[{model_id}] Hello from local Bedrock, reply {digest}."
        if reply is not None and reply.input_tokens is not None:
            input_tokens = reply.input_tokens
        output_tokens = _tokens(len(text))
        if reply is not None and reply.output_tokens is not None:
            output_tokens = reply.output_tokens
        return _Generation(
            text,
            reply.stop_reason if reply else "end_turn",
            input_tokens,
            output_tokens,
            round(reply.latency * 1000) if reply else 0,
        )

    def _converse(self, ctx: _Request, rec: RecordedRequest, reply: _Reply | None) -> _Response:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        gen = self._generation(ctx.raw, rec, reply, _converse_input_tokens(body))
        return _json_response(
            {
                "output": {"message": {"role": "assistant", "content": [{"text": gen.text}]}},
                "stopReason": gen.stop_reason,
                "usage": _usage(gen),
                "metrics": {"latencyMs": gen.latency_ms},
            }
        )

    def _converse_stream(
        self, ctx: _Request, rec: RecordedRequest, reply: _Reply | None, fault: _StreamFault | None
    ) -> _Response:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        gen = self._generation(ctx.raw, rec, reply, _converse_input_tokens(body))
        events = [es.event("messageStart", {"role": "assistant"})]
        events += [
            es.event("contentBlockDelta", {"delta": {"text": piece}, "contentBlockIndex": 0})
            for piece in _chunks(gen.text)
        ]
        events.append(es.event("contentBlockStop", {"contentBlockIndex": 0}))
        events.append(es.event("messageStop", {"stopReason": gen.stop_reason}))
        events.append(
            es.event("metadata", {"usage": _usage(gen), "metrics": {"latencyMs": gen.latency_ms}})
        )
        return _stream_response(events, fault)

    def _invoke_payloads(
        self, ctx: _Request, rec: RecordedRequest, reply: _Reply | None
    ) -> tuple[_Generation, bool]:
        gen = self._generation(ctx.raw, rec, reply, _invoke_input_tokens(ctx.body))
        return gen, _anthropic_style(rec.model_id or "", ctx.body)

    def _invoke(self, ctx: _Request, rec: RecordedRequest, reply: _Reply | None) -> _Response:
        gen, anthropic = self._invoke_payloads(ctx, rec, reply)
        payload: dict[str, Any]
        if anthropic:
            payload = {
                "id": "msg_bdrk_" + hashlib.blake2s(gen.text.encode(), digest_size=12).hexdigest(),
                "type": "message",
                "role": "assistant",
                "model": rec.model_id,
                "content": [{"type": "text", "text": gen.text}],
                "stop_reason": gen.stop_reason,
                "stop_sequence": None,
                "usage": {"input_tokens": gen.input_tokens, "output_tokens": gen.output_tokens},
            }
        else:
            payload = {
                "outputText": gen.text,
                "model": rec.model_id,
                "stopReason": gen.stop_reason,
                "inputTokens": gen.input_tokens,
                "outputTokens": gen.output_tokens,
            }
        return _json_response(payload, headers=_token_headers(gen))

    def _invoke_stream(
        self, ctx: _Request, rec: RecordedRequest, reply: _Reply | None, fault: _StreamFault | None
    ) -> _Response:
        gen, anthropic = self._invoke_payloads(ctx, rec, reply)
        metrics = {
            "inputTokenCount": gen.input_tokens,
            "outputTokenCount": gen.output_tokens,
            "invocationLatency": gen.latency_ms,
            "firstByteLatency": gen.latency_ms,
        }
        pieces = _chunks(gen.text)
        parts: list[dict[str, Any]]
        if anthropic:
            parts = [
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_bdrk_"
                        + hashlib.blake2s(gen.text.encode(), digest_size=12).hexdigest(),
                        "type": "message",
                        "role": "assistant",
                        "model": rec.model_id,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": gen.input_tokens, "output_tokens": 1},
                    },
                },
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
                *(
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": p},
                    }
                    for p in pieces
                ),
                {"type": "content_block_stop", "index": 0},
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": gen.stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": gen.output_tokens},
                },
                {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics},
            ]
        else:
            parts = [{"outputText": p, "model": rec.model_id} for p in pieces]
            parts[-1] = {
                **parts[-1],
                "stopReason": gen.stop_reason,
                "amazon-bedrock-invocationMetrics": metrics,
            }
        events = [
            es.event("chunk", {"bytes": base64.b64encode(_dumps(part)).decode("ascii")})
            for part in parts
        ]
        response = _stream_response(events, fault)
        response.headers.append(("X-Amzn-Bedrock-Content-Type", "application/json"))
        return response

    def _count_tokens(self, ctx: _Request, reply: _Reply | None) -> _Response:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        source = body.get("input") or {}
        if "converse" in source:
            tokens = _converse_input_tokens(source["converse"] or {})
        elif "invokeModel" in source:
            raw = base64.b64decode((source["invokeModel"] or {}).get("body") or b"")
            tokens = _invoke_input_tokens(_parse_body(raw))
        else:
            return _error_response(
                _fault("ValidationException", "input must name converse or invokeModel.")
            )
        if reply is not None and reply.input_tokens is not None:
            tokens = reply.input_tokens
        return _json_response({"inputTokens": tokens})

    def _start_async(self, ctx: _Request, model_id: str) -> _Response:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        token = str(body.get("clientRequestToken") or "")
        now = _iso(_dt.datetime.now(_dt.timezone.utc))
        with self.lock:
            arn = self.async_tokens.get(token) if token else None
            if arn is None:  # botocore reuses the token on retries: same job, as on AWS
                arn = (
                    f"arn:aws:bedrock:{ctx.region}:{ACCOUNT_ID}:async-invoke/{secrets.token_hex(6)}"
                )
                status, failure = self.async_default
                job: dict[str, Any] = {
                    "invocationArn": arn,
                    "modelArn": _fm_arn(model_id, ctx.region),
                    "status": status,
                    "submitTime": now,
                    "lastModifiedTime": now,
                    "outputDataConfig": body.get("outputDataConfig") or {},
                }
                if token:
                    job["clientRequestToken"] = token
                    self.async_tokens[token] = arn
                _set_async_status(job, status, failure, now)
                self.async_jobs[arn] = job
        return _json_response({"invocationArn": arn})

    def _get_async(self, arn: str) -> _Response:
        with self.lock:
            job = self.async_jobs.get(arn)
            job = dict(job) if job is not None else None
        if job is None:
            return _error_response(
                _fault("ValidationException", f"The specified invocation ARN {arn} does not exist.")
            )
        return _json_response(job)

    def _list_async(self, ctx: _Request) -> _Response:
        q = ctx.query
        with self.lock:
            jobs = [dict(j) for j in self.async_jobs.values()]
        if "statusEquals" in q:
            jobs = [j for j in jobs if j["status"] == q["statusEquals"]]
        if q.get("sortOrder", "Descending") == "Descending":
            jobs.reverse()
        page = _page(jobs, q)
        return _json_response({"asyncInvokeSummaries": page[0], **page[1]})

    def _apply_guardrail(self) -> _Response:
        usage = dict.fromkeys(
            (
                "topicPolicyUnits",
                "contentPolicyUnits",
                "wordPolicyUnits",
                "sensitiveInformationPolicyUnits",
                "sensitiveInformationPolicyFreeUnits",
                "contextualGroundingPolicyUnits",
            ),
            0,
        )
        return _json_response({"usage": usage, "action": "NONE", "outputs": [], "assessments": []})

    # -- control plane

    def _control_call(self, ctx: _Request, op: str, identifier: str | None) -> _Response:
        with self.lock:
            fault: _Fault | None = _take(self.control_faults, (op, "*"), op)
            delay: _Delay | None = _take(self.control_delays, (op, "*"), op)
            wake = self.wake
            result = None if fault else self._control_result(ctx, op, identifier)
            final = fault or (result if isinstance(result, _Fault) else None)
            self._record(
                ctx,
                op,
                identifier,
                "bedrock",
                final.status if final else 200,
                final.code if final else None,
            )
        self._sleep(wake, delay.seconds if delay else 0.0)
        if final is not None:
            return _error_response(final)
        return _json_response(result)

    def _control_result(self, ctx: _Request, op: str, identifier: str | None) -> Any:
        """The answer body, or the _Fault to answer with; the caller holds the lock."""
        region = ctx.region
        if op == "ListFoundationModels":
            return {"modelSummaries": self._list_models(ctx)}
        if op == "GetFoundationModel":
            model_id = _arn_resource(identifier or "")
            if model_id in self.eol_ids or identifier in self.eol_ids:
                return _fault("ResourceNotFoundException", EOL_MESSAGE)
            model = self._model(model_id, region)
            if model is None:
                return _fault("ResourceNotFoundException", "Model not found.")
            return {"modelDetails": model.summary(region)}
        if op == "ListInferenceProfiles":
            profiles = [p.describe(region) for p in self.profiles.values()]
            if "type" in ctx.query:
                profiles = [p for p in profiles if p["type"] == ctx.query["type"]]
            items, extra = _page(profiles, ctx.query)
            return {"inferenceProfileSummaries": items, **extra}
        if op == "GetInferenceProfile":
            profile = self.profiles.get(_arn_resource(identifier or ""))
            if profile is None:
                return _fault(
                    "ResourceNotFoundException", f"Inference profile {identifier} not found."
                )
            return profile.describe(region)
        table = self.provisioned if op == "GetProvisionedModelThroughput" else self.custom
        found = _find_resource(table, identifier or "")
        if found is None:
            kind = "Provisioned model" if table is self.provisioned else "Custom model"
            return _fault("ResourceNotFoundException", f"{kind} {identifier} not found.")
        return found

    def _model(self, model_id: str, region: str) -> _FoundationModel | None:
        fallback = None
        for (mid, regions), model in self.models.items():
            if mid != model_id:
                continue
            if regions is None:
                fallback = model
            elif region in regions:
                return model
        return fallback

    def _list_models(self, ctx: _Request) -> list[dict[str, Any]]:
        q = ctx.query
        seen: set[str] = set()
        out = []
        for model_id, _ in self.models:
            if model_id in seen or model_id in self.eol_ids:
                continue
            seen.add(model_id)
            model = self._model(model_id, ctx.region)
            if model is None:
                continue
            if "byProvider" in q and q["byProvider"].lower() not in (
                model.provider.lower(),
                model_id.partition(".")[0],
            ):
                continue
            if "byOutputModality" in q and q["byOutputModality"] not in model.output_modalities:
                continue
            if "byInferenceType" in q and q["byInferenceType"] not in model.inference_types:
                continue
            if "byCustomizationType" in q and q["byCustomizationType"] not in model.customizations:
                continue
            out.append(model.summary(ctx.region))
        return out


@dataclasses.dataclass(frozen=True, slots=True)
class _Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any] | bytes
    region: str


_MODEL_ROUTES: Final = {
    "converse": "Converse",
    "converse-stream": "ConverseStream",
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "count-tokens": "CountTokens",
}
# first segment -> (operation without an identifier, operation with one)
_CONTROL_ROUTES: Final[dict[str, tuple[str | None, str | None]]] = {
    "foundation-models": ("ListFoundationModels", "GetFoundationModel"),
    "inference-profiles": ("ListInferenceProfiles", "GetInferenceProfile"),
    "provisioned-model-throughput": (None, "GetProvisionedModelThroughput"),
    "custom-models": (None, "GetCustomModel"),
}


def _plausible(model_id: str) -> bool:
    try:
        parse_model_id(model_id)
    except ModelIdError:
        return False
    return True


def _anthropic_style(model_id: str, body: dict[str, Any] | bytes) -> bool:
    if not isinstance(body, dict):
        return False
    if "anthropic_version" in body:
        return True
    try:
        provider = parse_model_id(model_id).provider
    except ModelIdError:
        provider = None
    return provider == "anthropic" and "messages" in body


def _usage(gen: _Generation) -> dict[str, int]:
    return {
        "inputTokens": gen.input_tokens,
        "outputTokens": gen.output_tokens,
        "totalTokens": gen.input_tokens + gen.output_tokens,
    }


def _token_headers(gen: _Generation) -> list[tuple[str, str]]:
    return [
        ("X-Amzn-Bedrock-Input-Token-Count", str(gen.input_tokens)),
        ("X-Amzn-Bedrock-Output-Token-Count", str(gen.output_tokens)),
        ("X-Amzn-Bedrock-Invocation-Latency", str(gen.latency_ms)),
    ]


def _stream_response(events: list[bytes], fault: _StreamFault | None) -> _Response:
    if fault is not None:
        events = [*events[: fault.after_events], es.exception(fault.exception_type, fault.message)]
    return _Response(
        200, [("Content-Type", "application/vnd.amazon.eventstream")], b"".join(events)
    )


def _page(
    items: list[dict[str, Any]], query: Mapping[str, str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    start = int(query.get("nextToken") or 0)
    size = int(query.get("maxResults") or 1000)
    end = start + size
    return items[start:end], ({"nextToken": str(end)} if end < len(items) else {})


def _find_resource(table: Mapping[str, dict[str, Any]], identifier: str) -> dict[str, Any] | None:
    if identifier in table:
        return table[identifier]
    resource = _arn_resource(identifier)
    for arn, item in table.items():
        if (
            _arn_resource(arn) == resource
            or item.get("provisionedModelName", item.get("modelName")) == identifier
        ):
            return item
    return None


def _set_async_status(job: dict[str, Any], status: str, failure: str | None, now: str) -> None:
    job["status"] = status
    job["lastModifiedTime"] = now
    job.pop("failureMessage", None)
    job.pop("endTime", None)
    if status in ("Completed", "Failed"):
        job["endTime"] = now
    if failure is not None:
        job["failureMessage"] = failure


# --- HTTP ---------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one send per answer, and no 40 ms delayed-ACK stalls
    server: _HTTPServer

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            # botocore always sends a length; other SDKs pointed here by the CLI may not.
            parts = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        try:
            raw = self._read_body()
        except ValueError:
            self.close_connection = True
            self.send_error(400, "Bad request body framing")
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        response = self.server.app.handle(self.command, self.path, headers, raw)
        lines = [f"HTTP/1.1 {response.status} {_reason(response.status)}\r\n"]
        lines += [f"{name}: {value}\r\n" for name, value in response.headers]
        lines.append(f"x-amzn-RequestId: {uuid.uuid4()}\r\n")
        lines.append(f"Content-Length: {len(response.body)}\r\n")
        if self.close_connection:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        try:
            self.wfile.write("".join(lines).encode("latin-1") + response.body)
        except OSError:  # the client gave up (read timeout) while we were scripted to wait
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the server sits in benchmarks, and request bodies may hold prompts."""


_REASONS: Final = {s.value: s.phrase for s in http.HTTPStatus}


def _reason(status: int) -> str:
    return _REASONS.get(status, "Unknown")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many client threads open connections at once

    def __init__(self, address: tuple[str, int], app: _App) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall on DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        with self._connections_lock:
            self._connections.add(conn)
        return conn, addr

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a client closed its connection: normal for timeouts and pool churn
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Unblock handler threads parked on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


_session_lock = threading.Lock()
_session: Any = None


def _make_client(service: str, endpoint_url: str, region: str, kwargs: dict[str, Any]) -> Any:
    global _session
    options: dict[str, Any] = {
        "endpoint_url": endpoint_url,
        "region_name": region,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    options.update(kwargs)
    # One shared session: a new boto3 Session costs 50-75 ms, a client from it 2-3 ms.
    # botocore sessions are not thread-safe while creating clients, hence the lock.
    with _session_lock:
        if _session is None:
            import boto3.session
            import botocore.session

            # Ignore AWS_PROFILE: a test's dummy credentials must not depend on (or fail
            # over) a profile of the machine running it.
            core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
            _session = boto3.session.Session(botocore_session=core)
        return _session.client(service, **options)


class LocalBedrock:
    """A local Bedrock: runtime and control plane on ``http://127.0.0.1:<port>``.

    ``with LocalBedrock() as bedrock:`` starts it on a free port and stops it on exit.
    Script it with :meth:`reply`, :meth:`fail`, :meth:`eol`, :meth:`stream_error`,
    :meth:`delay` …; inspect traffic with :attr:`requests` and :meth:`calls`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        catalogue: bool = True,
        record: bool = True,
    ) -> None:
        """``port=0`` picks a free port. ``catalogue=False`` starts the control plane empty.
        ``record=False`` keeps no :attr:`requests` (for long benchmarks: records grow without
        bound otherwise)."""
        self.host = host
        self.region = region
        self._requested_port = port
        self._app = _App(region, catalogue, record)
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> LocalBedrock:
        if self._server is not None:
            return self
        self._app = (
            self._app
            if not self._app.stopped
            else _App(self.region, self._app.with_catalogue, self._app.record)
        )
        self._server = _HTTPServer((self.host, self._requested_port), self._app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits at most this long
            name=f"LocalBedrock:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        # Drop connections before waking parked handlers, so a hung call ends as a dropped
        # connection (what a dying server does), not as a late success.
        server.close_connections()
        self._app.stop()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> LocalBedrock:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.endpoint_url if self.running else "stopped"
        return f"<LocalBedrock {where}>"

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(
                "LocalBedrock is not running: call start() or use it in a with block"
            )
        return self._server.server_port

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- clients and environment

    def runtime_client(self, **kwargs: Any) -> Any:
        """A boto3 ``bedrock-runtime`` client for this server (dummy credentials; kwargs win)."""
        return _make_client("bedrock-runtime", self.endpoint_url, self.region, kwargs)

    def control_client(self, **kwargs: Any) -> Any:
        """A boto3 ``bedrock`` (control plane) client for this server."""
        return _make_client("bedrock", self.endpoint_url, self.region, kwargs)

    def env(self) -> dict[str, str]:
        """Environment variables that point any boto3 application at this server."""
        return {
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self.endpoint_url,
            "AWS_ENDPOINT_URL_BEDROCK": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
        }

    # -- runtime scripts

    def reply(
        self,
        model_id: str,
        text: str | Callable[[RecordedRequest], str] | None = None,
        *,
        stop_reason: str = "end_turn",
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        latency: float = 0.0,
    ) -> None:
        """How ``model_id`` answers successful calls (replaces an earlier reply script).

        ``text`` may be a function of the :class:`RecordedRequest`. Token counts default to an
        estimate (4 characters a token) from the request and the text. ``latency`` seconds are
        slept before answering and reported as ``metrics.latencyMs``.
        """
        with self._app.lock:
            self._app.scripted.add(model_id)
            self._app.replies[model_id] = _Reply(
                text, stop_reason, input_tokens, output_tokens, latency
            )

    def fail(
        self,
        model_id: str,
        code: str,
        times: int | None = 1,
        message: str | None = None,
        retry_after: float | None = None,
        operations: str | Iterable[str] | None = None,
        *,
        status: int | None = None,
    ) -> None:
        """The next ``times`` calls to ``model_id`` (``None``: every call) answer error ``code``.

        Faults fire in the order they were scripted, model-specific ones before ``"*"`` ones.
        ``retry_after`` seconds sets ``Retry-After`` and ``x-amz-retry-after`` (which botocore
        honours). ``operations`` limits the fault to some operations (``"Converse"`` or
        ``"converse"``). ``status`` is needed only for a code Bedrock does not model.
        """
        name, http_status = _error_code(code, status)
        self._add(
            self._app.faults,
            model_id,
            _Fault(
                name,
                message or DEFAULT_MESSAGES.get(name, name),
                http_status,
                _times(times),
                retry_after,
                _operations(operations),
            ),
        )

    def eol(self, model_id: str, *, operations: str | Iterable[str] | None = None) -> None:
        """``model_id`` has reached end of life: every call answers ResourceNotFoundException with
        the real EOL message, and the control plane stops listing it (GetFoundationModel answers
        the same error), as Bedrock does."""
        self.fail(model_id, "ResourceNotFoundException", None, EOL_MESSAGE, operations=operations)
        with self._app.lock:
            self._app.eol_ids.add(model_id)

    def legacy_inactive(
        self, model_id: str, days: int = 30, *, operations: str | Iterable[str] | None = None
    ) -> None:
        """``model_id`` is Legacy and this account has not used it lately: every call answers
        ResourceNotFoundException "Access denied. This Model is marked by provider as Legacy …"."""
        self.fail(
            model_id, "ResourceNotFoundException", None, legacy_message(days), operations=operations
        )

    def stream_error(
        self,
        model_id: str,
        exception_type: str = "modelStreamErrorException",
        after_events: int = 2,
        times: int | None = 1,
        message: str | None = None,
        *,
        operations: str | Iterable[str] | None = None,
    ) -> None:
        """The next ``times`` streaming calls send ``after_events`` events, then an exception
        event (``throttlingException``, ``modelStreamErrorException``, …); botocore raises
        ``EventStreamError`` while the caller iterates."""
        if after_events < 0:
            raise ValueError("after_events must be >= 0")
        kind = _stream_exception_type(exception_type)
        default = DEFAULT_MESSAGES.get(kind[:1].upper() + kind[1:], kind)
        self._add(
            self._app.stream_faults,
            model_id,
            _StreamFault(
                kind, message or default, after_events, _times(times), _operations(operations)
            ),
        )

    def delay(
        self,
        model_id: str,
        seconds: float,
        times: int | None = None,
        *,
        operations: str | Iterable[str] | None = None,
    ) -> None:
        """Wait ``seconds`` before answering calls to ``model_id`` (errors included).

        The wait ends early on :meth:`reset` or :meth:`stop`."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._add(
            self._app.delays, model_id, _Delay(seconds, _times(times), _operations(operations))
        )

    def hang(
        self,
        model_id: str,
        times: int | None = None,
        *,
        operations: str | Iterable[str] | None = None,
    ) -> None:
        """Never answer calls to ``model_id`` (until :meth:`reset` or :meth:`stop`): for client
        read-timeout tests."""
        self.delay(model_id, _HANG_SECONDS, times, operations=operations)

    def _add(self, table: dict[str, list[Any]], model_id: str, entry: Any) -> None:
        with self._app.lock:
            self._app.scripted.add(model_id)
            table.setdefault(model_id, []).append(entry)

    # -- async invocations

    def set_async_status(
        self, invocation_arn: str | None, status: str, failure_message: str | None = None
    ) -> None:
        """Move an async invocation to ``status`` (InProgress | Completed | Failed); with
        ``invocation_arn=None``, set the status new invocations start in (default Completed)."""
        if status not in ("InProgress", "Completed", "Failed"):
            raise ValueError(f"status must be InProgress, Completed or Failed, got {status!r}")
        with self._app.lock:
            if invocation_arn is None:
                self._app.async_default = (status, failure_message)
                return
            job = self._app.async_jobs.get(invocation_arn)
            if job is None:
                raise KeyError(f"no async invocation {invocation_arn!r}")
            _set_async_status(
                job, status, failure_message, _iso(_dt.datetime.now(_dt.timezone.utc))
            )

    # -- control plane

    def add_foundation_model(
        self,
        model_id: str,
        status: str = "ACTIVE",
        *,
        legacy_time: Instant | None = None,
        extended_access_time: Instant | None = None,
        eol_time: Instant | None = None,
        start_time: Instant | None = None,
        regions: Iterable[str] | None = None,
        name: str | None = None,
        provider: str | None = None,
        input_modalities: Sequence[str] = ("TEXT",),
        output_modalities: Sequence[str] = ("TEXT",),
        inference_types: Sequence[str] = ("ON_DEMAND",),
        customizations: Sequence[str] = (),
        streaming: bool = True,
    ) -> None:
        """Add (or replace) a model in ListFoundationModels / GetFoundationModel.

        Dates are datetimes or ISO 8601 strings (a bare date is 00:00 UTC); ``None`` dates are
        left out of ``modelLifecycle``, like answers from before 2026 that carry only ``status``.
        ``regions`` limits the entry to requests signed for those regions; the same model may
        have one entry per region set (lifecycle is regional).
        """
        model = _foundation_model(
            model_id,
            status,
            legacy_time=legacy_time,
            extended_access_time=extended_access_time,
            eol_time=eol_time,
            start_time=start_time,
            regions=regions,
            name=name,
            provider=provider,
            input_modalities=input_modalities,
            output_modalities=output_modalities,
            inference_types=inference_types,
            customizations=customizations,
            streaming=streaming,
        )
        with self._app.lock:
            self._app.models[(model_id, model.regions)] = model

    def remove_foundation_model(self, model_id: str) -> None:
        """Drop every entry for ``model_id`` (GetFoundationModel then answers ResourceNotFound)."""
        with self._app.lock:
            for key in [k for k in self._app.models if k[0] == model_id]:
                del self._app.models[key]

    def add_inference_profile(
        self,
        profile_id_or_arn: str,
        models: Iterable[str] | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        """Add a profile to Get/ListInferenceProfiles. ``models`` are model ARNs or IDs; a
        cross-region ID (``us.anthropic…``) without ``models`` routes to its geography's regions.
        An ``application-inference-profile`` ARN makes an APPLICATION profile."""
        with self._app.lock:
            name = name or self._app.profile_name(profile_id_or_arn)
        profile = _profile(profile_id_or_arn, models, name, description)
        with self._app.lock:
            self._app.profiles[profile.profile_id] = profile

    def add_provisioned_model(
        self,
        arn: str,
        model_arn: str,
        *,
        name: str | None = None,
        status: str = "InService",
        foundation_model_arn: str | None = None,
    ) -> None:
        """Add a provisioned throughput (GetProvisionedModelThroughput) serving ``model_arn``."""
        if not arn.startswith("arn:"):
            arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT_ID}:provisioned-model/{arn}"
        model = _fm_arn(model_arn, self.region)
        created = _iso(_CATALOGUE_CREATED)
        item = {
            "modelUnits": 1,
            "desiredModelUnits": 1,
            "provisionedModelName": name or _arn_resource(arn),
            "provisionedModelArn": arn,
            "modelArn": model,
            "desiredModelArn": model,
            "foundationModelArn": _fm_arn(foundation_model_arn, self.region)
            if foundation_model_arn
            else model,
            "status": status,
            "creationTime": created,
            "lastModifiedTime": created,
        }
        with self._app.lock:
            self._app.provisioned[arn] = item

    def add_custom_model(self, arn: str, base_model_arn: str, *, name: str | None = None) -> None:
        """Add a custom model (GetCustomModel) fine-tuned from ``base_model_arn``."""
        if not arn.startswith("arn:"):
            arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT_ID}:custom-model/{arn}"
        item = {
            "modelArn": arn,
            "modelName": name or _arn_resource(arn).rpartition("/")[2],
            "baseModelArn": _fm_arn(base_model_arn, self.region),
            "customizationType": "FINE_TUNING",
            "creationTime": _iso(_CATALOGUE_CREATED),
            "modelStatus": "Active",
        }
        with self._app.lock:
            self._app.custom[arn] = item

    def fail_control(
        self,
        operation_name: str,
        code: str,
        times: int | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        *,
        status: int | None = None,
    ) -> None:
        """Control-plane fault: ``operation_name`` (``"ListFoundationModels"``,
        ``"list_foundation_models"``, or ``"*"`` for all) answers ``code``."""
        op = (
            operation_name
            if operation_name == "*"
            else _operation(operation_name, CONTROL_OPERATIONS)
        )
        name, http_status = _error_code(code, status)
        fault = _Fault(
            name,
            message or DEFAULT_MESSAGES.get(name, name),
            http_status,
            _times(times),
            retry_after,
        )
        with self._app.lock:
            self._app.control_faults.setdefault(op, []).append(fault)

    def delay_control(self, operation_name: str, seconds: float, times: int | None = None) -> None:
        """Wait ``seconds`` before answering a control-plane operation (``"*"``: all)."""
        op = (
            operation_name
            if operation_name == "*"
            else _operation(operation_name, CONTROL_OPERATIONS)
        )
        with self._app.lock:
            self._app.control_delays.setdefault(op, []).append(_Delay(seconds, _times(times)))

    # -- records

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, in arrival order."""
        with self._app.lock:
            return list(self._app.records)

    def calls(self, model_id: str | None = None, operation: str | None = None) -> int:
        """How many requests match ``model_id`` and ``operation`` (``None`` matches all)."""
        op = (
            None
            if operation is None
            else _operation(operation, RUNTIME_OPERATIONS + CONTROL_OPERATIONS)
        )
        with self._app.lock:
            return sum(
                1
                for r in self._app.records
                if (model_id is None or r.model_id == model_id)
                and (op is None or r.operation == op)
            )

    def reset(self) -> None:
        """Forget scripts and records, restore the catalogue, release delayed/hung requests."""
        self._app.reset()


def _times(times: int | None) -> int | None:
    if times is not None and times < 1:
        raise ValueError(f"times must be >= 1 or None (for ever), got {times}")
    return times
