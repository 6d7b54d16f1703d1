"""The ``bedrock`` control plane: catalogue reads (models, profiles, provisioned and custom
models), routed by the first path label, and the scripts that shape them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.testing.app import App, Service, delay_operation, fail_operation
from bedrock_lifecycle.testing.catalogue import (
    CATALOGUE_CREATED,
    DEFAULT_MODELS,
    DEFAULT_PROFILES,
    FoundationModel,
    Profile,
    foundation_model,
    profile,
)
from bedrock_lifecycle.testing.wire import (
    ACCOUNT_ID,
    EOL_MESSAGE,
    Instant,
    Request,
    Response,
    arn_resource,
    fault,
    fm_arn,
    iso,
    page,
)

CONTROL_OPERATIONS: Final = (
    "ListFoundationModels",
    "GetFoundationModel",
    "ListInferenceProfiles",
    "GetInferenceProfile",
    "GetProvisionedModelThroughput",
    "GetCustomModel",
    "GetFoundationModelAvailability",
)
_AVAILABILITY_FIELDS: Final = (
    ("agreement", ("AVAILABLE", "PENDING", "NOT_AVAILABLE", "ERROR")),
    ("authorization", ("AUTHORIZED", "NOT_AUTHORIZED")),
    ("entitlement", ("AVAILABLE", "NOT_AVAILABLE")),
    ("region_availability", ("AVAILABLE", "NOT_AVAILABLE")),
)


@dataclasses.dataclass(slots=True)
class ControlState:
    models: dict[tuple[str, frozenset[str] | None], FoundationModel]
    profiles: dict[str, Profile] = dataclasses.field(default_factory=dict)
    provisioned: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    custom: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    eol_ids: set[str] = dataclasses.field(default_factory=set)
    # (model ID, region or None) -> GetFoundationModelAvailability fields that differ
    availability: dict[tuple[str, str | None], dict[str, str]] = dataclasses.field(
        default_factory=dict
    )

    @classmethod
    def new(cls, catalogue: bool) -> ControlState:
        state = cls({})
        if catalogue:
            for spec in DEFAULT_MODELS:
                model = foundation_model(**spec)
                state.models[(model.model_id, None)] = model
            for pid in DEFAULT_PROFILES:
                state.profiles[pid] = profile(pid, None, state.profile_name(pid), None)
        return state

    def profile_name(self, profile_id: str) -> str | None:
        """``US Anthropic Claude Sonnet 4``, as AWS names system profiles, when the base model
        is catalogued; the caller holds the lock (or is initialising)."""
        try:
            parsed = parse_model_id(profile_id)
        except ModelIdError:
            return None
        model = self.models.get((parsed.base_model_id or "", None))
        if model is None or parsed.geography is None:
            return None
        return f"{parsed.geography.upper()} {model.provider} {model.name}"

    def model(self, model_id: str, region: str) -> FoundationModel | None:
        """The entry for ``model_id`` in ``region`` (a regional entry beats a global one)."""
        fallback = None
        for (mid, regions), model in self.models.items():
            if mid != model_id:
                continue
            if regions is None:
                fallback = model
            elif region in regions:
                return model
        return fallback

    def list_models(self, ctx: Request) -> list[dict[str, Any]]:
        q = ctx.query
        seen: set[str] = set()
        out = []
        for model_id, _ in self.models:
            if model_id in seen or model_id in self.eol_ids:
                continue
            seen.add(model_id)
            model = self.model(model_id, ctx.region)
            if model is None:
                continue
            if "byProvider" in q and q["byProvider"].lower() not in (
                model.provider.lower(),
                model_id.partition(".")[0],
            ):
                continue
            if "byOutputModality" in q and q["byOutputModality"] not in model.output_modalities:
                continue
            if "byInferenceType" in q and q["byInferenceType"] not in model.inference_types:
                continue
            if "byCustomizationType" in q and q["byCustomizationType"] not in model.customizations:
                continue
            out.append(model.summary(ctx.region))
        return out


# --- results: (state, request, identifier) -> body or Fault; called under the lock -----------

Result = Callable[[ControlState, Request, str], Any]


def _list_foundation_models(state: ControlState, ctx: Request, _: str) -> Any:
    return {"modelSummaries": state.list_models(ctx)}


def _get_foundation_model(state: ControlState, ctx: Request, identifier: str) -> Any:
    model_id = arn_resource(identifier)
    if model_id in state.eol_ids or identifier in state.eol_ids:
        return fault("ResourceNotFoundException", EOL_MESSAGE)
    model = state.model(model_id, ctx.region)
    if model is None:
        return fault("ResourceNotFoundException", "Model not found.")
    return {"modelDetails": model.summary(ctx.region)}


def _list_inference_profiles(state: ControlState, ctx: Request, _: str) -> Any:
    profiles = [p.describe(ctx.region) for p in state.profiles.values()]
    if "type" in ctx.query:
        profiles = [p for p in profiles if p["type"] == ctx.query["type"]]
    items, extra = page(profiles, ctx.query)
    return {"inferenceProfileSummaries": items, **extra}


def _get_inference_profile(state: ControlState, ctx: Request, identifier: str) -> Any:
    found = state.profiles.get(arn_resource(identifier))
    if found is None:
        return fault("ResourceNotFoundException", f"Inference profile {identifier} not found.")
    return found.describe(ctx.region)


def _get_availability(state: ControlState, ctx: Request, identifier: str) -> Any:
    model_id = arn_resource(identifier)
    if model_id in state.eol_ids:
        return fault("ResourceNotFoundException", EOL_MESSAGE)
    scripted = state.availability.get((model_id, ctx.region))
    if scripted is None:
        scripted = state.availability.get((model_id, None))
    known = any(mid == model_id for mid, _ in state.models)
    if scripted is None and not known:
        return fault("ResourceNotFoundException", "Model not found.")
    offered = state.model(model_id, ctx.region) is not None
    answer = {
        "agreement": "AVAILABLE",
        "authorization": "AUTHORIZED",
        "entitlement": "AVAILABLE",
        "region_availability": "AVAILABLE" if offered or not known else "NOT_AVAILABLE",
        **(scripted or {}),
    }
    agreement: dict[str, str] = {"status": answer["agreement"]}
    if answer.get("agreement_error"):
        agreement["errorMessage"] = answer["agreement_error"]
    return {
        "modelId": model_id,
        "agreementAvailability": agreement,
        "authorizationStatus": answer["authorization"],
        "entitlementAvailability": answer["entitlement"],
        "regionAvailability": answer["region_availability"],
    }


def _resource_result(
    table_of: Callable[[ControlState], Mapping[str, dict[str, Any]]], kind: str
) -> Result:
    def result(state: ControlState, ctx: Request, identifier: str) -> Any:
        found = _find_resource(table_of(state), identifier)
        if found is None:
            return fault("ResourceNotFoundException", f"{kind} {identifier} not found.")
        return found

    return result


def _find_resource(table: Mapping[str, dict[str, Any]], identifier: str) -> dict[str, Any] | None:
    if identifier in table:
        return table[identifier]
    resource = arn_resource(identifier)
    for arn, item in table.items():
        if (
            arn_resource(arn) == resource
            or item.get("provisionedModelName", item.get("modelName")) == identifier
        ):
            return item
    return None


# GET /<first label>[/<identifier>] -> (operation without an identifier, operation with one)
_PATHS: Final[dict[str, tuple[str | None, str | None]]] = {
    "foundation-models": ("ListFoundationModels", "GetFoundationModel"),
    "inference-profiles": ("ListInferenceProfiles", "GetInferenceProfile"),
    "provisioned-model-throughput": (None, "GetProvisionedModelThroughput"),
    "custom-models": (None, "GetCustomModel"),
    "foundation-model-availability": (None, "GetFoundationModelAvailability"),
}
_RESULTS: Final[dict[str, Result]] = {
    "ListFoundationModels": _list_foundation_models,
    "GetFoundationModel": _get_foundation_model,
    "ListInferenceProfiles": _list_inference_profiles,
    "GetInferenceProfile": _get_inference_profile,
    "GetProvisionedModelThroughput": _resource_result(lambda s: s.provisioned, "Provisioned model"),
    "GetCustomModel": _resource_result(lambda s: s.custom, "Custom model"),
    "GetFoundationModelAvailability": _get_availability,
}


def _route(app: App, ctx: Request) -> Response | None:
    seg = ctx.segments
    n = len(seg)
    if ctx.method != "GET" or n > 2 or seg[0] not in _PATHS:
        return None
    op = _PATHS[seg[0]][n - 1]
    if op is None:
        return None
    identifier = seg[1] if n == 2 else None
    result = _RESULTS[op]
    state = app.state(ControlState)
    return app.scripted_call(
        ctx, SERVICE, op, identifier, lambda c: result(state, c, identifier or "")
    )


SERVICE: Final = Service(
    "bedrock", CONTROL_OPERATIONS, ControlState.new, _route, endpoint_env="AWS_ENDPOINT_URL_BEDROCK"
)


class ControlScripts:
    """The control-plane half of :class:`LocalBedrock`'s scripting API."""

    _app: App
    region: str

    def add_foundation_model(
        self,
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
    ) -> None:
        """Add (or replace) a model in ListFoundationModels / GetFoundationModel.

        Dates are datetimes or ISO 8601 strings (a bare date is 00:00 UTC); ``None`` dates are
        left out of ``modelLifecycle``, like answers from before 2026 that carry only ``status``.
        ``regions`` limits the entry to requests signed for those regions; the same model may
        have one entry per region set (lifecycle is regional).
        """
        model = foundation_model(
            model_id,
            status,
            legacy_time=legacy_time,
            extended_access_time=extended_access_time,
            eol_time=eol_time,
            start_time=start_time,
            regions=regions,
            name=name,
            provider=provider,
            input_modalities=input_modalities,
            output_modalities=output_modalities,
            inference_types=inference_types,
            customizations=customizations,
            streaming=streaming,
        )
        with self._app.lock:
            self._app.state(ControlState).models[(model_id, model.regions)] = model

    def remove_foundation_model(self, model_id: str) -> None:
        """Drop every entry for ``model_id`` (GetFoundationModel then answers ResourceNotFound)."""
        with self._app.lock:
            models = self._app.state(ControlState).models
            for key in [k for k in models if k[0] == model_id]:
                del models[key]

    def add_inference_profile(
        self,
        profile_id_or_arn: str,
        models: Iterable[str] | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        """Add a profile to Get/ListInferenceProfiles. ``models`` are model ARNs or IDs; a
        cross-region ID (``us.anthropic…``) without ``models`` routes to its geography's regions.
        An ``application-inference-profile`` ARN makes an APPLICATION profile."""
        with self._app.lock:
            name = name or self._app.state(ControlState).profile_name(profile_id_or_arn)
        added = profile(profile_id_or_arn, models, name, description)
        with self._app.lock:
            self._app.state(ControlState).profiles[added.profile_id] = added

    def add_provisioned_model(
        self,
        arn: str,
        model_arn: str,
        *,
        name: str | None = None,
        status: str = "InService",
        foundation_model_arn: str | None = None,
    ) -> None:
        """Add a provisioned throughput (GetProvisionedModelThroughput) serving ``model_arn``."""
        if not arn.startswith("arn:"):
            arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT_ID}:provisioned-model/{arn}"
        model = fm_arn(model_arn, self.region)
        created = iso(CATALOGUE_CREATED)
        item = {
            "modelUnits": 1,
            "desiredModelUnits": 1,
            "provisionedModelName": name or arn_resource(arn),
            "provisionedModelArn": arn,
            "modelArn": model,
            "desiredModelArn": model,
            "foundationModelArn": fm_arn(foundation_model_arn, self.region)
            if foundation_model_arn
            else model,
            "status": status,
            "creationTime": created,
            "lastModifiedTime": created,
        }
        with self._app.lock:
            self._app.state(ControlState).provisioned[arn] = item

    def add_custom_model(self, arn: str, base_model_arn: str, *, name: str | None = None) -> None:
        """Add a custom model (GetCustomModel) fine-tuned from ``base_model_arn``."""
        if not arn.startswith("arn:"):
            arn = f"arn:aws:bedrock:{self.region}:{ACCOUNT_ID}:custom-model/{arn}"
        item = {
            "modelArn": arn,
            "modelName": name or arn_resource(arn).rpartition("/")[2],
            "baseModelArn": fm_arn(base_model_arn, self.region),
            "customizationType": "FINE_TUNING",
            "creationTime": iso(CATALOGUE_CREATED),
            "modelStatus": "Active",
        }
        with self._app.lock:
            self._app.state(ControlState).custom[arn] = item

    def set_model_availability(
        self,
        model_id: str,
        *,
        agreement: str = "AVAILABLE",
        authorization: str = "AUTHORIZED",
        entitlement: str = "AVAILABLE",
        region_availability: str = "AVAILABLE",
        agreement_error: str | None = None,
        regions: str | Iterable[str] | None = None,
    ) -> None:
        """What GetFoundationModelAvailability answers for ``model_id`` (in ``regions``, else
        everywhere). Unscripted, a catalogued model is available wherever it is offered."""
        answer = {
            "agreement": agreement,
            "authorization": authorization,
            "entitlement": entitlement,
            "region_availability": region_availability,
        }
        for field, allowed in _AVAILABILITY_FIELDS:
            if answer[field] not in allowed:
                raise ValueError(
                    f"{field} must be one of {', '.join(allowed)}, got {answer[field]!r}"
                )
        if agreement_error is not None:
            answer["agreement_error"] = agreement_error
        where = [None] if regions is None else [regions] if isinstance(regions, str) else regions
        with self._app.lock:
            table = self._app.state(ControlState).availability
            for region in where:
                table[(model_id, region)] = dict(answer)

    def fail_control(
        self,
        operation_name: str,
        code: str,
        times: int | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        *,
        status: int | None = None,
    ) -> None:
        """Control-plane fault: ``operation_name`` (``"ListFoundationModels"``,
        ``"list_foundation_models"``, or ``"*"`` for all) answers ``code``."""
        fail_operation(
            self._app, SERVICE, operation_name, code, times, message, retry_after, status=status
        )

    def delay_control(self, operation_name: str, seconds: float, times: int | None = None) -> None:
        """Wait ``seconds`` before answering a control-plane operation (``"*"``: all)."""
        delay_operation(self._app, SERVICE, operation_name, seconds, times)
