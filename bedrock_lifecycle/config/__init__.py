"""Configuration (layer L2): the schema, loading from file/env/arguments, sources, reload.

``from bedrock_lifecycle.config import Config, load_config`` is the public spelling;
the submodules are :mod:`.schema` (pydantic models), :mod:`.loading` (layers and
precedence), :mod:`.limits` (depth and emptiness rules for every document), :mod:`.sources`
(file, SSM), :mod:`.reload` (the background reloader) and :mod:`.adapters` (body adapters
registered in code, named by configuration).
"""

from bedrock_lifecycle.config import appconfig as appconfig  # registers the appconfig: source kind
from bedrock_lifecycle.config.adapters import register_adapter
from bedrock_lifecycle.config.loading import env_layer, load_config, parse_document
from bedrock_lifecycle.config.reload import ConfigReloadWarning
from bedrock_lifecycle.config.schema import (
    ENV_CONFIG,
    ENV_PREFIX,
    AliasConfig,
    AnalysisConfig,
    Config,
    LifecycleOverride,
    PolicyConfig,
    RampStep,
    RegistryConfig,
    RoutingConfig,
    ShadowConfig,
    ShadowSinkConfig,
    SystemOverride,
    Target,
    alias_key,
)

__all__ = [
    "ENV_CONFIG",
    "ENV_PREFIX",
    "AliasConfig",
    "AnalysisConfig",
    "Config",
    "ConfigReloadWarning",
    "LifecycleOverride",
    "PolicyConfig",
    "RampStep",
    "RegistryConfig",
    "RoutingConfig",
    "ShadowConfig",
    "ShadowSinkConfig",
    "SystemOverride",
    "Target",
    "alias_key",
    "env_layer",
    "load_config",
    "parse_document",
    "register_adapter",
]
