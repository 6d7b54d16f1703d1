"""Loading a configuration: defaults, a file, the environment and arguments, merged as
plain dicts and validated once (see :mod:`bedrock_lifecycle.config.schema`).

Precedence: explicit arguments > environment variables > file > defaults. A validation
error is reported against the layer that supplied the bad value (file and key path, or
the environment variable), with the value and what is allowed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bedrock_lifecycle.config.limits as limits
from bedrock_lifecycle.config.adapters import LOCAL_KINDS
from bedrock_lifecycle.config.schema import (
    ADAPTER_SOURCES,
    ENV_CONFIG,
    ENV_PREFIX,
    Config,
    alias_key,
    explain,
)
from bedrock_lifecycle.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _read_file(path: str | os.PathLike[str], label: str) -> dict[str, Any]:
    p = Path(path).expanduser()
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read {str(path)!r}: {exc.strerror or exc}") from None
    return parse_document(raw, name=f"{label} {p}" if label == "config=" else str(p), suffix=p.suffix.lower())


def parse_document(raw: bytes, *, name: str, suffix: str = "") -> dict[str, Any]:
    """Parse a TOML or JSON configuration document (JSON when it starts with ``{``), or
    YAML for a ``.yaml``/``.yml`` file when PyYAML is installed (optional).

    Every rule of :mod:`.limits` applies: an empty document (blank, ``{}``, comments
    only) and one nested deeper than ``MAX_DEPTH`` are ConfigErrors naming ``name``.
    """
    text = raw.decode("utf-8-sig", errors="replace")
    if limits.is_blank(text):
        limits.check_not_empty({}, name)
    if suffix in (".yaml", ".yml"):
        data = _parse_yaml(text, name)
    else:
        data = _parse_toml_or_json(text, name, suffix)
    limits.check_data(data, name)
    limits.check_not_empty(data, name)
    return data


def _parse_toml_or_json(text: str, name: str, suffix: str) -> dict[str, Any]:
    is_json = suffix == ".json" or (suffix not in (".toml",) and text.lstrip().startswith("{"))
    limits.check_text(text, name, toml=not is_json)  # before the parser recurses
    try:
        data = json.loads(text) if is_json else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if is_json else "TOML"
        raise ConfigError(f"{name}: not valid {kind}: {exc}") from None
    except RecursionError:  # a nesting form the text measure does not see
        raise ConfigError(f"{name}: nested too deeply; at most {limits.MAX_DEPTH} levels are accepted") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: the document must be a table/object, got {type(data).__name__}")
    return data


def _parse_yaml(text: str, name: str) -> dict[str, Any]:
    try:
        import yaml  # optional: TOML and JSON need nothing beyond the standard library
    except ImportError:
        raise ConfigError(f"{name}: YAML configuration needs PyYAML (pip install pyyaml), or use TOML/JSON") from None
    limits.check_text(text, name, toml=False)  # flow-style [ { nesting
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{name}: nested too deeply; at most {limits.MAX_DEPTH} levels are accepted") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: the document must be a mapping, got {type(data).__name__}")
    return data


def _parse_targets(var: str, value: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        model, sep, weight = part.partition("=")
        item: dict[str, Any] = {"model": model.strip()}
        if sep:
            try:
                item["weight"] = float(weight)
            except ValueError:
                raise ConfigError(
                    f"{var}: weight {weight.strip()!r} for {model.strip()!r} is not a number "
                    "(expected MODEL_ID or MODEL_ID=WEIGHT, comma-separated)"
                ) from None
        out.append(item)
    if not out:
        raise ConfigError(f"{var}: empty; expected MODEL_ID or MODEL_ID=WEIGHT, comma-separated")
    return out


_SCALAR_ENV = {
    "ON_LEGACY": ("policy", "on_legacy"),
    "ON_EXTENDED_ACCESS": ("policy", "on_extended_access"),
    "ON_EOL": ("policy", "on_eol"),
    "WARN_BEFORE_EOL_DAYS": ("policy", "warn_before_eol_days"),
    "TRUST": ("policy", "trust"),
    "NOW": ("now",),
    "MAX_ATTEMPTS_PER_TARGET": ("routing", "max_attempts_per_target"),
    "DEADLINE_SECONDS": ("routing", "deadline_seconds"),
    "COOLDOWN_AFTER_FAILURES": ("routing", "cooldown_after_failures"),
    "COOLDOWN_SECONDS": ("routing", "cooldown_seconds"),
    "SHADOW_LOG": ("shadow", "log"),
    "SHADOW_RECORD_TEXT": ("shadow", "record_text"),
    "ALLOW_IMPORT_PATH_ADAPTERS": ("routing", "allow_import_path_adapters"),
}
# Variables read elsewhere (not configuration keys); listed so they are not flagged unknown.
# COMPILE is the build's (setup.py): an image built with it may keep it set at run time.
_OTHER_ENV = {"CONFIG", "CONFIG_TTL", "CACHE_DIR", "METRICS", "COMPILE"}


def env_layer(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    """The environment's layer and, per key path, which variable set it."""
    data: dict[str, Any] = {}
    origin: dict[tuple[str, ...], str] = {}
    fallbacks: dict[str, tuple[str, list[str]]] = {}
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX):
            continue
        rest = var[len(ENV_PREFIX) :]
        if rest in _SCALAR_ENV:
            path = _SCALAR_ENV[rest]
            node = data
            for p in path[:-1]:
                node = node.setdefault(p, {})
            node[path[-1]] = value.strip()
            origin[path] = var
        elif rest.startswith("ALIAS_") and len(rest) > 6:
            name = rest[6:].lower()
            data.setdefault("aliases", {}).setdefault(name, {})["targets"] = _parse_targets(var, value)
            origin[("aliases", name, "targets")] = var
            origin.setdefault(("aliases", name), var)
        elif rest.startswith("FALLBACKS_") and len(rest) > 10:
            name = rest[10:].lower()
            fallbacks[name] = (var, [m.strip() for m in value.split(",") if m.strip()])
        elif rest not in _OTHER_ENV:
            raise ConfigError(
                f"{var}: unknown variable (known: {', '.join(ENV_PREFIX + k for k in sorted(_SCALAR_ENV))}, "
                f"{ENV_PREFIX}ALIAS_<NAME>, {ENV_PREFIX}FALLBACKS_<NAME>)"
            )
    for name, (var, chain) in fallbacks.items():
        data.setdefault("aliases", {}).setdefault(name, {})["fallbacks"] = chain
        origin[("aliases", name, "fallbacks")] = var
        origin.setdefault(("aliases", name), var)
    return data, origin


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in top.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _match_alias_keys(layer: dict[str, Any], existing: Mapping[str, Any]) -> dict[str, Any]:
    """Rename env-derived alias keys (``my_chat``) to the file's spelling (``My-Chat``)."""
    aliases = layer.get("aliases")
    if not aliases:
        return layer
    by_key = {alias_key(n): n for n in existing}
    layer = dict(layer)
    layer["aliases"] = {by_key.get(alias_key(n), n): v for n, v in aliases.items()}
    return layer


Origin = dict[tuple[str, ...], str] | str  # per key path the variable (env), or one label


@dataclass(frozen=True)
class Layer:
    """One layer's data, where it came from (for messages), and its source kind
    (``file``, ``env``, ``explicit``, ``ssm``, ``appconfig`` ...: see config/adapters.py)."""

    data: dict[str, Any]
    origin: Origin
    kind: str

    def label(self, path: tuple[str, ...] = ()) -> str:
        if isinstance(self.origin, str):
            return self.origin
        for n in range(len(path), 0, -1):
            if path[:n] in self.origin:
                return self.origin[path[:n]]
        return next(iter(self.origin.values()), "environment")


ACCEPTED = (
    "config= takes a bedrock_lifecycle.Config, a mapping (dict), a path to a TOML/JSON/YAML "
    "file (str or os.PathLike), 'ssm:/parameter/name' (bedrock_lifecycle.client() only), or None"
)


def is_path(explicit: object) -> bool:
    """``config=`` names a file (or ``ssm:``) rather than giving the data itself."""
    return isinstance(explicit, str | os.PathLike)


def check_explicit(explicit: object) -> None:
    if explicit is not None and not isinstance(explicit, Config | Mapping) and not is_path(explicit):
        raise TypeError(f"{ACCEPTED}; got {type(explicit).__name__}")


def load_config(
    explicit: Config | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    document: Mapping[str, Any] | None = None,
    document_name: str | None = None,
    document_kind: str = "document",
) -> Config:
    """Build the configuration: explicit > environment > file (or ``document``) > defaults.

    ``explicit`` may be the path of a configuration file (str or PathLike), which then takes
    the place of ``BEDROCK_LIFECYCLE_CONFIG``. ``document_kind`` is the kind of source the
    document came from (``file``, ``ssm``, ...); a kind not known to be local is treated as
    remote, so import-path adapters in it are refused.
    """
    check_explicit(explicit)
    env = os.environ if environ is None else environ
    layers: list[Layer] = []
    if document is not None:
        name = document_name or "configuration document"
        limits.check_data(document, name)
        layers.append(Layer(dict(document), name, document_kind))
    elif is_path(explicit):
        path = os.fspath(explicit)  # type: ignore[arg-type]
        if str(path).startswith("ssm:"):
            raise ConfigError(f"config={path!r}: SSM parameters are loaded by bedrock_lifecycle.client() / wrap()")
        layers.append(Layer(_read_file(path, "config="), f"config= file {path}", "file"))
    elif env.get(ENV_CONFIG):
        source = env[ENV_CONFIG]
        if source.startswith("ssm:"):
            raise ConfigError(
                f"{ENV_CONFIG}={source!r}: SSM sources are loaded by bedrock_lifecycle.config.sources; "
                "use bedrock_lifecycle.client(), which does that"
            )
        layers.append(Layer(_read_file(source, ENV_CONFIG), f"{ENV_CONFIG} file {source}", "file"))
    env_data, env_origin = env_layer(env)
    file_aliases = layers[0].data.get("aliases", {}) if layers else {}
    layers.append(Layer(_match_alias_keys(env_data, file_aliases), env_origin, "env"))
    if explicit is not None and not is_path(explicit):
        if isinstance(explicit, Config):
            explicit = explicit.model_dump(exclude_unset=True)
        limits.check_data(explicit, "config= argument")
        so_far = {**file_aliases, **{n: None for n in layers[-1].data.get("aliases", {})}}
        layers.append(Layer(_match_alias_keys(dict(explicit), so_far), "config= argument", "explicit"))  # type: ignore[arg-type]

    _refuse_remote_opt_in(layers)
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = _merge(merged, layer.data)
    context = {ADAPTER_SOURCES: _adapter_sources(merged, layers)}
    try:
        return Config.model_validate(merged, context=context)  # type: ignore[no-any-return]
    except ConfigError as exc:
        if not exc.details:
            raise  # already names its source (adapters)
        raise ConfigError(explain(exc.details, lambda loc: _source_of(loc, layers)), details=exc.details) from None


def _refuse_remote_opt_in(layers: list[Layer]) -> None:
    # The opt-in for import-path adapters is a decision of whoever deploys the code; a
    # shared store must not be able to grant it to itself.
    for layer in layers:
        routing = layer.data.get("routing")
        if layer.kind not in LOCAL_KINDS and isinstance(routing, Mapping) and "allow_import_path_adapters" in routing:
            raise ConfigError(
                f"{layer.label()}: routing.allow_import_path_adapters: may be set only locally (a file, "
                f"the environment or the config= argument), never in a {layer.kind} source "
                f"(got {routing['allow_import_path_adapters']!r})"
            )


def _adapter_sources(merged: Mapping[str, Any], layers: list[Layer]) -> dict[str, tuple[str, str]]:
    """Per alias, the kind and label of the layer whose ``targets`` list is in force
    (lists are replaced, not merged, so one layer supplied every target)."""
    out: dict[str, tuple[str, str]] = {}
    aliases = merged.get("aliases")
    if not isinstance(aliases, Mapping):
        return out
    for name in aliases:
        for layer in reversed(layers):
            a = layer.data.get("aliases")
            if isinstance(a, Mapping) and isinstance(a.get(name), Mapping) and "targets" in a[name]:
                out[str(name)] = (layer.kind, layer.label(("aliases", str(name), "targets")))
                break
    return out


def _source_of(loc: tuple[str, ...], layers: list[Layer]) -> str:
    # The last layer that set this key (or a prefix of it) supplied the bad value.
    for layer in reversed(layers):
        data, origin = layer.data, layer.origin
        if isinstance(origin, dict):
            for n in range(len(loc), 0, -1):
                if loc[:n] in origin:
                    return str(origin[loc[:n]])
            # A model-level error (loc is a prefix of what the variable set).
            for k, var in origin.items():
                if loc and k[: len(loc)] == loc:
                    return str(var)
            continue
        node: Any = data
        found = True
        for p in loc:
            if isinstance(node, dict) and p in node:
                node = node[p]
            elif isinstance(node, list) and p.isdigit() and int(p) < len(node):
                node = node[int(p)]
            else:
                found = False
                break
        if found or (loc and isinstance(data, dict) and loc[0] in data):
            return str(origin)
    return "defaults"
