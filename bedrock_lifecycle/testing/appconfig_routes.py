"""AWS AppConfig Data (``appconfigdata``, rest-json, signing name ``appconfig``): the two
calls an application makes to read a deployed configuration.

``StartConfigurationSession`` (``POST /configurationsessions``, 201) answers an initial
token for an application/environment/profile that has a deployed configuration, else
``ResourceNotFoundException``. ``GetLatestConfiguration`` (``GET /configuration?
configuration_token=...``) answers the configuration the first time a session sees a
version and an empty body while nothing changed, with the next token
(``Next-Poll-Configuration-Token``) and ``Next-Poll-Interval-In-Seconds``. As on AWS, every
token is good for one call: a used, unknown or expired token answers ``BadRequestException``.
Deployments, poll intervals and token expiry are scripted through :class:`AppConfigScripts`.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Mapping
from typing import Any, Final

from bedrock_lifecycle.testing.app import App, Service, delay_operation, fail_operation
from bedrock_lifecycle.testing.scripting import Delay, take
from bedrock_lifecycle.testing.wire import Fault, Request, Response, error_response, json_response

APPCONFIG_OPERATIONS: Final = ("StartConfigurationSession", "GetLatestConfiguration")
SIGNING_NAME: Final = "appconfig"
DEFAULT_POLL_SECONDS: Final = 60  # AWS's default RequiredMinimumPollIntervalInSeconds
_BAD_TOKEN: Final = "The configuration token is invalid, used or expired; start a new session."

Key = tuple[str, str, str]  # application, environment, configuration profile


@dataclasses.dataclass(slots=True)
class _Deployed:
    content: bytes
    content_type: str
    label: str | None
    number: int  # counts deployments of this profile, from 1


@dataclasses.dataclass(slots=True)
class _Token:
    key: Key
    seen: int  # the deployment number this session last received (0: none yet)
    interval: int  # the session's RequiredMinimumPollIntervalInSeconds


@dataclasses.dataclass(slots=True)
class AppConfigState:
    deployed: dict[Key, _Deployed] = dataclasses.field(default_factory=dict)
    tokens: dict[str, _Token] = dataclasses.field(default_factory=dict)
    poll_interval: int | None = None  # overrides the session's interval in answers
    sessions: int = 0

    @classmethod
    def new(cls, catalogue: bool) -> AppConfigState:
        return cls()


def _bad_request(message: str = _BAD_TOKEN) -> Fault:
    return Fault("BadRequestException", message, 400, None)


def _start(state: AppConfigState, ctx: Request) -> tuple[Response, Fault | None, str]:
    body = ctx.json
    key = (
        str(body.get("ApplicationIdentifier", "")),
        str(body.get("EnvironmentIdentifier", "")),
        str(body.get("ConfigurationProfileIdentifier", "")),
    )
    ident = "/".join(key)
    if key not in state.deployed:
        missing = Fault(
            "ResourceNotFoundException",
            f"Deployed configuration not found for {ident} (application, environment, profile).",
            404,
            None,
        )
        return error_response(missing), missing, ident
    interval = int(body.get("RequiredMinimumPollIntervalInSeconds") or DEFAULT_POLL_SECONDS)
    token = secrets.token_urlsafe(24)
    state.tokens[token] = _Token(key, 0, interval)
    state.sessions += 1
    return json_response({"InitialConfigurationToken": token}, status=201), None, ident


def _latest(state: AppConfigState, ctx: Request) -> tuple[Response, Fault | None, str | None]:
    token = state.tokens.pop(ctx.query.get("configuration_token", ""), None)  # one use only
    if token is None:
        bad = _bad_request()
        return error_response(bad), bad, None
    current = state.deployed[token.key]
    fresh = token.seen != current.number
    following = secrets.token_urlsafe(24)
    state.tokens[following] = _Token(token.key, current.number, token.interval)
    interval = token.interval if state.poll_interval is None else state.poll_interval
    headers = [
        ("Next-Poll-Configuration-Token", following),
        ("Next-Poll-Interval-In-Seconds", str(interval)),
        ("Content-Type", current.content_type),
    ]
    if current.label is not None:
        headers.append(("Version-Label", current.label))
    body = current.content if fresh else b""
    return Response(200, headers, body), None, "/".join(token.key)


def _route(app: App, ctx: Request) -> Response | None:
    seg = ctx.segments
    if ctx.method == "POST" and seg == ("configurationsessions",):
        op = "StartConfigurationSession"
    elif ctx.method == "GET" and seg == ("configuration",):
        op = "GetLatestConfiguration"
    else:
        return None
    with app.lock:
        scripted: Fault | None = take(app.op_faults.get(SIGNING_NAME, {}), (op, "*"), op)
        delay: Delay | None = take(app.op_delays.get(SIGNING_NAME, {}), (op, "*"), op)
        wake = app.wake
        state = app.state(AppConfigState)
        ident: str | None
        failure: Fault | None
        if scripted is not None:
            response, failure, ident = error_response(scripted), scripted, None
        elif op == "StartConfigurationSession":
            response, failure, ident = _start(state, ctx)
        else:
            response, failure, ident = _latest(state, ctx)
        app.record_call(
            ctx, op, ident, SIGNING_NAME, response.status, failure.code if failure else None
        )
    app.sleep(wake, delay.seconds if delay else 0.0)
    return response


SERVICE: Final = Service(
    SIGNING_NAME,
    APPCONFIG_OPERATIONS,
    AppConfigState.new,
    _route,
    "AWS_ENDPOINT_URL_APPCONFIGDATA",
)


def _content(value: bytes | str | Mapping[str, Any]) -> tuple[bytes, str]:
    if isinstance(value, bytes):
        return value, "application/octet-stream"
    if isinstance(value, str):
        return value.encode("utf-8"), "text/plain"
    return json.dumps(value, sort_keys=True).encode("utf-8"), "application/json"


class AppConfigScripts:
    """AppConfig Data part of :class:`LocalBedrock`'s scripting API."""

    _app: App

    def deploy_appconfig(
        self,
        application: str,
        environment: str,
        profile: str,
        content: bytes | str | Mapping[str, Any],
        *,
        content_type: str | None = None,
        version_label: str | None = None,
    ) -> int:
        """Deploy ``content`` (a mapping goes out as JSON) to ``application/environment/
        profile``, completely (a deployment strategy's bake time is the caller's to script);
        every session receives it on its next poll. Returns the deployment's number."""
        raw, default_type = _content(content)
        key = (application, environment, profile)
        with self._app.lock:
            deployed = self._app.state(AppConfigState).deployed
            number = deployed[key].number + 1 if key in deployed else 1
            deployed[key] = _Deployed(raw, content_type or default_type, version_label, number)
        return number

    def set_appconfig_poll_interval(self, seconds: int | None) -> None:
        """Answer ``Next-Poll-Interval-In-Seconds: seconds`` (``None``: the session's own
        RequiredMinimumPollIntervalInSeconds, as AWS does)."""
        with self._app.lock:
            self._app.state(AppConfigState).poll_interval = seconds

    def expire_appconfig_tokens(self) -> int:
        """Every outstanding token expires (as after 24 hours): the next GetLatestConfiguration
        of each session answers BadRequestException. Returns how many expired."""
        with self._app.lock:
            tokens = self._app.state(AppConfigState).tokens
            count = len(tokens)
            tokens.clear()
        return count

    @property
    def appconfig_sessions(self) -> int:
        """How many configuration sessions were started."""
        with self._app.lock:
            return self._app.state(AppConfigState).sessions

    def fail_appconfig(
        self,
        operation_name: str,
        code: str,
        times: int | None = 1,
        message: str | None = None,
        *,
        status: int | None = None,
    ) -> None:
        """``operation_name`` of AppConfig Data (``"*"``: both) answers error ``code``."""
        fail_operation(self._app, SERVICE, operation_name, code, times, message, status=status)

    def delay_appconfig(self, operation_name: str, seconds: float, times: int | None = 1) -> None:
        delay_operation(self._app, SERVICE, operation_name, seconds, times)

