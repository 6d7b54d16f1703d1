"""``bedrock_lifecycle.client()``, ``wrap()`` and ``reconfigure()``: the composition root.

This is the one place that wires the layers together: it builds a client's state and
first configuration version (core), starts the reloader when the configuration has a
source (config), and attaches the features a configuration asks for (observe, migrate)
as observers. The core imports none of them.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

from bedrock_lifecycle._typing import BedrockRuntimeClient, ClientT
from bedrock_lifecycle.clock import Clock
from bedrock_lifecycle.config import Config
from bedrock_lifecycle.core.operations import model_operations
from bedrock_lifecycle.core.state import ClientState, Version
from bedrock_lifecycle.core.sync import STATE_ATTR, lifecycle_class, plain_class, state_of


def _features(state: ClientState, environ: Mapping[str, str]) -> None:
    """Attach what the version in force asks for (each attach is idempotent, and installs
    its observer only when its feature is configured)."""
    from bedrock_lifecycle.migrate import canary, shadow
    from bedrock_lifecycle.observe import metrics

    metrics.attach(state, environ)
    shadow.attach(state, environ)
    canary.attach(state, environ)


def reconfigure(client: Any, config: Config) -> Version:
    """Put a new configuration version in force on a wrapped client, atomically.

    The version (planner, policy, registry, every ``[registry]`` key) is built and
    validated in full before anything changes; on error the old version stays and
    :class:`~bedrock_lifecycle.errors.ConfigError` is raised.
    """
    from bedrock_lifecycle.migrate import shadow

    st = state_of(client)
    v = st.build(config)
    shadow.check_log(config)  # a shadow log that cannot be opened rejects the version
    st.put_in_force(v)
    _features(st, st.environ)
    return v


def is_async(client: Any) -> bool:
    """An aiobotocore client (told by its class, without importing aiobotocore)."""
    return any(c.__module__.startswith("aiobotocore") for c in type(client).__mro__)


def _check_region(region: object) -> str:
    """The client's region, when it is a region of some AWS partition. A mistyped one
    (``us-east1``) has no lifecycle data, so every model would read ``unknown`` and the
    gates would be off: ConfigError naming ``region_name``, the value and the closest
    real region. (A real region the bundled data does not cover stays ``unknown``.)"""
    from bedrock_lifecycle.errors import ConfigError
    from bedrock_lifecycle.regions import RegionError, validate_region

    if region is None or region == "":  # botocore refuses such a client itself
        return ""
    try:
        return validate_region(region, "region_name")
    except RegionError as exc:
        raise ConfigError(str(exc)) from None


def _botocore_retries_off(client: Any) -> bool:
    retries = getattr(client.meta.config, "retries", None) or {}
    total = retries.get("total_max_attempts")
    if total is None and "max_attempts" in retries:
        total = retries["max_attempts"] + 1
    return total == 1


def wrap(
    existing: ClientT,
    *,
    config: Config | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    registry: Any = None,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    asleep: Callable[[float], Any] | None = None,
) -> ClientT:
    """Upgrade a bedrock-runtime client in place and return it: a boto3/botocore client,
    or an aiobotocore one (then ``await`` its calls; ``asleep`` replaces ``asyncio.sleep``).

    A client with botocore's own retries on keeps them; every attempt botocore makes
    counts against ``max_attempts_per_target`` (see docs/configuration.md).
    """
    from botocore.client import BaseClient

    if not isinstance(existing, BaseClient):
        raise TypeError("wrap() takes a boto3/botocore or aiobotocore bedrock-runtime client, "
                        f"got {type(existing).__name__}")
    service = existing.meta.service_model.service_name
    if service != "bedrock-runtime":
        raise TypeError(f"wrap() takes a bedrock-runtime client, got a {service!r} client")
    region = _check_region(existing.meta.region_name)  # before anything changes
    env = os.environ if environ is None else environ
    from bedrock_lifecycle.config import sources

    cfg, source = sources.initial(env, config)
    st = ClientState(
        region=region,
        model_ops=model_operations(existing.meta.service_model),
        sleep=sleep,
        rng=rng,
        owns_retries=_botocore_retries_off(existing),
        registry=registry,
        clock=clock,
    )
    st.put_in_force(st.build(cfg))  # validated before the client changes at all
    st.environ = env
    from bedrock_lifecycle.observe import metrics

    metrics.validate(env, st.region)  # unknown exporter names fail before anything changes
    from bedrock_lifecycle.migrate import shadow

    shadow.check_log(cfg)  # so does a shadow log that cannot be opened (records never lost silently)
    if is_async(existing):
        from bedrock_lifecycle.core import adriver

        plain = plain_class(type(existing))
        st.asleep = asleep
        st.send_direct = adriver.aio_send_direct(existing, plain, st)
        existing.__class__ = adriver.aio_lifecycle_class(type(existing))
    else:
        plain = plain_class(type(existing))
        st.send_direct = lambda operation, params: plain._make_api_call(existing, operation, params)  # type: ignore[attr-defined]
        existing.__class__ = lifecycle_class(type(existing))
    existing.__dict__[STATE_ATTR] = st
    if source is not None:
        from bedrock_lifecycle.config.reload import Reloader

        st.reloader = Reloader(
            existing, source, apply=reconfigure, environ=env, explicit=config, ttl=source.ttl, version=cfg.version
        ).start()
    _features(st, env)
    return existing


def client(
    service_name: Literal["bedrock-runtime"] = "bedrock-runtime",
    /,
    *,
    config: Config | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    session: Any = None,
    registry: Any = None,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> BedrockRuntimeClient:
    """``boto3.client("bedrock-runtime", **kwargs)`` with lifecycle protection.

    The library owns retries: botocore's are turned off (one attempt on the wire per
    try) unless ``config=botocore.config.Config(retries=...)`` is passed as
    ``botocore_config``, so a throttled primary falls back without waiting out
    botocore's backoff.
    """
    if service_name != "bedrock-runtime":
        # Accepted positionally so `boto3.client("bedrock-runtime", ...)` call sites port as-is.
        raise TypeError(f"bedrock_lifecycle.client() makes 'bedrock-runtime' clients, not {service_name!r}")
    import boto3
    from botocore.config import Config as BotoConfig

    boto_cfg = kwargs.pop("botocore_config", None)
    if isinstance(config, BotoConfig):  # the boto3 spelling, passed positionally by habit
        boto_cfg, config = config, None
    ours = BotoConfig(retries={"total_max_attempts": 1, "mode": "standard"})
    boto_cfg = ours if boto_cfg is None else ours.merge(boto_cfg)
    sess = session if session is not None else boto3.session.Session()
    raw = sess.client("bedrock-runtime", config=boto_cfg, **kwargs)
    wrapped: BedrockRuntimeClient = wrap(raw, config=config, registry=registry, clock=clock, environ=environ)
    return wrapped


def runtime_of(c: Any) -> ClientState:
    """The lifecycle state of a wrapped client (``.version`` is the configuration in force)."""
    return state_of(c)


def reset_warnings() -> None:
    """Forget which lifecycle warnings were shown (tests, long-running REPLs)."""
    from bedrock_lifecycle.core.gate import reset_warnings as _reset

    _reset()
