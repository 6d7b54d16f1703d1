"""Configuration: one validated document from defaults, a file, the environment and arguments.

Precedence: explicit arguments > environment variables > file > defaults. Layers are
merged as plain dicts first, then validated once with pydantic; a validation error is
reported against the layer that supplied the bad value (file and key path, or the
environment variable), with the value and what is allowed.

File: ``BEDROCK_LIFECYCLE_CONFIG`` names a TOML or JSON file (see docs/configuration.md).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

import bedrock_lifecycle.config.adapters as adapters
import bedrock_lifecycle.config.limits as limits
from bedrock_lifecycle.clock import InstantError, check_range, parse_instant
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.regions import RegionError, validate_region

ENV_PREFIX = "BEDROCK_LIFECYCLE_"
ENV_CONFIG = "BEDROCK_LIFECYCLE_CONFIG"
ALIAS_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def alias_key(name: str) -> str:
    """Aliases match case-insensitively, with ``-`` and ``_`` interchangeable."""
    return name.lower().replace("-", "_")


def _check_model(value: str) -> str:
    try:
        parse_model_id(value)
    except ModelIdError as exc:
        raise ValueError(str(exc)) from None
    return value


def _check_path(value: str) -> str:
    if "\x00" in value:
        raise ValueError(f"{value!r} contains a NUL byte, which no file system path can hold")
    if not value.strip():
        raise ValueError("an empty path")
    return value


def _check_base_model(value: str) -> str:
    try:
        mid = parse_model_id(value)
    except ModelIdError as exc:
        raise ValueError(str(exc)) from None
    if mid.base_model_id is None:
        raise ValueError(f"{value!r} names no base model ({mid.kind}); give the base model ID it runs")
    return value


def _check_region(value: str) -> str:
    # A region of some AWS partition; a mistyped one would match no lifecycle data.
    try:
        return validate_region(value)
    except RegionError as exc:
        raise ValueError(exc.reason) from None


PathStr = Annotated[str, AfterValidator(_check_path)]
BaseModelId = Annotated[str, AfterValidator(_check_base_model)]
Region = Annotated[str, AfterValidator(_check_region)]


def explain(errors: Sequence[Mapping[str, Any]], source_of: Callable[[tuple[str, ...]], str]) -> str:
    """One line per pydantic error: ``source: key.path: what is wrong (got value)``."""
    lines = []
    for err in errors:
        loc = tuple(str(p) for p in err["loc"])
        path = ".".join(loc) or "(document)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        value = err.get("input")
        if isinstance(value, _dt.date):
            value = value.isoformat()  # a TOML date reads as written, not as datetime.date(1, 1, 1)
        # Each part once: no "(got X)" when the message quotes X, no key path that only
        # repeats the environment variable's name (BEDROCK_LIFECYCLE_NOW: now: ...).
        shown = "" if isinstance(value, dict | list) or repr(value) in msg else f" (got {value!r})"
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        source = source_of(loc)
        where = f"{source}: " if loc and source.endswith("_" + "_".join(loc).upper()) else f"{source}: {path}: "
        lines.append(f"{where}{msg}{shown}")
    return "invalid configuration:\n  " + "\n  ".join(lines) if len(lines) > 1 else lines[0]


# True while a model is being validated: nested models (pydantic calls their __init__
# because it is overridden) let pydantic's own error through, so the outermost call
# reports every error with its full key path.
_validating: ContextVar[bool] = ContextVar("bedrock_lifecycle_validating", default=False)


#: Validation context key: per alias, the (kind, label) of the source of its targets.
ADAPTER_SOURCES = "adapter_sources"


class _Unresolved(Exception):
    """An adapter could not be resolved; becomes a ConfigError with this message."""


class _Model(BaseModel):
    """Frozen, no unknown keys, and bad data raises ConfigError (never a raw pydantic error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, /, **data: Any) -> None:
        if _validating.get():
            super().__init__(**data)
            return
        token = _validating.set(True)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _config_error(exc, f"{type(self).__name__}(...)") from None
        finally:
            _validating.reset(token)

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
        return cls._config_errors("model_validate", super().model_validate, obj, **kwargs)

    @classmethod
    def model_validate_strings(cls, obj: Any, **kwargs: Any) -> Any:
        """As :meth:`model_validate`, for data whose leaves are strings (the same error:
        :class:`ConfigError` naming the key path and value)."""
        return cls._config_errors("model_validate_strings", super().model_validate_strings, obj, **kwargs)

    @classmethod
    def _config_errors(cls, what: str, validate: Callable[..., Any], obj: Any, **kwargs: Any) -> Any:
        """``validate(obj)`` with pydantic's errors as :class:`ConfigError` naming ``what``."""
        token = _validating.set(True)
        try:
            return validate(obj, **kwargs)
        except ValidationError as exc:
            raise _config_error(exc, f"{cls.__name__}.{what}") from None
        except _Unresolved as exc:
            raise ConfigError(str(exc)) from None
        finally:
            _validating.reset(token)


def _config_error(exc: ValidationError, source: str) -> ConfigError:
    details = exc.errors(include_url=False)
    return ConfigError(explain(details, lambda loc: source), details=details)


class PolicyConfig(_Model):
    on_legacy: Literal["ignore", "warn", "error", "fallback"] = "warn"
    on_extended_access: Literal["ignore", "warn", "error", "fallback"] = "warn"
    on_eol: Literal["error", "fallback"] = "error"
    warn_before_eol_days: int = Field(default=90, ge=0, le=3650)
    # "reported": dates known only from third-party notes of AWS material may refuse calls
    # and fail `check` like confirmed ones (default: they only warn).
    trust: Literal["confirmed", "reported"] = "confirmed"


class SystemOverride(_Model):
    """A system prompt for one target: ``replace`` the caller's, or ``prepend``/``append`` to it."""

    text: str
    mode: Literal["replace", "prepend", "append"] = "replace"


class Target(_Model):
    model: str
    weight: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    # Converse-only request overrides, so a replacement gets the limits and prompt it needs.
    inference_config: dict[str, Any] | None = None
    additional_model_request_fields: dict[str, Any] | None = None
    system: SystemOverride | None = None
    # InvokeModel bodies are model-family specific: the name of a registered adapter
    # (see config/adapters.py) converting a body written for another family into this
    # target's. Resolved to a function when the configuration version is validated.
    body_adapter: str | None = None

    _v_model = field_validator("model")(classmethod(lambda cls, v: _check_model(v)))

    @field_validator("body_adapter")
    @classmethod
    def _adapter_syntax(cls, v: str | None) -> str | None:
        return None if v is None else adapters.check_syntax(v)

    @property
    def rewrites_request(self) -> bool:
        """Whether sending to this target changes more than ``modelId`` (overrides or a
        body adapter): the one place that says so, for core.rewrite and the call path."""
        return bool(self.inference_config or self.additional_model_request_fields or self.system is not None
                    or self.body_adapter)


class RampStep(_Model):
    at: _dt.datetime
    weights: list[float] = Field(min_length=1)

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, v: Any) -> Any:
        return _instant(v, "at")

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: list[float]) -> list[float]:
        if any(w < 0 or w != w or w == float("inf") for w in v):
            raise ValueError(f"weights must be finite and >= 0, got {v}")
        if not any(w > 0 for w in v):
            raise ValueError(f"at least one weight must be > 0, got {v}")
        return v


class ShadowConfig(_Model):
    model: str
    sample: float = Field(default=0.0, ge=0.0, le=1.0)

    _v_model = field_validator("model")(classmethod(lambda cls, v: _check_model(v)))


class AnalysisConfig(_Model):
    min_calls: int = Field(default=50, ge=1)
    max_error_rate_increase: float = Field(default=0.05, ge=0.0, le=1.0)
    max_p95_latency_ratio: float = Field(default=1.5, gt=0)
    enabled: bool = True
    # The alias's ramp advances to its next step (when that step's date has come) only
    # after the canaries were judged healthy on min_calls attempts at the current step.
    gate_ramp: bool = False


class AliasConfig(_Model):
    targets: list[Target] = Field(min_length=1)
    fallbacks: list[str] = Field(default_factory=list)
    ramp: list[RampStep] = Field(default_factory=list)
    shadow: ShadowConfig | None = None
    analysis: AnalysisConfig | None = None
    # Which API the alias serves. "invoke" makes mixed model families a load-time error;
    # "any" allows them and refuses InvokeModel-style calls on such an alias before sending.
    api: Literal["any", "converse", "invoke"] = "any"

    _v_fallbacks = field_validator("fallbacks")(
        classmethod(lambda cls, v: [_check_model(m) for m in v])
    )

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, v: Any) -> Any:
        # Accept the short forms "model-id" and {"model-id": weight}.
        if isinstance(v, str):
            v = [v]
        if isinstance(v, list):
            return [{"model": t} if isinstance(t, str) else t for t in v]
        return v

    @model_validator(mode="after")
    def _consistent(self) -> AliasConfig:
        if not any(t.weight > 0 for t in self.targets):
            # These weights apply before the first ramp step too: something must take traffic.
            raise ValueError("at least one target must have a weight > 0")
        n = len(self.targets)
        for i, step in enumerate(self.ramp):
            if len(step.weights) != n:
                raise ValueError(
                    f"ramp[{i}] has {len(step.weights)} weights but the alias has {n} targets"
                )
        for i in range(len(self.ramp) - 1):
            a, b = self.ramp[i].at, self.ramp[i + 1].at
            if a > b:
                raise ValueError(
                    f"ramp steps must be in date order: ramp[{i}] at {a.isoformat()} comes after "
                    f"ramp[{i + 1}] at {b.isoformat()}"
                )
        if self.api == "invoke" and self.mixed_families():
            raise ValueError(
                "targets span model families "
                f"{', '.join(self.mixed_families())}: an InvokeModel body written for one family "
                "fails on another. Give the other targets a body_adapter, or use Converse"
            )
        return self

    def mixed_families(self) -> list[str]:
        """Provider families of targets and fallbacks without a body adapter, when more than one.

        InvokeModel bodies are family-specific, so such an alias is safe for Converse only.
        """
        models = [t.model for t in self.targets if t.body_adapter is None] + self.fallbacks
        families = sorted({_family(m) for m in models} - {""})
        return families if len(families) > 1 else []


def _family(model: str) -> str:
    """InvokeModel body family: the provider (anthropic, amazon, meta, ...)."""
    try:
        return parse_model_id(model).provider or ""
    except ModelIdError:
        return ""


class RoutingConfig(_Model):
    max_attempts_per_target: int = Field(default=2, ge=1, le=20)
    deadline_seconds: float | None = Field(default=None, gt=0)
    cooldown_after_failures: int = Field(default=3, ge=1)
    cooldown_seconds: float = Field(default=30.0, ge=0)
    backoff_initial_seconds: float = Field(default=0.2, ge=0)
    backoff_max_seconds: float = Field(default=5.0, ge=0)
    # Error codes added to / removed from the fallback-eligible set (see fallback.py).
    fallback_on: list[str] = Field(default_factory=list)
    never_fallback_on: list[str] = Field(default_factory=list)
    # Accept "package.module:function" import paths as body adapters from local sources
    # (never from SSM/AppConfig). Off: adapters are named, registered in code.
    allow_import_path_adapters: bool = False


def _instant(v: Any, field: str) -> Any:
    """An aware UTC datetime from an ISO string, a date or a datetime, within the clock's
    supported range (clock.MIN_INSTANT..MAX_INSTANT: lifecycle arithmetic near year 1 or
    9999 overflows)."""
    raw = v.isoformat() if isinstance(v, _dt.date) else v
    try:
        if isinstance(v, str):
            return parse_instant(v, field=field)  # range-checked there
        if isinstance(v, _dt.datetime):
            return check_range(v, field=field, raw=raw)
        if isinstance(v, _dt.date):
            return check_range(_dt.datetime(v.year, v.month, v.day, tzinfo=_dt.timezone.utc), field=field, raw=raw)
    except InstantError as exc:
        raise ValueError(str(exc).removeprefix(f"{field}: ")) from None
    return v  # pydantic reports the wrong type


class LifecycleOverride(_Model):
    """Your own lifecycle facts for a model: they beat synced API data and bundled data
    (a private notice, a negotiated date, a model the data does not know yet)."""

    model: str
    regions: list[Region] | None = None  # None: every region
    legacy: _dt.datetime | None = None
    extended_access: _dt.datetime | None = None
    eol: _dt.datetime | None = None
    replacements: list[str] = Field(default_factory=list)

    _v_model = field_validator("model")(classmethod(lambda cls, v: _check_model(v)))
    _v_repl = field_validator("replacements")(classmethod(lambda cls, v: [_check_model(m) for m in v]))

    @field_validator("legacy", "extended_access", "eol", mode="before")
    @classmethod
    def _dates(cls, v: Any, info: Any) -> Any:
        return _instant(v, info.field_name)

    def to_entry(self) -> Any:
        from bedrock_lifecycle.lifecycle.model import LifecycleEntry

        base = parse_model_id(self.model).base_model_id or self.model
        return LifecycleEntry(
            base,
            regions=frozenset(self.regions) if self.regions else None,
            legacy=self.legacy,
            extended_access=self.extended_access,
            eol=self.eol,
            replacements=tuple(self.replacements),
            source="override",
            provenance="configuration [[registry.overrides]]",
        )


class RegistryConfig(_Model):
    # Map identifiers that name no base model (application profiles, provisioned and custom
    # model ARNs) to the base model whose lifecycle they follow.
    base_models: dict[str, BaseModelId] = Field(default_factory=dict)
    resolve_via_api: bool = False
    cache_dir: PathStr | None = None
    overrides: list[LifecycleOverride] = Field(default_factory=list)


class PriceOverride(_Model):
    """A negotiated (or otherwise known) on-demand price, USD per 1000 tokens; see docs/compare.md."""

    input_per_1k: float = Field(ge=0, allow_inf_nan=False)
    output_per_1k: float = Field(ge=0, allow_inf_nan=False)
    cache_read_per_1k: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    cache_write_per_1k: float | None = Field(default=None, ge=0, allow_inf_nan=False)


def _check_price_keys(v: dict[str, PriceOverride]) -> dict[str, PriceOverride]:
    for key in v:
        _check_model(key)  # a model ID, inference profile or ARN: aliases serve several models
    return v


class ShadowSinkConfig(_Model):
    """Where shadow pairs are recorded (JSONL), and whether texts are kept (opt-in)."""

    log: PathStr | None = None
    record_text: bool = False


class Config(_Model):
    policy: PolicyConfig = PolicyConfig()
    routing: RoutingConfig = RoutingConfig()
    registry: RegistryConfig = RegistryConfig()
    shadow: ShadowSinkConfig = ShadowSinkConfig()
    # [prices."MODEL_ID"]: user price overrides; they win over synced and bundled prices.
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    _v_prices = field_validator("prices")(classmethod(lambda cls, v: _check_price_keys(v)))
    aliases: dict[str, AliasConfig] = Field(default_factory=dict)
    # Fallback chains for concrete model IDs the application calls directly.
    chains: dict[str, list[str]] = Field(default_factory=dict)
    now: _dt.datetime | None = None
    version: str | None = None  # what produced this document (file hash, SSM version)
    # Records of fleet canary rollbacks written back by `bedrock-lifecycle analyze --fleet`.
    rollbacks: list[dict[str, Any]] = Field(default_factory=list)

    # Every body_adapter name this version uses -> the function, resolved at validation.
    _adapters: dict[str, adapters.AdapterFn] = PrivateAttr(default_factory=dict)

    def __init__(self, /, **data: Any) -> None:
        # Built in code: the caller's own arguments (trusted as code, import paths opt-in).
        outer = not _validating.get()  # not the inside of model_validate
        if outer:
            limits.check_data(data, "Config(...)")
        super().__init__(**data)
        if outer:
            self._bind_adapters(None)

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:
        """Validate ``obj``; ``context={"adapter_sources": {alias: (kind, label)}}`` says
        which kind of source (``file``, ``env``, ``explicit``, ``ssm`` ...) supplied each
        alias's targets, which decides whether import-path adapters may be used (without
        it, the data counts as explicit arguments)."""
        limits.check_data(obj, f"{cls.__name__}.model_validate")
        context = dict(kwargs.pop("context", None) or {})
        context.setdefault(ADAPTER_SOURCES, None)
        return super().model_validate(obj, context=context, **kwargs)

    @classmethod
    def model_validate_strings(cls, obj: Any, **kwargs: Any) -> Any:
        """As :meth:`model_validate`, for data whose leaves are strings (the same limits,
        adapters resolved)."""
        limits.check_data(obj, f"{cls.__name__}.model_validate_strings")
        context = dict(kwargs.pop("context", None) or {})
        context.setdefault(ADAPTER_SOURCES, None)
        return super().model_validate_strings(obj, context=context, **kwargs)

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Any:
        """As :meth:`model_validate`, from JSON text (the same limits, adapters resolved)."""
        name = f"{cls.__name__}.model_validate_json"
        text = json_data.decode("utf-8", errors="replace") if isinstance(json_data, bytes | bytearray) else json_data
        limits.check_text(text, name, toml=False)  # before json.loads recurses
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"{name}: not valid JSON: {exc}") from None
        return cls.model_validate(data, **kwargs)

    @model_validator(mode="after")
    def _resolve_adapters(self, info: ValidationInfo) -> Config:
        # Only the outer pass of model_validate carries the context: pydantic also runs
        # this validator inside the overridden __init__ without it, and resolving there
        # with the wrong source kind could import what the real kind forbids.
        context = info.context
        if isinstance(context, Mapping) and ADAPTER_SOURCES in context:
            try:
                self._bind_adapters(context[ADAPTER_SOURCES])
            except ConfigError as exc:
                raise _Unresolved(str(exc)) from None
        return self

    def _bind_adapters(self, sources: Mapping[str, tuple[str, str]] | None) -> None:
        found: dict[str, adapters.AdapterFn] = {}
        problems: list[str] = []
        for name, alias in self.aliases.items():
            kind, label = ("explicit", "Config(...)") if sources is None else sources.get(name, ("document", "document"))
            for i, t in enumerate(alias.targets):
                if t.body_adapter is None:
                    continue
                try:
                    found[t.body_adapter] = adapters.resolve_adapter(
                        t.body_adapter, source_kind=kind,
                        allow_import_paths=self.routing.allow_import_path_adapters,
                    )
                except ConfigError as exc:
                    problems.append(f"{label}: aliases.{name}.targets.{i}.body_adapter: {exc} (got {t.body_adapter!r})")
        if problems:
            raise ConfigError(problems[0] if len(problems) == 1 else "invalid configuration:\n  " + "\n  ".join(problems))
        self._adapters = found

    def adapter(self, name: str) -> adapters.AdapterFn:
        """The function a target's ``body_adapter`` names, resolved when this version was
        validated (the request path calls this; it never imports anything)."""
        try:
            return self._adapters[name]
        except KeyError:
            raise ConfigError(
                f"body adapter {name!r} was not resolved with this configuration version "
                "(built with model_construct?); build it with Config(...) or load_config()"
            ) from None

    @field_validator("aliases")
    @classmethod
    def _alias_names(cls, v: dict[str, AliasConfig]) -> dict[str, AliasConfig]:
        seen: dict[str, str] = {}
        for name in v:
            if not ALIAS_NAME_RE.fullmatch(name):
                raise ValueError(
                    f"alias name {name!r} must be letters, digits, '-' or '_' (no dots or colons, "
                    "so it can never be mistaken for a model ID)"
                )
            k = alias_key(name)
            if k in seen:
                raise ValueError(f"aliases {seen[k]!r} and {name!r} are the same name")
            seen[k] = name
        return v

    @field_validator("chains")
    @classmethod
    def _chains(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for k, chain in v.items():
            _check_model(k)
            for m in chain:
                _check_model(m)
        return v

    @field_validator("now", mode="before")
    @classmethod
    def _now(cls, v: Any) -> Any:
        return _instant(v, "now")

    def alias(self, name: str) -> tuple[str, AliasConfig] | None:
        k = alias_key(name)
        for n, a in self.aliases.items():
            if alias_key(n) == k:
                return n, a
        return None
