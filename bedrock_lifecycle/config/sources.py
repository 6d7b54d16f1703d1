"""Where the configuration document comes from: a file, an SSM Parameter Store parameter,
or an AWS AppConfig profile (:mod:`.appconfig`).

A source answers one question, "what is the document now?" (:meth:`ConfigSource.fetch`).
As in Powertools' parameters utility, the base class :class:`CachedSource` owns what every
store needs once: a process-wide TTL cache (a fleet process costs one store read per TTL
whatever its number of clients), the parsing rules of :mod:`.loading` and :mod:`.limits`
(an empty or too-deeply nested document is refused), and the version (the store's own
version, if it has one, *and* a hash of the content). An adapter writes only
:meth:`CachedSource._get`: "the bytes, and the store's version". S3 would be a further
adapter of that shape. AppConfig (:mod:`.appconfig`) keeps its own session state instead:
AppConfig Data's tokens make every read depend on the one before.

``BEDROCK_LIFECYCLE_CONFIG`` (or ``client(config=...)``) names the source: a path,
``ssm:/path/to/parameter`` (or ``ssm:arn:aws:ssm:REGION:ACCOUNT:parameter/path``), or
``appconfig:APP/ENV/PROFILE``. Hot reload is :mod:`.reload`'s job.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from bedrock_lifecycle.config.loading import check_explicit, is_path, load_config, parse_document
from bedrock_lifecycle.config.schema import ENV_CONFIG, Config
from bedrock_lifecycle.errors import ConfigError, describe_error
from bedrock_lifecycle.util.aws import aws_client

ENV_TTL = "BEDROCK_LIFECYCLE_CONFIG_TTL"
DEFAULT_TTL = 60.0
_CACHE_SIZE = 64


class SourceError(Exception):
    """The source could not be read (network, permissions, missing parameter)."""


class DocumentError(ConfigError):
    """The source was read but its content is not a configuration version (not parsable,
    empty, nested too deeply). ``version`` identifies the content, so a reloader warns
    once per bad version."""

    def __init__(self, message: str, *, version: str) -> None:
        super().__init__(message)
        self.version = version


@dataclass(frozen=True, slots=True)
class Document:
    data: dict[str, Any]
    version: str  # changes whenever the content changes (store version + content hash)
    name: str  # for error messages: the file path or the parameter name
    # The source kind (file, ssm, appconfig ...): decides what the document may do. A
    # document of unknown origin is treated as remote (config/adapters.py LOCAL_KINDS).
    kind: str = "document"


class ConfigSource(Protocol):
    name: str
    ttl: float

    @property
    def kind(self) -> str: ...

    def fetch(self, *, fresh: bool = False) -> Document: ...


class CachedSource(ABC):
    """The part of every source that is not about the store (see the module docstring)."""

    kind: ClassVar[str] = "remote"
    name: str
    ttl: float = DEFAULT_TTL
    suffix: str = ""  # file-name suffix deciding the format (.json, .toml, .yaml), if any

    # (kind, key) -> (monotonic expiry, document): shared by every instance in the process.
    _cache: ClassVar[dict[tuple[str, str], tuple[float, Document]]] = {}
    _cache_lock: ClassVar[threading.Lock] = threading.Lock()

    @abstractmethod
    def _get(self) -> tuple[bytes, str | None]:
        """The document's bytes and the store's own version (None when it has none).
        Raises SourceError when the store cannot be read."""

    @abstractmethod
    def cache_key(self) -> str:
        """What identifies the same document across instances (path, parameter and region)."""

    def version_of(self, store_version: str | None, digest: str) -> str:
        return f"{self.kind}:{digest}" if store_version is None else f"{self.kind}:{store_version}:{digest}"

    def fetch(self, *, fresh: bool = False) -> Document:
        """The current document; at most one store read per ``ttl`` per process unless ``fresh``."""
        key = (self.kind, self.cache_key())
        if not fresh:
            with self._cache_lock:
                hit = self._cache.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
        raw, store_version = self._get()
        version = self.version_of(store_version, hashlib.sha256(raw).hexdigest()[:12])
        try:
            data = parse_document(raw, name=self.name, suffix=self.suffix)
        except ConfigError as exc:
            raise DocumentError(str(exc), version=version) from None
        doc = Document(data, version, self.name, self.kind)
        self._remember(key, doc)
        return doc

    def _remember(self, key: tuple[str, str], doc: Document) -> None:
        with self._cache_lock:
            self._cache.pop(key, None)
            self._cache[key] = (time.monotonic() + self.ttl, doc)
            while len(self._cache) > _CACHE_SIZE:
                del self._cache[next(iter(self._cache))]  # the oldest entry

    @classmethod
    def clear_cache(cls) -> None:
        with cls._cache_lock:
            cls._cache.clear()


class FileSource(CachedSource):
    kind = "file"

    def __init__(self, path: str | os.PathLike[str], *, label: str = f"{ENV_CONFIG} file", ttl: float = DEFAULT_TTL) -> None:
        self.path = Path(path).expanduser()
        self.name = f"{label} {self.path}"
        self.suffix = self.path.suffix.lower()
        self.ttl = ttl

    def cache_key(self) -> str:
        return str(self.path.absolute())

    def version_of(self, store_version: str | None, digest: str) -> str:
        return f"file:{digest}"

    def fetch(self, *, fresh: bool = False) -> Document:
        # A local file costs nothing to read: always the file as it is now (a client made
        # right after an edit must see the edit; the reloader still polls every TTL).
        return super().fetch(fresh=True)

    def _get(self) -> tuple[bytes, str | None]:
        try:
            return self.path.read_bytes(), None
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot read: {exc.strerror or exc}") from None


class SSMSource(CachedSource):
    """An SSM Parameter Store parameter (String or SecureString, JSON or TOML).

    The version is ``ssm:NAME:VERSION:HASH``: a parameter deleted and created again starts
    at version 1 again, and the content hash tells that new version 1 from the old one.
    """

    kind = "ssm"

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

    def cache_key(self) -> str:
        return f"{self.parameter}@{self.region or ''}"

    def version_of(self, store_version: str | None, digest: str) -> str:
        return f"ssm:{self.parameter}:{store_version}:{digest}"

    def client(self) -> Any:
        if self._client is None:
            # Short timeouts: a reload must give up quickly and try again later.
            self._client = aws_client("ssm", region=self.region, session=self._session, connect_timeout=3,
                                      read_timeout=5, attempts=2, purpose="config")
        return self._client

    def _get(self) -> tuple[bytes, str | None]:
        try:
            param = self.client().get_parameter(Name=self.parameter, WithDecryption=True)["Parameter"]
        except Exception as exc:
            raise SourceError(f"{self.name}: {describe_error(exc)}") from None
        return str(param.get("Value", "")).encode("utf-8"), str(param.get("Version"))

    def write(self, data: Mapping[str, Any]) -> Document:
        """Overwrite the parameter with ``data`` (as JSON), keeping its type; returns the new version."""
        client = self.client()
        try:
            current = client.get_parameter(Name=self.parameter, WithDecryption=False)["Parameter"]
            kind = current.get("Type", "String")
            body = json.dumps(data, indent=1, sort_keys=True, default=str)
            put = client.put_parameter(Name=self.parameter, Value=body, Type=kind, Overwrite=True)
        except Exception as exc:
            raise SourceError(f"{self.name}: cannot write: {describe_error(exc)}") from None
        raw = body.encode("utf-8")
        version = self.version_of(str(put.get("Version")), hashlib.sha256(raw).hexdigest()[:12])
        doc = Document(json.loads(body), version, self.name, self.kind)
        self._remember((self.kind, self.cache_key()), doc)
        return doc



# Source kinds named by a prefix (``ssm:``, ``appconfig:``): prefix -> factory(rest, session, ttl).
# Adapters in their own modules add themselves (config/appconfig.py); a file path is the default.
SCHEMES: dict[str, Callable[[str, Any, float], ConfigSource]] = {
    "ssm:": lambda rest, session, ttl: SSMSource(rest, session=session, ttl=ttl),
}


def source_from(value: str | os.PathLike[str], *, session: Any = None, label: str = f"{ENV_CONFIG} file",
                ttl: float = DEFAULT_TTL) -> ConfigSource:
    """The source a ``BEDROCK_LIFECYCLE_CONFIG`` value (or ``config=`` path) names."""
    if isinstance(value, str):
        value = value.strip()
        for prefix, make in SCHEMES.items():
            if value.startswith(prefix):
                return make(value[len(prefix):], session, ttl)
    return FileSource(value, label=label, ttl=ttl)


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
    """One configuration version: the document under the environment and explicit layers.

    ``explicit`` that is a path named the source itself, so it adds no layer.
    """
    cfg = load_config(
        None if is_path(explicit) else explicit, environ=environ,
        document=document.data, document_name=document.name, document_kind=document.kind,
    )
    return cfg.model_copy(update={"version": document.version})


def initial(environ: Mapping[str, str], explicit: Any = None, *, session: Any = None) -> tuple[Config, ConfigSource | None]:
    """The configuration at client creation, and its source when one is named
    (``explicit`` as a path, else ``BEDROCK_LIFECYCLE_CONFIG``).

    With no good version at start-up this fails with a clear ConfigError; an empty
    document is such a failure (see :mod:`.limits`).
    """
    check_explicit(explicit)
    if is_path(explicit):
        src = source_from(explicit, session=session, label="config= file", ttl=ttl_from(environ))
    elif environ.get(ENV_CONFIG):
        src = source_from(environ[ENV_CONFIG], session=session, ttl=ttl_from(environ))
    else:
        return load_config(explicit, environ=environ), None
    try:
        doc = src.fetch()
    except SourceError as exc:
        raise ConfigError(f"{exc} (no configuration version could be loaded at start-up)") from None
    return build(doc, explicit, environ), src


__all__ = [
    "DEFAULT_TTL",
    "ENV_TTL",
    "CachedSource",
    "ConfigSource",
    "Document",
    "DocumentError",
    "FileSource",
    "SSMSource",
    "SourceError",
    "build",
    "initial",
    "source_from",
    "ttl_from",
]
