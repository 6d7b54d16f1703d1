"""What a preflight covers: the models an alias can send to (or the models named), read from
the same configuration the client reads, and the registry that configuration asks for."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.readiness.model import Subject


class UsageError(ValueError):
    """A name that is neither a configured alias nor a model ID (CLI exit 2)."""


def load_config(environ: Mapping[str, str] | None = None) -> Any:
    """The configuration as the client reads it (file or SSM parameter, environment)."""
    from bedrock_lifecycle.config import sources
    from bedrock_lifecycle.errors import ConfigError

    try:
        config, _ = sources.initial(os.environ if environ is None else environ)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    return config


def registry_for(config: Any) -> Any:
    """The registry the configuration asks for (bundled, synced, Health, overrides); no
    control-plane resolution here: the checks call the control plane themselves."""
    from bedrock_lifecycle.lifecycle.registry import Registry

    return Registry.default(
        cache_dir=config.registry.cache_dir,
        overrides=[o.to_entry() for o in config.registry.overrides],
        base_model_map=config.registry.base_models or None,
    )


def _subject(model: str, role: str, share: float | None = None) -> Subject:
    try:
        base = parse_model_id(model).base_model_id
    except ModelIdError as exc:
        raise UsageError(str(exc)) from None
    return Subject(model, base, role, share)


def subjects_of(name: str, config: Any, now: Any) -> list[Subject]:
    """Every model ``name`` can send to: an alias's targets (with their share at ``now``,
    ramp included), fallbacks and shadow model; a chain's primary and fallbacks; else
    ``name`` as a model."""
    alias = config.aliases.get(name)
    if alias is not None:
        steps = [s for s in alias.ramp if s.at <= now]
        weights = list(steps[-1].weights) if steps else [t.weight for t in alias.targets]
        total = sum(weights) or 1.0
        out = [_subject(t.model, "target", round(w / total, 4)) for t, w in zip(alias.targets, weights, strict=True)]
        out += [_subject(m, "fallback") for m in alias.fallbacks]
        if alias.shadow is not None:
            out.append(_subject(alias.shadow.model, "shadow"))
        return _unique(out)
    chain = config.chains.get(name)
    if chain is not None:
        return _unique([_subject(name, "target"), *(_subject(m, "fallback") for m in chain)])
    try:
        parse_model_id(name)
    except ModelIdError:
        known = sorted([*config.aliases, *config.chains])
        hint = f" (configured aliases: {', '.join(known)})" if known else " (no aliases configured)"
        raise UsageError(f"{name!r} is neither a configured alias nor a model ID{hint}") from None
    return [_subject(name, "model")]


def _unique(subjects: Sequence[Subject]) -> list[Subject]:
    seen: dict[str, Subject] = {}
    for s in subjects:
        seen.setdefault(s.configured, s)
    return list(seen.values())
