"""The application behind the HTTP server: shared state, recording, and routing to services.

Each AWS service the local server speaks is a :class:`Service` in its own module: its
operation names, a factory for its state, and one ``route`` function that answers the
requests that belong to it (a small table keyed by the request's path, or by its
``X-Amz-Target`` for JSON-protocol services) and returns ``None`` for the rest. The
composition root (``server.py``) lists the services; adding one never touches this module.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar
from urllib.parse import parse_qs, unquote

from bedrock_lifecycle.testing.scripting import Delay, operation, take, times
from bedrock_lifecycle.testing.wire import (
    ACCOUNT_ID,
    DEFAULT_MESSAGES,
    Fault,
    RecordedRequest,
    Request,
    Response,
    error_code,
    error_response,
    fault,
    parse_body,
    respond,
)

__all__ = ["App", "Service", "delay_operation", "fail_operation", "rpc_operation"]

_CREDENTIAL_RE: Final = re.compile(r"Credential=[^/,]*/\d{8}/([^/,]+)/")
_S = TypeVar("_S")

RouteFn = Callable[["App", Request], "Response | None"]
# The answer body of an operation, or the Fault to answer with; called under the lock.
ResultFn = Callable[[Request], Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Service:
    """One AWS service of the local server."""

    name: str  # the signing name botocore uses, e.g. "bedrock-runtime", "service-quotas"
    operations: tuple[str, ...]
    new_state: Callable[[bool], object]  # catalogue flag -> fresh state (start and reset)
    route: RouteFn
    endpoint_env: str = ""  # the variable that points boto3 at an endpoint for this service


def rpc_operation(ctx: Request, prefix: str) -> str | None:
    """The operation an RPC-style call names for service ``prefix``: ``X-Amz-Target:
    prefix.Operation`` (json) or ``POST /service/prefix/operation/Operation`` (rpc-v2-cbor);
    None when the request is not one."""
    if ctx.method != "POST":
        return None
    if ctx.target:
        service, _, op = ctx.target.partition(".")
        return op if service == prefix else None
    seg = ctx.segments
    if len(seg) == 4 and seg[0] == "service" and seg[1] == prefix and seg[2] == "operation":
        return seg[3]
    return None


class App:
    """All state and request handling; the HTTP layer only moves bytes."""

    def __init__(
        self, region: str, catalogue: bool, record: bool, services: Sequence[Service]
    ) -> None:
        self.default_region = region
        self.with_catalogue = catalogue
        self.record = record
        self.services = tuple(services)
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopped = False
        self._init_state()

    def _init_state(self) -> None:
        self.records: list[RecordedRequest] = []
        # service name -> operation name (or "*") -> faults / delays, for operations that are
        # scripted by name (the control plane and the services beside Bedrock).
        self.op_faults: dict[str, dict[str, list[Fault]]] = {}
        self.op_delays: dict[str, dict[str, list[Delay]]] = {}
        self._states: dict[type, object] = {}
        for service in self.services:
            state = service.new_state(self.with_catalogue)
            self._states[type(state)] = state

    def state(self, kind: type[_S]) -> _S:
        """The state object of type ``kind`` (one per service)."""
        value = self._states[kind]
        assert isinstance(value, kind)
        return value

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

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes) -> Response:
        path, _, query_string = raw_path.partition("?")
        # Split before decoding: ARNs travel with "/" as %2F inside one label.
        seg = tuple(unquote(s) for s in path.split("/")[1:])
        query = {k: v[0] for k, v in parse_qs(query_string).items()} if query_string else {}
        match = _CREDENTIAL_RE.search(headers.get("authorization", ""))
        region = match.group(1) if match else self.default_region
        try:
            body = parse_body(raw, headers.get("content-type", ""))
            ctx = Request(method, path, query, headers, raw, body, region, seg)
            for service in self.services:
                response = service.route(self, ctx)
                if response is not None:
                    return response
            with self.lock:
                self.record_call(
                    ctx, "Unknown", None, "bedrock-runtime", 404, "UnknownOperationException"
                )
            return error_response(fault("UnknownOperationException"))
        except Exception as exc:  # a bug here must answer, not hang the client
            return error_response(
                Fault(
                    "InternalServerException",
                    f"local bedrock: {type(exc).__name__}: {exc}",
                    500,
                    None,
                )
            )

    def record_call(
        self,
        ctx: Request,
        op: str,
        model_id: str | None,
        service: str,
        status: int,
        code: str | None,
    ) -> RecordedRequest:
        """Keep the request (when recording); the caller holds the lock."""
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

    def sleep(self, wake: threading.Event, seconds: float) -> None:
        if seconds > 0:
            wake.wait(None if math.isinf(seconds) else seconds)

    def scripted_call(
        self,
        ctx: Request,
        service: Service,
        op: str,
        identifier: str | None,
        result: ResultFn,
    ) -> Response:
        """Answer ``op`` of ``service``: a scripted fault or delay (by operation name, or
        ``"*"``) first, else ``result(ctx)`` (a body, or a Fault), recorded either way."""
        with self.lock:
            faults = self.op_faults.get(service.name, {})
            delays = self.op_delays.get(service.name, {})
            scripted: Fault | None = take(faults, (op, "*"), op)
            delay: Delay | None = take(delays, (op, "*"), op)
            wake = self.wake
            body = None if scripted else result(ctx)
            final = scripted or (body if isinstance(body, Fault) else None)
            self.record_call(
                ctx,
                op,
                identifier,
                service.name,
                final.status if final else 200,
                final.code if final else None,
            )
        self.sleep(wake, delay.seconds if delay else 0.0)
        if final is not None:
            return error_response(final, ctx.protocol)
        return respond(body, ctx.protocol)

    def add_op_fault(self, service: str, op: str, entry: Fault) -> None:
        with self.lock:
            self.op_faults.setdefault(service, {}).setdefault(op, []).append(entry)

    def add_op_delay(self, service: str, op: str, entry: Delay) -> None:
        with self.lock:
            self.op_delays.setdefault(service, {}).setdefault(op, []).append(entry)


def fail_operation(
    app: App,
    service: Service,
    operation_name: str,
    code: str,
    count: int | None,
    message: str | None,
    retry_after: float | None = None,
    *,
    status: int | None = None,
) -> None:
    """Script a fault for an operation of ``service`` called by name (``"*"``: all of them)."""
    op = operation_name if operation_name == "*" else operation(operation_name, service.operations)
    name, http_status = error_code(code, status)
    if message is None and name == "AccessDeniedException" and service.name != "bedrock":
        # What IAM answers for a missing permission (Bedrock's own text names a model).
        action = "*" if op == "*" else op
        message = (
            f"User: arn:aws:iam::{ACCOUNT_ID}:user/testing is not authorized to perform: "
            f"{service.name}:{action}"
        )
    entry = Fault(
        name, message or DEFAULT_MESSAGES.get(name, name), http_status, times(count), retry_after
    )
    app.add_op_fault(service.name, op, entry)


def delay_operation(
    app: App, service: Service, operation_name: str, seconds: float, count: int | None
) -> None:
    """Script a delay for an operation of ``service`` called by name (``"*"``: all of them)."""
    op = operation_name if operation_name == "*" else operation(operation_name, service.operations)
    app.add_op_delay(service.name, op, Delay(seconds, times(count)))
