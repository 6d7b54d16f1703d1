"""bedrock-lifecycle: a drop-in bedrock-runtime client that knows Bedrock model lifecycles.

    import bedrock_lifecycle
    client = bedrock_lifecycle.client(region_name="us-east-1")   # instead of boto3.client("bedrock-runtime")
    client.converse(modelId="chat", messages=[...])              # "chat" is an alias from the config

Names are imported lazily so ``import bedrock_lifecycle`` stays cheap (boto3 loads on
first use).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "client": "bedrock_lifecycle.dropin",
    "wrap": "bedrock_lifecycle.dropin",
    "reset_warnings": "bedrock_lifecycle.dropin",
    "routing_key": "bedrock_lifecycle.routing",
    "Config": "bedrock_lifecycle.config",
    "load_config": "bedrock_lifecycle.config",
    "ConfigError": "bedrock_lifecycle.errors",
    "ModelLifecycleWarning": "bedrock_lifecycle.errors",
    "ModelLegacyWarning": "bedrock_lifecycle.errors",
    "ModelExtendedAccessWarning": "bedrock_lifecycle.errors",
    "ModelApproachingEOLWarning": "bedrock_lifecycle.errors",
    "CanaryRollbackWarning": "bedrock_lifecycle.errors",
    "ModelLifecycleError": "bedrock_lifecycle.errors",
    "ModelEndOfLifeError": "bedrock_lifecycle.errors",
    "ModelLegacyError": "bedrock_lifecycle.errors",
    "ModelExtendedAccessError": "bedrock_lifecycle.errors",
    "UnknownModelError": "bedrock_lifecycle.errors",
    "parse_model_id": "bedrock_lifecycle.ids",
    "ModelId": "bedrock_lifecycle.ids",
    "ModelIdError": "bedrock_lifecycle.ids",
    "Registry": "bedrock_lifecycle.lifecycle.registry",
    "State": "bedrock_lifecycle.lifecycle.model",
    "LifecycleStatus": "bedrock_lifecycle.lifecycle.model",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:
    from bedrock_lifecycle.config import Config, load_config
    from bedrock_lifecycle.dropin import client, reset_warnings, wrap
    from bedrock_lifecycle.errors import (
        CanaryRollbackWarning,
        ConfigError,
        ModelApproachingEOLWarning,
        ModelEndOfLifeError,
        ModelExtendedAccessError,
        ModelExtendedAccessWarning,
        ModelLegacyError,
        ModelLegacyWarning,
        ModelLifecycleError,
        ModelLifecycleWarning,
        UnknownModelError,
    )
    from bedrock_lifecycle.ids import ModelId, ModelIdError, parse_model_id
    from bedrock_lifecycle.lifecycle.model import LifecycleStatus, State
    from bedrock_lifecycle.lifecycle.registry import Registry
    from bedrock_lifecycle.routing import routing_key


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bedrock_lifecycle' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
