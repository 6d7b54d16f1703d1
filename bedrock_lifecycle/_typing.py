"""The public types of ``client()`` and ``wrap()`` for type checkers.

With the boto3 stubs for bedrock-runtime installed (``boto3-stubs[bedrock-runtime]`` or
``types-boto3[bedrock-runtime]``), ``bedrock_lifecycle.client()`` is a
``BedrockRuntimeClient`` and ``wrap(c)`` is whatever ``c`` was (a typed aiobotocore client,
``types-aiobotocore[bedrock-runtime]``, stays one). Without the stubs both are ``Any`` to a
checker, as botocore itself is. tests/test_typing.py runs mypy on user code to prove it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from botocore.client import BaseClient

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
else:
    BedrockRuntimeClient = BaseClient

ClientT = TypeVar("ClientT", bound=BaseClient)

__all__ = ["BedrockRuntimeClient", "ClientT"]
