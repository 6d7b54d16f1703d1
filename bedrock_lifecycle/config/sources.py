"""Where the configuration document comes from, and hot reload.

A source is a small interface (``fetch() -> Document``; optionally ``write()``) with three
adapters: a file, an SSM Parameter Store parameter, and an AWS AppConfig profile
(``config/appconfig.py``). S3 would be a further adapter of the same shape (docs/fleet.md).

``BEDROCK_LIFECYCLE_CONFIG`` names the source: a path, ``ssm:/path/to/parameter`` (or
``ssm:arn:aws:ssm:REGION:ACCOUNT:parameter/path``), or ``appconfig:APP/ENV/PROFILE``. A :class:`Reloader` thread polls it
every ``BEDROCK_LIFECYCLE_CONFIG_TTL`` seconds (default 60) and puts a changed, valid
version in force atomically; a bad version is rejected with a warning and the last good
one stays; an unreachable source keeps the last good version and backs off. Nothing on
a request path waits on the source.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import threading
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cachetools import TTLCache

from bedrock_lifecycle.config.loading import load_config, parse_document
from bedrock_lifecycle.config.schema import ENV_CONFIG, Config
from bedrock_lifecycle.errors import ConfigError

log = logging.getLogger("bedrock_lifecycle")

ENV_TTL = "BEDROCK_LIFECYCLE_CONFIG_TTL"
DEFAULT_TTL = 60.0


class ConfigReloadWarning(UserWarning):
    """A new configuration version was rejected, or the source could not be read;
    the last good version stays in force."""


class SourceError(Exception):
    """The source could not be read (network, permissions, missing parameter)."""


@dataclass(frozen=True, slots=True)
class Document:
    data: dict[str, Any]
    version: str  # changes whenever the content may have changed
    name: str  # for error messages: the file path or the parameter name


class ConfigSource(Protocol):
    name: str

    def fetch(self) -> Document: ...


class FileSource:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self.name = f"{ENV_CONFIG} file {self.path}"

    def fetch(self) -> Document:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot read: {exc.strerror or exc}") from None
        version = f"file:{hashlib.sha256(raw).hexdigest()[:12]}"
        data = _parse(raw, self.name, version, self.path.suffix.lower())
        return Document(data, version, self.name)


class SSMSource:
    """An SSM Parameter Store parameter (String or SecureString, JSON or TOML).

    Fetches are shared by every client in the process through a TTL cache, so a fleet
    process costs one ``GetParameter`` per TTL whatever its number of clients.
    """

    _cache: TTLCache[tuple[str, str | None], Document] = TTLCache(maxsize=64, ttl=DEFAULT_TTL)
    _cache_lock = threading.Lock()

    def __init__(self, parameter: str, *, client: Any = None, session: Any = None, region: str | None = None,
                 ttl: float = DEFAULT_TTL) -> None:
        if not parameter:
            raise ConfigError(f"{ENV_CONFIG}: 'ssm:' needs a parameter name, e.g. ssm:/myapp/bedrock-lifecycle")
        self.parameter = parameter
        if region is None and parameter.startswith("arn:"):
            parts = parameter.split(":")
            region = parts[3] if len(parts) > 5 and parts[3] else None
        self.region = region
        self.name = f"SSM parameter {parameter}"
        self._client = client
        self._session = session
        self.ttl = ttl

    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config as BotoConfig

            session = self._session or boto3.session.Session()
            # Short timeouts: a reload must give up quickly and try again later.
            self._client = session.client(
                "ssm", region_name=self.region,
                config=BotoConfig(connect_timeout=3, read_timeout=5, retries={"total_max_attempts": 2}),
            )
        return self._client

    def fetch(self, *, fresh: bool = False) -> Document:
        key = (self.parameter, self.region)
        if not fresh:
            with self._cache_lock:
                hit = self._cache.get(key)
            if hit is not None:
                return hit
        try:
            resp = self.client().get_parameter(Name=self.parameter, WithDecryption=True)
        except Exception as exc:
            raise SourceError(f"{self.name}: {_describe(exc)}") from None
        param = resp["Parameter"]
        raw = str(param.get("Value", "")).encode("utf-8")
        version = f"ssm:{self.parameter}:{param.get('Version')}"
        doc = Document(_parse(raw, self.name, version), version, self.name)
        with self._cache_lock:
            if self.ttl != self._cache.ttl:
                type(self)._cache = TTLCache(maxsize=64, ttl=self.ttl)
            self._cache[key] = doc
        return doc

    def write(self, data: Mapping[str, Any]) -> Document:
        """Overwrite the parameter with ``data`` (as JSON), keeping its type; returns the new version."""
        client = self.client()
        try:
            current = client.get_parameter(Name=self.parameter, WithDecryption=False)["Parameter"]
            kind = current.get("Type", "String")
            body = json.dumps(data, indent=1, sort_keys=True, default=str)
            put = client.put_parameter(Name=self.parameter, Value=body, Type=kind, Overwrite=True)
        except Exception as exc:
            raise SourceError(f"{self.name}: cannot write: {_describe(exc)}") from None
        doc = Document(json.loads(body), f"ssm:{self.parameter}:{put.get('Version')}", self.name)
        with self._cache_lock:
            self._cache[(self.parameter, self.region)] = doc
        return doc


def _parse(raw: bytes, name: str, version: str, suffix: str = "") -> dict[str, Any]:
    try:
        return parse_document(raw, name=name, suffix=suffix)
    except ConfigError as exc:
        exc.version = version  # type: ignore[attr-defined]  # the reloader warns once per version
        raise


def _describe(exc: BaseException) -> str:
    resp = getattr(exc, "response", None)
    if isinstance(resp, dict) and "Error" in resp:
        err = resp["Error"]
        return f"{err.get('Code')}: {err.get('Message')}"
    return f"{type(exc).__name__}: {exc}"


def source_from(value: str, *, session: Any = None) -> ConfigSource:
    value = value.strip()
    if value.startswith("ssm:"):
        return SSMSource(value[4:], session=session)
    if value.startswith("appconfig:"):
        from bedrock_lifecycle.config.appconfig import AppConfigSource

        return AppConfigSource(value[len("appconfig:"):], session=session)
    return FileSource(value)


def ttl_from(environ: Mapping[str, str]) -> float:
    raw = environ.get(ENV_TTL)
    if raw is None or not raw.strip():
        return DEFAULT_TTL
    try:
        ttl = float(raw)
    except ValueError:
        raise ConfigError(f"{ENV_TTL}: {raw!r} is not a number of seconds") from None
    if not (0.05 <= ttl <= 86400):
        raise ConfigError(f"{ENV_TTL}: {raw!r} must be between 0.05 and 86400 seconds")
    return ttl


def build(document: Document, explicit: Any, environ: Mapping[str, str]) -> Config:
    cfg = load_config(explicit, environ=environ, document=document.data, document_name=document.name)
    return cfg.model_copy(update={"version": document.version})


def initial(environ: Mapping[str, str], explicit: Any = None, *, session: Any = None) -> tuple[Config, ConfigSource | None]:
    """The configuration at client creation, and its source when one is named.

    With no good version at start-up this fails with a clear ConfigError.
    """
    name = environ.get(ENV_CONFIG)
    if not name:
        return load_config(explicit, environ=environ), None
    src = source_from(name, session=session)
    if hasattr(src, "ttl"):  # SSM and AppConfig sources poll at the reload interval
        src.ttl = ttl_from(environ)
    try:
        doc = src.fetch()
    except SourceError as exc:
        raise ConfigError(f"{exc} (no configuration version could be loaded at start-up)") from None
    return build(doc, explicit, environ), src


class Reloader:
    """Polls a source in a daemon thread and reconfigures the client on a new version."""

    def __init__(
        self,
        client: Any,
        source: ConfigSource,
        *,
        environ: Mapping[str, str],
        explicit: Any = None,
        ttl: float = DEFAULT_TTL,
        version: str | None = None,
        apply: Callable[[Any, Config], Any],
    ) -> None:
        self._client = weakref.ref(client)
        self.source = source
        self.environ = dict(environ)
        self.explicit = explicit
        self.ttl = ttl
        self.version = version
        self.rejected: str | None = None  # the last version refused, so it warns once
        self.failures = 0
        self.last_error: str | None = None
        self.last_check: _dt.datetime | None = None
        self._apply = apply  # puts a version in force or raises ConfigError (api.reconfigure)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bedrock-lifecycle-config", daemon=True)

    def start(self) -> Reloader:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._delay()):
            if self._client() is None:
                return  # the client is gone
            self.check()

    def _delay(self) -> float:
        # Back off while the source is unreachable: ttl, 2 ttl, 4 ttl ... up to 10 ttl.
        return self.ttl * min(10.0, 2.0 ** self.failures) if self.failures else self.ttl

    def check(self) -> bool:
        """One poll; True when a new version was put in force."""
        client = self._client()
        if client is None:
            return False
        self.last_check = _dt.datetime.now(_dt.timezone.utc)
        try:
            doc = self.source.fetch()
        except SourceError as exc:
            self.failures += 1
            self.last_error = str(exc)
            _warn(f"{exc}; keeping configuration version {self.version} (retry in {self._delay():.0f} s)")
            return False
        except ConfigError as exc:  # unparsable document
            return self._reject(getattr(exc, "version", None) or "new", str(exc))
        self.failures = 0
        self.last_error = None
        if doc.version == self.version or doc.version == self.rejected:
            return False
        try:
            cfg = build(doc, self.explicit, self.environ)
            self._apply(client, cfg)
        except ConfigError as exc:
            return self._reject(doc.version, str(exc))
        log.info("bedrock-lifecycle configuration %s in force (was %s)", doc.version, self.version)
        self.version = doc.version
        return True

    def _reject(self, version: str, why: str) -> bool:
        if version != self.rejected:
            self.rejected = version
            _warn(f"configuration version {version} rejected, keeping {self.version}: {why}")
        self.last_error = why
        return False


def _warn(text: str) -> None:
    log.warning("%s", text)
    warnings.warn(text, ConfigReloadWarning, stacklevel=2)
