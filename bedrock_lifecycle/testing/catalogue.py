"""The control plane's catalogue: foundation models and inference profiles, and the defaults.

A snapshot shaped like real answers; tests add, replace or remove entries per run.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import Any, Final

from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.testing.wire import (
    ACCOUNT_ID,
    Instant,
    arn_resource,
    fm_arn,
    instant,
    iso,
)

_PROVIDER_NAMES: Final = {
    "ai21": "AI21 Labs",
    "amazon": "Amazon",
    "anthropic": "Anthropic",
    "cohere": "Cohere",
    "deepseek": "DeepSeek",
    "meta": "Meta",
    "mistral": "Mistral AI",
    "openai": "OpenAI",
    "qwen": "Qwen",
    "stability": "Stability AI",
    "writer": "Writer",
}
# Regions a system-defined cross-region profile routes to, by its prefix.
_GEOGRAPHY_REGIONS: Final = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-west-1", "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-southeast-1", "ap-southeast-2"),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1",),
    "us-gov": ("us-gov-west-1", "us-gov-east-1"),
    "global": ("us-east-1", "us-east-2", "us-west-2"),
}
_LIFECYCLE_FIELDS: Final = (
    ("start_time", "startOfLifeTime"),
    ("legacy_time", "legacyTime"),
    ("extended_access_time", "publicExtendedAccessTime"),
    ("eol_time", "endOfLifeTime"),
)


@dataclasses.dataclass(frozen=True, slots=True)
class FoundationModel:
    model_id: str
    status: str
    lifecycle: tuple[tuple[str, _dt.datetime], ...]
    regions: frozenset[str] | None
    name: str
    provider: str
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    inference_types: tuple[str, ...]
    customizations: tuple[str, ...]
    streaming: bool

    def summary(self, region: str) -> dict[str, Any]:
        lifecycle: dict[str, Any] = {"status": self.status}
        lifecycle.update((key, iso(value)) for key, value in self.lifecycle)
        return {
            "modelArn": fm_arn(self.model_id, region),
            "modelId": self.model_id,
            "modelName": self.name,
            "providerName": self.provider,
            "inputModalities": list(self.input_modalities),
            "outputModalities": list(self.output_modalities),
            "responseStreamingSupported": self.streaming,
            "customizationsSupported": list(self.customizations),
            "inferenceTypesSupported": list(self.inference_types),
            "modelLifecycle": lifecycle,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Profile:
    profile_id: str
    arn: str | None  # None: built from the request region
    models: tuple[str, ...] | None  # None: derived from the ID's geography
    type: str
    name: str
    description: str
    created: _dt.datetime

    def describe(self, region: str) -> dict[str, Any]:
        arn = (
            self.arn or f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:inference-profile/{self.profile_id}"
        )
        if self.models is not None:
            models = [fm_arn(m, region) for m in self.models]
        else:
            parsed = parse_model_id(self.profile_id)
            regions = _GEOGRAPHY_REGIONS.get(parsed.geography or "", (region,))
            models = [fm_arn(parsed.base_model_id or "", r) for r in regions]
        return {
            "inferenceProfileName": self.name,
            "description": self.description,
            "createdAt": iso(self.created),
            "updatedAt": iso(self.created),
            "inferenceProfileArn": arn,
            "models": [{"modelArn": m} for m in models],
            "inferenceProfileId": self.profile_id,
            "status": "ACTIVE",
            "type": self.type,
        }


CATALOGUE_CREATED: Final = _dt.datetime(2025, 1, 1, tzinfo=_dt.timezone.utc)

# A snapshot shaped like real answers around 2026-09-26 (service-errors.md section D): dates
# only where the API shows them; amazon.nova-* carry the older status-only shape on purpose.
DEFAULT_MODELS: Final[tuple[dict[str, Any], ...]] = (
    {
        "model_id": "anthropic.claude-sonnet-4-20250514-v1:0",
        "status": "LEGACY",
        "name": "Claude Sonnet 4",
        "start_time": "2025-05-22T00:00:00+00:00",
        "legacy_time": "2026-04-14T08:00:00+00:00",
        "extended_access_time": "2026-07-14T08:00:00+00:00",
        "eol_time": "2026-10-14T08:00:00+00:00",
        "input_modalities": ("TEXT", "IMAGE"),
        "inference_types": ("INFERENCE_PROFILE",),
    },
    {
        "model_id": "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "name": "Claude Sonnet 4.5",
        "start_time": "2025-09-29T00:00:00+00:00",
        "input_modalities": ("TEXT", "IMAGE"),
        "inference_types": ("INFERENCE_PROFILE",),
    },
    {
        "model_id": "anthropic.claude-sonnet-4-6",
        "name": "Claude Sonnet 4.6",
        "start_time": "2026-02-17T18:00:00+00:00",
        "input_modalities": ("TEXT", "IMAGE"),
        "inference_types": ("INFERENCE_PROFILE",),
    },
    {
        "model_id": "amazon.nova-lite-v1:0",
        "name": "Nova Lite",
        "input_modalities": ("TEXT", "IMAGE"),
    },
    {"model_id": "amazon.nova-micro-v1:0", "name": "Nova Micro"},
)
DEFAULT_PROFILES: Final = (
    "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.anthropic.claude-sonnet-4-6",
    "us.amazon.nova-lite-v1:0",
)


def foundation_model(
    model_id: str,
    status: str = "ACTIVE",
    *,
    legacy_time: Instant | None = None,
    extended_access_time: Instant | None = None,
    eol_time: Instant | None = None,
    start_time: Instant | None = None,
    regions: Iterable[str] | None = None,
    name: str | None = None,
    provider: str | None = None,
    input_modalities: Sequence[str] = ("TEXT",),
    output_modalities: Sequence[str] = ("TEXT",),
    inference_types: Sequence[str] = ("ON_DEMAND",),
    customizations: Sequence[str] = (),
    streaming: bool = True,
) -> FoundationModel:
    status = status.upper()
    if status not in ("ACTIVE", "LEGACY"):
        raise ValueError(f"status must be ACTIVE or LEGACY (the API has no other), got {status!r}")
    dates = {
        "start_time": start_time,
        "legacy_time": legacy_time,
        "extended_access_time": extended_access_time,
        "eol_time": eol_time,
    }
    lifecycle = tuple(
        (key, instant(value, arg))
        for arg, key in _LIFECYCLE_FIELDS
        if (value := dates[arg]) is not None
    )
    prefix = model_id.partition(".")[0]
    return FoundationModel(
        model_id=model_id,
        status=status,
        lifecycle=lifecycle,
        regions=None
        if regions is None
        else frozenset([regions] if isinstance(regions, str) else regions),
        name=name or model_id.partition(".")[2] or model_id,
        provider=provider or _PROVIDER_NAMES.get(prefix, prefix.capitalize()),
        input_modalities=tuple(input_modalities),
        output_modalities=tuple(output_modalities),
        inference_types=tuple(inference_types),
        customizations=tuple(customizations),
        streaming=streaming,
    )


def profile(
    profile_id_or_arn: str, models: Iterable[str] | None, name: str | None, description: str | None
) -> Profile:
    arn: str | None = None
    profile_id = profile_id_or_arn
    kind = "SYSTEM_DEFINED"
    if profile_id_or_arn.startswith("arn:"):
        arn = profile_id_or_arn
        resource_type = profile_id_or_arn.split(":", 5)[-1].partition("/")[0]
        profile_id = arn_resource(profile_id_or_arn)
        if resource_type == "application-inference-profile":
            kind = "APPLICATION"
    model_list = None if models is None else tuple([models] if isinstance(models, str) else models)
    if model_list is None:
        try:
            parsed = parse_model_id(profile_id)
        except ModelIdError:
            parsed = None
        if parsed is None or parsed.kind != "inference-profile":
            raise ValueError(
                f"pass models= for {profile_id_or_arn!r}: only a cross-region profile ID "
                "('us.anthropic...') names its model"
            )
    geo, _, rest = profile_id.partition(".")
    return Profile(
        profile_id=profile_id,
        arn=arn,
        models=model_list,
        type=kind,
        name=name or (f"{geo.upper()} {rest}" if kind == "SYSTEM_DEFINED" else profile_id),
        description=description or f"Routes requests to {rest or profile_id}.",
        created=CATALOGUE_CREATED,
    )
