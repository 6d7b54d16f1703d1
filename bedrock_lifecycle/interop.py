"""Helpers for frameworks and typed code: which concrete model an alias stands for, and
typed access to a response's lifecycle metadata.

LangChain, LlamaIndex and pydantic-ai decide streaming, tool use, context size or a
request profile from the ``modelId`` string; an alias such as ``chat`` names no model, so
they guess wrong or refuse. :func:`concrete_model` gives the model to tell them about
(recipes in docs/integrations.md) while calls keep naming the alias, so routing, fallback
and policy still apply.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from typing import Any

from bedrock_lifecycle.config.schema import Config
from bedrock_lifecycle.core import routing
from bedrock_lifecycle.ids import parse_model_id


def concrete_model(
    alias: str,
    client: Any = None,
    *,
    config: Config | Mapping[str, Any] | None = None,
    key: str | None = None,
    now: _dt.datetime | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The concrete model ID ``alias`` stands for now.

    That is the target with the largest weight in force at ``now`` (the current ramp step;
    the first listed on a tie), or, with ``key``, the target that routing key sticks to.
    Fallbacks are never the answer: they serve only when targets fail. A concrete model ID
    is returned unchanged. The configuration is the one in force on ``client`` (a
    lifecycle client), else ``config`` (a Config or its document), else the one
    ``bedrock_lifecycle.client()`` would load from ``environ`` (default: the process
    environment). An unknown alias raises ``ValueError``
    naming the alias and the closest configured one.
    """
    config = _config_of(client, config, environ)
    when = now or _dt.datetime.now(_dt.timezone.utc)
    found = routing.find_alias(config, alias)
    if found is None:
        if "." in alias or ":" in alias:
            parse_model_id(alias)  # a clear ModelIdError for a malformed ID
            return alias
        near = routing.closest_alias(config, alias)
        hint = f"; did you mean {near!r}?" if near else ""
        known = ", ".join(routing.alias_names(config)) or "none configured"
        raise ValueError(f"concrete_model: {alias!r} is not an alias (aliases: {known}){hint}")
    name, cfg = found
    if key is not None:
        return routing.plan_alias(name, cfg, when, key).candidates[0].model
    weights = routing.weights_at(cfg, when)
    best = max(range(len(weights)), key=lambda i: (weights[i], -i))
    return cfg.targets[best].model


def _config_of(client: Any, config: Config | Mapping[str, Any] | None,
               environ: Mapping[str, str] | None) -> Config:
    if client is not None:
        from bedrock_lifecycle.api import runtime_of

        in_force: Config = runtime_of(client).version.config
        return in_force
    if isinstance(config, Config):
        return config
    if config is not None:
        from bedrock_lifecycle.config import load_config

        return load_config(config, environ={})
    from bedrock_lifecycle.config import sources

    cfg, _ = sources.initial(os.environ if environ is None else environ)
    return cfg


def lifecycle_metadata(response: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``BedrockLifecycle`` part of a response's (or a ``ClientError``'s) ``ResponseMetadata``.

    The same as ``response["ResponseMetadata"]["BedrockLifecycle"]``, but typed code can call
    it: the boto3 stubs' ``ResponseMetadataTypeDef`` does not declare our key. ``None`` when
    the response did not come through a lifecycle client.
    """
    from bedrock_lifecycle.core.flow import META_KEY

    meta = response.get("ResponseMetadata")
    found = meta.get(META_KEY) if isinstance(meta, Mapping) else None
    return found if isinstance(found, dict) else None
