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
    "client": "bedrock_lifecycle.api",
    "wrap": "bedrock_lifecycle.api",
    "reset_warnings": "bedrock_lifecycle.api",
    "reconfigure": "bedrock_lifecycle.api",
    "install": "bedrock_lifecycle.installer",
    "uninstall": "bedrock_lifecycle.installer",
    "concrete_model": "bedrock_lifecycle.interop",
    "lifecycle_metadata": "bedrock_lifecycle.interop",
    "routing_key": "bedrock_lifecycle.core.routing",
    "subscribe": "bedrock_lifecycle.observe.events",
    "AttemptEvent": "bedrock_lifecycle.observe.events",
    "Config": "bedrock_lifecycle.config",
    "load_config": "bedrock_lifecycle.config",
    "register_adapter": "bedrock_lifecycle.config.adapters",
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

if TYPE_CHECKING:  # explicit re-exports ("X as X") for type checkers
    from bedrock_lifecycle.api import client as client
    from bedrock_lifecycle.api import reconfigure as reconfigure
    from bedrock_lifecycle.api import reset_warnings as reset_warnings
    from bedrock_lifecycle.api import wrap as wrap
    from bedrock_lifecycle.config import Config as Config
    from bedrock_lifecycle.config import load_config as load_config
    from bedrock_lifecycle.config.adapters import register_adapter as register_adapter
    from bedrock_lifecycle.core.routing import routing_key as routing_key
    from bedrock_lifecycle.errors import CanaryRollbackWarning as CanaryRollbackWarning
    from bedrock_lifecycle.errors import ConfigError as ConfigError
    from bedrock_lifecycle.errors import ModelApproachingEOLWarning as ModelApproachingEOLWarning
    from bedrock_lifecycle.errors import ModelEndOfLifeError as ModelEndOfLifeError
    from bedrock_lifecycle.errors import ModelExtendedAccessError as ModelExtendedAccessError
    from bedrock_lifecycle.errors import ModelExtendedAccessWarning as ModelExtendedAccessWarning
    from bedrock_lifecycle.errors import ModelLegacyError as ModelLegacyError
    from bedrock_lifecycle.errors import ModelLegacyWarning as ModelLegacyWarning
    from bedrock_lifecycle.errors import ModelLifecycleError as ModelLifecycleError
    from bedrock_lifecycle.errors import ModelLifecycleWarning as ModelLifecycleWarning
    from bedrock_lifecycle.errors import UnknownModelError as UnknownModelError
    from bedrock_lifecycle.ids import ModelId as ModelId
    from bedrock_lifecycle.ids import ModelIdError as ModelIdError
    from bedrock_lifecycle.ids import parse_model_id as parse_model_id
    from bedrock_lifecycle.installer import install as install
    from bedrock_lifecycle.installer import uninstall as uninstall
    from bedrock_lifecycle.interop import concrete_model as concrete_model
    from bedrock_lifecycle.interop import lifecycle_metadata as lifecycle_metadata
    from bedrock_lifecycle.lifecycle.model import LifecycleStatus as LifecycleStatus
    from bedrock_lifecycle.lifecycle.model import State as State
    from bedrock_lifecycle.lifecycle.registry import Registry as Registry
    from bedrock_lifecycle.observe.events import AttemptEvent as AttemptEvent
    from bedrock_lifecycle.observe.events import subscribe as subscribe


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bedrock_lifecycle' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
