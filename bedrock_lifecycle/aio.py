"""The async client: ``async with bedrock_lifecycle.aio.client("bedrock-runtime", ...) as c``.

An aiobotocore ``bedrock-runtime`` client with everything the sync client has (aliases,
policy, weights, sticky keys through the same ``routing_key``, ramps, retries with
``asyncio.sleep``, deadline, fallback, cooldowns, stream fallback before the first
event, response metadata, observers, shadow traffic off the caller's task), driven by
the same call flow. ``bedrock_lifecycle.wrap(aiobotocore_client)`` upgrades a client you
already have. Needs the ``async`` extra: ``pip install 'bedrock-lifecycle[async]'``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from bedrock_lifecycle.api import wrap
from bedrock_lifecycle.errors import ConfigError


@contextlib.asynccontextmanager
async def client(
    service_name: str = "bedrock-runtime",
    /,
    *,
    config: Any = None,
    session: Any = None,
    registry: Any = None,
    environ: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> AsyncIterator[Any]:
    """``aiobotocore``'s ``session.create_client("bedrock-runtime", **kwargs)`` with
    lifecycle protection. As with the sync client, the library owns retries: botocore's
    are turned off unless ``botocore_config=`` sets them."""
    if service_name != "bedrock-runtime":
        raise TypeError(f"bedrock_lifecycle.aio.client() makes 'bedrock-runtime' clients, not {service_name!r}")
    try:
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session
    except ModuleNotFoundError:
        raise ConfigError("the async client needs aiobotocore: pip install 'bedrock-lifecycle[async]'") from None
    boto_cfg = kwargs.pop("botocore_config", None)
    ours = AioConfig(retries={"total_max_attempts": 1, "mode": "standard"})
    boto_cfg = ours if boto_cfg is None else ours.merge(boto_cfg)
    sess = session if session is not None else get_session()
    async with sess.create_client("bedrock-runtime", config=boto_cfg, **kwargs) as raw:
        c = wrap(raw, config=config, registry=registry, environ=environ)
        try:
            yield c
        finally:
            from bedrock_lifecycle.core.sync import state_of

            reloader = state_of(c).reloader
            if reloader is not None:
                reloader.stop()


__all__ = ["client"]
