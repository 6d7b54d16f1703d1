"""Find the base foundation model behind identifiers that do not name one.

Application inference profiles, provisioned models, custom models and custom model
deployments are opaque IDs; the Bedrock control plane knows their base model:

- ``GetInferenceProfile``            -> ``models[0].modelArn``
- ``GetProvisionedModelThroughput``  -> ``foundationModelArn``
- ``GetCustomModel``                 -> ``baseModelArn``
- ``GetCustomModelDeployment``       -> ``modelArn`` (a custom model, resolved in turn)

This is network I/O, used only when the user passes a resolver to the registry (or
``--resolve`` on the CLI). Answers are cached for ``ttl`` seconds, failures for
``error_ttl`` seconds so a broken permission does not cost a call per request.
:meth:`ControlPlaneResolver.resolve` never raises.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache

from bedrock_lifecycle.errors import describe_error
from bedrock_lifecycle.ids import ModelId, ModelIdError, parse_model_id
from bedrock_lifecycle.util.aws import aws_client

ClientFactory = Callable[[str | None], Any]
_MAX_DEPTH = 3  # deployment -> custom model -> base model, plus one for safety


@dataclass(frozen=True, slots=True)
class Resolution:
    base_model_id: str | None  # None: not resolved (see ``note``)
    note: str
    arn: str | None = None  # what the control plane returned last
    ok: bool = True  # False when a call failed (cached for error_ttl only)


class ControlPlaneResolver:
    """Resolve opaque model identifiers through the Bedrock control plane (cached, never raises).

    ``source`` is a ``client_factory(region) -> bedrock client`` callable, or a
    ``boto3.Session``, or None for a default session created on first use.
    """

    def __init__(
        self,
        source: ClientFactory | Any = None,
        *,
        ttl: float = 3600.0,
        error_ttl: float = 60.0,
        maxsize: int = 1024,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._ok: TTLCache[tuple[str, str | None], Resolution] = TTLCache(maxsize, ttl, timer=timer)
        self._failed: TTLCache[tuple[str, str | None], Resolution] = TTLCache(maxsize, error_ttl, timer=timer)
        self._clients: dict[str | None, Any] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- clients

    def _client(self, region: str | None) -> Any:
        with self._lock:
            client = self._clients.get(region)
        if client is not None:
            return client
        src = self._source
        if callable(src) and not hasattr(src, "client"):
            client = src(region)
        else:
            if src is None:
                import boto3

                src = self._source = boto3.Session()
            # On a request path the first time: keep it short.
            client = aws_client("bedrock", region=region, session=src, connect_timeout=3, read_timeout=5,
                                attempts=2, purpose="resolver")
        with self._lock:
            self._clients.setdefault(region, client)
        return client

    # ---------------------------------------------------------------- resolution

    def resolve(self, model: ModelId, region: str | None) -> Resolution:
        key = (model.raw, model.region or region)
        with self._lock:
            hit = self._ok.get(key) or self._failed.get(key)
        if hit is not None:
            return hit
        try:
            result = self._resolve(model, model.region or region, 0)
        except Exception as exc:  # never raise into a request
            result = Resolution(None, f"control-plane resolution failed: {describe_error(exc)}", ok=False)
        with self._lock:
            (self._ok if result.ok else self._failed)[key] = result
        return result

    def clear(self) -> None:
        with self._lock:
            self._ok.clear()
            self._failed.clear()

    def _resolve(self, model: ModelId, region: str | None, depth: int) -> Resolution:
        if model.base_model_id is not None:
            return Resolution(model.base_model_id, "", model.raw)
        if depth >= _MAX_DEPTH:
            return Resolution(None, f"gave up resolving {model.raw} after {depth} hops", ok=False)
        spec = _CALLS.get(model.kind)
        if spec is None:
            return Resolution(None, f"the control plane cannot resolve a {model.kind}", ok=True)
        op, method, param, pick = spec
        try:
            response: dict[str, Any] = getattr(self._client(region), method)(**{param: model.raw})
        except Exception as exc:
            return Resolution(None, f"{op} for {model.raw} failed: {describe_error(exc)}", ok=False)
        target = pick(response)
        if not target:
            return Resolution(None, f"{op} for {model.raw} returned no model ARN", ok=True)
        try:
            inner = parse_model_id(target)
        except ModelIdError as exc:
            return Resolution(None, f"{op} returned {target!r}: {exc}", ok=True)
        found = self._resolve(inner, inner.region or region, depth + 1)
        via = f"{op}: {model.raw} -> {target}"
        note = f"{via}; {found.note}" if found.note else via
        return Resolution(found.base_model_id, f"base model via {note}" if depth == 0 else note, target, found.ok)


def _get(name: str) -> Callable[[dict[str, Any]], str | None]:
    def pick(response: dict[str, Any]) -> str | None:
        value = response.get(name)
        return str(value) if value else None

    return pick


def _first_model_arn(response: dict[str, Any]) -> str | None:
    models = response.get("models") or []
    for m in models:
        arn = m.get("modelArn")
        if arn:
            return str(arn)
    return None


def _provisioned_base(response: dict[str, Any]) -> str | None:
    # foundationModelArn is the base even when the provisioned model is a custom model.
    return _get("foundationModelArn")(response) or _get("modelArn")(response)


# kind -> (operation, client method, parameter, where the model ARN is in the answer)
_CALLS: dict[str, tuple[str, str, str, Callable[[dict[str, Any]], str | None]]] = {
    "application-inference-profile": (
        "GetInferenceProfile", "get_inference_profile", "inferenceProfileIdentifier", _first_model_arn,
    ),
    "provisioned-model": (
        "GetProvisionedModelThroughput", "get_provisioned_model_throughput", "provisionedModelId",
        _provisioned_base,
    ),
    "custom-model": ("GetCustomModel", "get_custom_model", "modelIdentifier", _get("baseModelArn")),
    "custom-model-deployment": (
        "GetCustomModelDeployment", "get_custom_model_deployment", "customModelDeploymentIdentifier",
        _get("modelArn"),
    ),
}



__all__ = ["ClientFactory", "ControlPlaneResolver", "Resolution"]
