"""AWS AppConfig as a configuration source: ``BEDROCK_LIFECYCLE_CONFIG=appconfig:APP/ENV/PROFILE``.

Reads through AppConfig Data, the way AWS asks clients to: one configuration session
(``StartConfigurationSession``), then ``GetLatestConfiguration`` with the token the
previous answer gave (each token is good for one call). An empty body means the deployed
configuration did not change; the service's ``NextPollIntervalInSeconds`` is a floor under
the poll interval; a session whose token expired or was refused (``BadRequestException``)
is started again once, at once, and re-reads the configuration in full.

AppConfig then owns the rollout: a deployment strategy (linear, canary, bake time) decides
when each host's session sees the new version, and a CloudWatch alarm rolls it back
(docs/fleet.md). Everything else is the reloader's, as for every source: a bad version is
refused with a warning and the last good one stays, an unreachable service keeps the last
good version and backs off, and nothing on a request path waits.

The session is shared by every source object naming the same profile in a process (one
poll per interval whatever the number of clients), as the SSM source shares its fetches.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bedrock_lifecycle.config.loading import parse_document
from bedrock_lifecycle.config.schema import ENV_CONFIG
from bedrock_lifecycle.config.sources import (
    DEFAULT_TTL,
    SCHEMES,
    Document,
    DocumentError,
    SourceError,
)
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.util.aws import aws_client

PREFIX = "appconfig:"
MIN_POLL_SECONDS = 15  # AppConfig Data refuses RequiredMinimumPollIntervalInSeconds below 15
_SUFFIXES = {"application/json": ".json", "application/toml": ".toml", "application/x-yaml": ".yaml",
             "application/yaml": ".yaml", "text/yaml": ".yaml"}


def parse_identifier(value: str) -> tuple[str, str, str]:
    """``APPLICATION/ENVIRONMENT/PROFILE`` (names or IDs) -> its three parts."""
    parts = value.split("/")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise ConfigError(
            f"{ENV_CONFIG}: {PREFIX}{value!r} must name APPLICATION/ENVIRONMENT/PROFILE, "
            "e.g. appconfig:myapp/prod/bedrock-lifecycle"
        )
    app, env, profile = (p.strip() for p in parts)
    return app, env, profile


@dataclass
class _Session:
    """One AppConfig Data session and what it last received (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    token: str | None = None
    next_poll: float = 0.0  # before this (clock time) the service must not be asked
    next_due: float = 0.0  # before this, a fetch answers the last document (max(interval, ttl))
    document: Document | None = None  # the last configuration received, parsed
    raw: bytes | None = None
    refused: tuple[str, str] | None = None  # (version, why) when the latest content did not parse
    polls: int = 0


class AppConfigSource:
    """An AppConfig hosted (or any) configuration profile, read through AppConfig Data."""

    # A shared store (not in LOCAL_KINDS): it may not grant itself import-path adapters.
    kind: ClassVar[str] = "appconfig"
    _sessions: ClassVar[dict[tuple[str, str, str, str | None], _Session]] = {}
    _sessions_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        identifier: str,
        *,
        client: Any = None,
        session: Any = None,
        region: str | None = None,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.application, self.environment, self.profile = parse_identifier(identifier)
        self.identifier = f"{self.application}/{self.environment}/{self.profile}"
        self.name = f"AppConfig {self.identifier}"
        self.region = region
        self.ttl = ttl
        self._client = client
        self._boto_session = session
        self._clock = clock
        key = (self.application, self.environment, self.profile, region)
        with self._sessions_lock:
            self._session = self._sessions.setdefault(key, _Session())

    @classmethod
    def forget_sessions(cls) -> None:
        """Drop every shared session (tests; a forked child that must not reuse tokens)."""
        with cls._sessions_lock:
            cls._sessions.clear()

    def client(self) -> Any:
        if self._client is None:
            # Short timeouts: a reload must give up quickly and try again later.
            self._client = aws_client("appconfigdata", region=self.region, session=self._boto_session,
                                      connect_timeout=3, read_timeout=5, attempts=2, purpose="config")
        return self._client

    def fetch(self, *, fresh: bool = False) -> Document:
        """The configuration in force: polled when the interval allows, else the last one.

        ``fresh`` polls as soon as the service allows (its own interval still holds).
        """
        s = self._session
        with s.lock:
            now = self._clock()
            if now < (s.next_poll if fresh or s.document is None else s.next_due):
                if s.refused is not None:  # the latest content did not parse; no newer yet
                    raise _refusal(*s.refused)
                if s.document is not None:
                    return s.document
            return self._poll(s, now)

    # -- one poll (the caller holds the session's lock)

    def _poll(self, s: _Session, now: float) -> Document:
        for attempt in (1, 2):
            if s.token is None:
                s.token = self._start()
            try:
                resp = self.client().get_latest_configuration(ConfigurationToken=s.token)
            except Exception as exc:
                code, text = _error(exc)
                s.token = None  # a token is good for one call, answered or not
                if code == "BadRequestException" and attempt == 1:
                    continue  # expired or refused: a new session, at once
                raise SourceError(f"{self.name}: {text}") from None
            break
        s.token = resp.get("NextPollConfigurationToken")
        answered = resp.get("NextPollIntervalInSeconds")
        interval = float(MIN_POLL_SECONDS if answered is None else answered)
        s.next_poll = now + interval
        s.next_due = now + max(interval, self.ttl)
        s.polls += 1
        body = resp.get("Configuration")
        raw = body.read() if hasattr(body, "read") else (body or b"")
        if not raw:  # unchanged since this session's last answer
            if s.refused is not None:  # ... and that answer did not parse: it still does not
                raise _refusal(*s.refused)
            if s.document is None:
                raise SourceError(f"{self.name}: AppConfig answered no configuration (nothing deployed?)")
            return s.document
        label = resp.get("VersionLabel")
        digest = hashlib.sha256(raw).hexdigest()[:12]
        version = f"appconfig:{self.identifier}:{label}@{digest}" if label else f"appconfig:{self.identifier}:{digest}"
        if s.document is not None and s.raw == raw:
            s.refused = None
            return s.document  # a new session re-reads the same content: same version
        suffix = _SUFFIXES.get(str(resp.get("ContentType") or "").split(";")[0].strip().lower(), "")
        try:
            data = parse_document(raw, name=self.name, suffix=suffix)
        except ConfigError as exc:
            s.refused = (version, str(exc))
            raise _refusal(version, str(exc)) from None
        s.document, s.raw, s.refused = Document(data, version, self.name, self.kind), raw, None
        return s.document

    def _start(self) -> str:
        try:
            resp = self.client().start_configuration_session(
                ApplicationIdentifier=self.application,
                EnvironmentIdentifier=self.environment,
                ConfigurationProfileIdentifier=self.profile,
                RequiredMinimumPollIntervalInSeconds=max(MIN_POLL_SECONDS, min(86400, round(self.ttl))),
            )
        except Exception as exc:
            raise SourceError(f"{self.name}: cannot start a configuration session: {_error(exc)[1]}") from None
        return str(resp["InitialConfigurationToken"])


def _refusal(version: str, why: str) -> DocumentError:
    return DocumentError(why, version=version)  # the reloader warns once per version


def _error(exc: BaseException) -> tuple[str | None, str]:
    resp = getattr(exc, "response", None)
    if isinstance(resp, dict) and "Error" in resp:
        err = resp["Error"]
        return err.get("Code"), f"{err.get('Code')}: {err.get('Message')}"
    return None, f"{type(exc).__name__}: {exc}"


SCHEMES["appconfig:"] = lambda rest, session, ttl: AppConfigSource(rest, session=session, ttl=ttl)
