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
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bedrock_lifecycle.config.schema import ENV_CONFIG, ENV_PREFIX, Config, alias_key
from bedrock_lifecycle.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _read_file(path: str) -> dict[str, Any]:
    p = Path(path).expanduser()
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{ENV_CONFIG}: cannot read {path!r}: {exc.strerror or exc}") from None
    return parse_document(raw, name=str(p), suffix=p.suffix.lower())


def parse_document(raw: bytes, *, name: str, suffix: str = "") -> dict[str, Any]:
    """Parse a TOML or JSON configuration document (JSON when it starts with ``{``), or
    YAML for a ``.yaml``/``.yml`` file when PyYAML is installed (optional)."""
    text = raw.decode("utf-8-sig", errors="replace")
    if suffix in (".yaml", ".yml"):
        return _parse_yaml(text, name)
    is_json = suffix == ".json" or (suffix not in (".toml",) and text.lstrip().startswith("{"))
    try:
        data = json.loads(text) if is_json else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if is_json else "TOML"
        raise ConfigError(f"{name}: not valid {kind}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: the document must be a table/object, got {type(data).__name__}")
    return data


def _parse_yaml(text: str, name: str) -> dict[str, Any]:
    try:
        import yaml  # optional: TOML and JSON need nothing beyond the standard library
    except ImportError:
        raise ConfigError(f"{name}: YAML configuration needs PyYAML (pip install pyyaml), or use TOML/JSON") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML: {exc}") from None
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
}
# Variables read elsewhere (not configuration keys); listed so they are not flagged unknown.
_OTHER_ENV = {"CONFIG", "CONFIG_TTL", "CACHE_DIR", "METRICS"}


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


def load_config(
    explicit: Config | Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    document: Mapping[str, Any] | None = None,
    document_name: str | None = None,
) -> Config:
    """Build the configuration: explicit > environment > file (or ``document``) > defaults."""
    env = os.environ if environ is None else environ
    layers: list[tuple[dict[str, Any], dict[tuple[str, ...], str] | str]] = []
    if document is not None:
        layers.append((dict(document), document_name or "configuration document"))
    elif env.get(ENV_CONFIG):
        source = env[ENV_CONFIG]
        if source.startswith("ssm:"):
            raise ConfigError(
                f"{ENV_CONFIG}={source!r}: SSM sources are loaded by bedrock_lifecycle.config.sources; "
                "use bedrock_lifecycle.client(), which does that"
            )
        layers.append((_read_file(source), f"{ENV_CONFIG} file {source}"))
    env_data, env_origin = env_layer(env)
    file_aliases = layers[0][0].get("aliases", {}) if layers else {}
    layers.append((_match_alias_keys(env_data, file_aliases), env_origin))
    if explicit is not None:
        if isinstance(explicit, Config):
            explicit = explicit.model_dump(exclude_unset=True)
        so_far = {**file_aliases, **{n: None for n in layers[-1][0].get("aliases", {})}}
        layers.append((_match_alias_keys(dict(explicit), so_far), "config= argument"))

    merged: dict[str, Any] = {}
    origins: list[tuple[dict[str, Any], dict[tuple[str, ...], str] | str]] = []
    for data, origin in layers:
        merged = _merge(merged, data)
        origins.append((data, origin))
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, origins)) from None


def _explain(
    exc: ValidationError, origins: list[tuple[dict[str, Any], dict[tuple[str, ...], str] | str]]
) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        source = _source_of(loc, origins)
        path = ".".join(loc) or "(document)"
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{source}: {path}: {msg}{shown}")
    return "invalid configuration:\n  " + "\n  ".join(lines) if len(lines) > 1 else lines[0]


def _source_of(
    loc: tuple[str, ...], origins: list[tuple[dict[str, Any], dict[tuple[str, ...], str] | str]]
) -> str:
    # The last layer that set this key (or a prefix of it) supplied the bad value.
    for data, origin in reversed(origins):
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
