"""A local Amazon Bedrock for tests: scripted replies, faults and lifecycle errors over real HTTP.

    from bedrock_lifecycle.testing import LocalBedrock

    with LocalBedrock() as bedrock:
        bedrock.fail("anthropic.claude-3-haiku-20240307-v1:0", "ThrottlingException", times=2)
        client = bedrock.runtime_client()       # a real boto3 bedrock-runtime client
        client.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages=[...])

pytest fixtures ``local_bedrock`` and ``local_bedrock_env`` come with the package (plugin
``bedrock_lifecycle.testing.plugin``). See docs/testing.md.

Names load lazily: this package is imported by the pytest plugin in every test run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "LocalBedrock": "bedrock_lifecycle.testing.server",
    "RecordedRequest": "bedrock_lifecycle.testing.server",
    "EOL_MESSAGE": "bedrock_lifecycle.testing.server",
    "INVALID_MODEL_MESSAGE": "bedrock_lifecycle.testing.server",
    "DEFAULT_MESSAGES": "bedrock_lifecycle.testing.server",
    "ERROR_STATUS": "bedrock_lifecycle.testing.server",
    "RUNTIME_OPERATIONS": "bedrock_lifecycle.testing.server",
    "CONTROL_OPERATIONS": "bedrock_lifecycle.testing.server",
    "legacy_message": "bedrock_lifecycle.testing.server",
}

__all__ = [
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

if TYPE_CHECKING:
    from bedrock_lifecycle.testing.server import (
        CONTROL_OPERATIONS,
        DEFAULT_MESSAGES,
        EOL_MESSAGE,
        ERROR_STATUS,
        INVALID_MODEL_MESSAGE,
        RUNTIME_OPERATIONS,
        LocalBedrock,
        RecordedRequest,
        legacy_message,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bedrock_lifecycle.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
