"""The public types of ``client()`` and ``wrap()`` for type checkers.

With the boto3 stubs for bedrock-runtime installed (``boto3-stubs[bedrock-runtime]`` or
``types-boto3[bedrock-runtime]``), ``bedrock_lifecycle.client()`` is a
``BedrockRuntimeClient`` and ``wrap(c)`` is whatever ``c`` was (a typed aiobotocore client
stays one). Without the stubs both are ``Any`` to a checker, as botocore itself is.

The declarations below exist only for type checkers (``bedrock_lifecycle/__init__.py``
re-exports them under ``TYPE_CHECKING``; at run time the names are
``bedrock_lifecycle.api``'s). tests/test_typing.py checks that they take the same
parameters as the functions they describe and that mypy accepts typed use and rejects
wrong use.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from botocore.client import BaseClient

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

    from bedrock_lifecycle.clock import Clock
    from bedrock_lifecycle.config.schema import Config
else:
    BedrockRuntimeClient = BaseClient

ClientT = TypeVar("ClientT", bound=BaseClient)

__all__ = ["BedrockRuntimeClient", "ClientT"]

if TYPE_CHECKING:
    # Bodies are "..." on purpose: these are declarations, the implementations live in api.

    def client(  # type: ignore[empty-body]
        service_name: Literal["bedrock-runtime"] = "bedrock-runtime",
        /,
        *,
        config: Config | Mapping[str, Any] | None = None,
        session: Any = None,
        registry: Any = None,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> BedrockRuntimeClient: ...

    def wrap(  # type: ignore[empty-body]
        existing: ClientT,
        *,
        config: Config | Mapping[str, Any] | None = None,
        registry: Any = None,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = ...,
        rng: random.Random | None = None,
        asleep: Callable[[float], Any] | None = None,
    ) -> ClientT: ...
