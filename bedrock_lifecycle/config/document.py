"""What a configuration source returns, and how it fails (shared by every source module)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bedrock_lifecycle.errors import ConfigError

DEFAULT_TTL = 60.0


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


__all__ = ["DEFAULT_TTL", "ConfigSource", "Document", "DocumentError", "SourceError"]
