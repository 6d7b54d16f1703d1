"""A local Amazon Bedrock (runtime and control plane) that the real botocore client talks to.

One ``ThreadingHTTPServer`` on 127.0.0.1 answers every service in :data:`SERVICES`
(``bedrock-runtime`` and ``bedrock`` are rest-json and their routes do not overlap; JSON-protocol
services are routed by ``X-Amz-Target``). Behaviour is scripted per model ID exactly as it
appears on the wire (URL-decoded); ``"*"`` scripts every model. Every answer is built in
memory and written with one ``send`` and a ``Content-Length``, so keep-alive works and
nothing waits on Nagle's algorithm.

This module is the composition root: the services (each a module with its own route table,
state and scripts) are listed once in :data:`SERVICES`, and :class:`LocalBedrock` gathers
their scripting APIs.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Final

from bedrock_lifecycle.testing import (
    appconfig_routes,
    control_routes,
    health_routes,
    pricing_routes,
    quotas_routes,
    runtime_routes,
)
from bedrock_lifecycle.testing.app import App, Service
from bedrock_lifecycle.testing.appconfig_routes import APPCONFIG_OPERATIONS, AppConfigScripts
from bedrock_lifecycle.testing.control_routes import CONTROL_OPERATIONS, ControlScripts
from bedrock_lifecycle.testing.health_routes import HEALTH_OPERATIONS, HealthScripts
from bedrock_lifecycle.testing.httpd import LocalHTTPServer
from bedrock_lifecycle.testing.pricing_routes import PRICING_OPERATIONS, PricingScripts
from bedrock_lifecycle.testing.quotas_routes import QUOTA_OPERATIONS, QuotaScripts
from bedrock_lifecycle.testing.runtime_routes import RUNTIME_OPERATIONS
from bedrock_lifecycle.testing.runtime_scripts import RuntimeScripts
from bedrock_lifecycle.testing.scripting import operation as _operation
from bedrock_lifecycle.testing.wire import (
    ACCOUNT_ID,
    DEFAULT_MESSAGES,
    EOL_MESSAGE,
    ERROR_STATUS,
    INVALID_MODEL_MESSAGE,
    RecordedRequest,
    legacy_message,
)

__all__ = [
    "ACCOUNT_ID",
    "APPCONFIG_OPERATIONS",
    "CONTROL_OPERATIONS",
    "DEFAULT_MESSAGES",
    "EOL_MESSAGE",
    "ERROR_STATUS",
    "HEALTH_OPERATIONS",
    "INVALID_MODEL_MESSAGE",
    "PRICING_OPERATIONS",
    "QUOTA_OPERATIONS",
    "RUNTIME_OPERATIONS",
    "SERVICES",
    "LocalBedrock",
    "RecordedRequest",
    "legacy_message",
]

# Every service the server speaks, in routing order; a new service is one more entry.
SERVICES: Final[tuple[Service, ...]] = (
    runtime_routes.SERVICE,
    control_routes.SERVICE,
    quotas_routes.SERVICE,
    health_routes.SERVICE,
    pricing_routes.SERVICE,
    appconfig_routes.SERVICE,
)
_ALL_OPERATIONS: Final = tuple(op for service in SERVICES for op in service.operations)

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


class LocalBedrock(RuntimeScripts, ControlScripts, QuotaScripts, HealthScripts, PricingScripts, AppConfigScripts):
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
        self._app = App(region, catalogue, record, SERVICES)
        self._server: LocalHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> LocalBedrock:
        if self._server is not None:
            return self
        self._app = (
            self._app
            if not self._app.stopped
            else App(self.region, self._app.with_catalogue, self._app.record, SERVICES)
        )
        self._server = LocalHTTPServer((self.host, self._requested_port), self._app)
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

    def client(self, service_name: str, **kwargs: Any) -> Any:
        """A boto3 client of any service this server speaks (``"service-quotas"``,
        ``"health"``, ...), with dummy credentials; kwargs win."""
        return _make_client(service_name, self.endpoint_url, self.region, kwargs)

    def env(self) -> dict[str, str]:
        """Environment variables that point any boto3 application at this server (for every
        service it speaks: Bedrock runtime and control plane, Service Quotas, AWS Health)."""
        return {
            **{service.endpoint_env: self.endpoint_url for service in SERVICES},
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
        }

    # -- records

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request so far, in arrival order."""
        with self._app.lock:
            return list(self._app.records)

    def calls(self, model_id: str | None = None, operation: str | None = None) -> int:
        """How many requests match ``model_id`` and ``operation`` (``None`` matches all)."""
        op = None if operation is None else _operation(operation, _ALL_OPERATIONS)
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
