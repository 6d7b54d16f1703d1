"""Service Quotas (``service-quotas``, JSON protocol, ``X-Amz-Target:
ServiceQuotasV20190624.*``): the Bedrock quotas the readiness checks read.

Only ServiceCode ``bedrock`` exists here. ``ListAWSDefaultServiceQuotas`` lists every quota
with its default; ``ListServiceQuotas`` lists the quotas that have an applied value (an
increase was granted), as AWS does for quotas whose applied value is known;
``GetServiceQuota`` answers the applied value, else the default.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any, Final

from bedrock_lifecycle.testing.app import (
    App,
    Service,
    delay_operation,
    fail_operation,
    rpc_operation,
)
from bedrock_lifecycle.testing.catalogue import DEFAULT_MODELS, DEFAULT_PROFILES, foundation_model
from bedrock_lifecycle.testing.wire import Request, Response, fault, page

QUOTA_OPERATIONS: Final = (
    "ListServiceQuotas",
    "ListAWSDefaultServiceQuotas",
    "GetServiceQuota",
)
SERVICE_CODE: Final = "bedrock"
_PREFIX: Final = "ServiceQuotasV20190624"
# Defaults the local catalogue's quotas start with (per minute).
DEFAULT_RPM: Final = 200.0
DEFAULT_TPM: Final = 400_000.0


def quota_code(name: str) -> str:
    """A stable, made-up quota code for ``name`` (``L-`` and 8 hex digits, like AWS's)."""
    return "L-" + hashlib.blake2s(name.encode(), digest_size=4).hexdigest().upper()


@dataclasses.dataclass(slots=True)
class Quota:
    code: str
    name: str
    default: float
    applied: float | None = None
    adjustable: bool = True
    unit: str = "None"

    def describe(self, region: str, value: float) -> dict[str, Any]:
        return {
            "ServiceCode": SERVICE_CODE,
            "ServiceName": "Amazon Bedrock",
            "QuotaArn": f"arn:aws:servicequotas:{region}::{SERVICE_CODE}/{self.code}",
            "QuotaCode": self.code,
            "QuotaName": self.name,
            "Value": value,
            "Unit": self.unit,
            "Adjustable": self.adjustable,
            "GlobalQuota": False,
            "QuotaAppliedAtLevel": "ACCOUNT",
        }


def _default_quotas() -> dict[str, Quota]:
    """Requests and tokens per minute for every model and profile of the default catalogue."""
    names: list[str] = []
    models = {spec["model_id"]: foundation_model(**spec) for spec in DEFAULT_MODELS}
    for model in models.values():
        if "ON_DEMAND" in model.inference_types:
            names += [
                f"On-demand model inference {what} per minute for {model.provider} {model.name}"
                for what in ("requests", "tokens")
            ]
    for profile_id in DEFAULT_PROFILES:
        base = models.get(profile_id.partition(".")[2])
        if base is not None:
            names += [
                f"Cross-region model inference {what} per minute for {base.provider} {base.name}"
                for what in ("requests", "tokens")
            ]
    out = {}
    for name in dict.fromkeys(names):
        code = quota_code(name)
        out[code] = Quota(code, name, DEFAULT_TPM if " tokens " in name else DEFAULT_RPM)
    return out


@dataclasses.dataclass(slots=True)
class QuotaState:
    quotas: dict[str, Quota]

    @classmethod
    def new(cls, catalogue: bool) -> QuotaState:
        return cls(_default_quotas() if catalogue else {})


def _listing(items: list[dict[str, Any]], ctx: Request) -> dict[str, Any]:
    found, extra = page(items, ctx.json)
    out: dict[str, Any] = {"Quotas": found}
    if extra:
        out["NextToken"] = extra["nextToken"]
    return out


def _check_service(ctx: Request) -> Any:
    code = ctx.json.get("ServiceCode")
    if code != SERVICE_CODE:
        return fault("NoSuchResourceException", f"The service code {code} does not exist.")
    return None


def _list_applied(state: QuotaState, ctx: Request) -> Any:
    bad = _check_service(ctx)
    if bad is not None:
        return bad
    wanted = ctx.json.get("QuotaCode")
    items = [
        q.describe(ctx.region, q.applied)
        for q in state.quotas.values()
        if q.applied is not None and wanted in (None, q.code)
    ]
    return _listing(items, ctx)


def _list_defaults(state: QuotaState, ctx: Request) -> Any:
    bad = _check_service(ctx)
    if bad is not None:
        return bad
    return _listing([q.describe(ctx.region, q.default) for q in state.quotas.values()], ctx)


def _get_quota(state: QuotaState, ctx: Request) -> Any:
    bad = _check_service(ctx)
    if bad is not None:
        return bad
    quota = state.quotas.get(str(ctx.json.get("QuotaCode")))
    if quota is None:
        return fault(
            "NoSuchResourceException", f"The quota code {ctx.json.get('QuotaCode')} does not exist."
        )
    value = quota.default if quota.applied is None else quota.applied
    return {"Quota": quota.describe(ctx.region, value)}


_RESULTS: Final[dict[str, Callable[[QuotaState, Request], Any]]] = {
    "ListServiceQuotas": _list_applied,
    "ListAWSDefaultServiceQuotas": _list_defaults,
    "GetServiceQuota": _get_quota,
}


def _route(app: App, ctx: Request) -> Response | None:
    op = rpc_operation(ctx, _PREFIX)
    result = _RESULTS.get(op or "")
    if op is None or result is None:
        return None
    state = app.state(QuotaState)
    code = ctx.json.get("QuotaCode")
    return app.scripted_call(
        ctx, SERVICE, op, None if code is None else str(code), lambda c: result(state, c)
    )


SERVICE: Final = Service(
    "servicequotas",
    QUOTA_OPERATIONS,
    QuotaState.new,
    _route,
    "AWS_ENDPOINT_URL_SERVICE_QUOTAS",
)


class QuotaScripts:
    """Service Quotas part of :class:`LocalBedrock`'s scripting API."""

    _app: App

    def add_service_quota(
        self,
        name: str,
        default: float,
        *,
        applied: float | None = None,
        code: str | None = None,
        adjustable: bool = True,
    ) -> str:
        """Add (or replace) a Bedrock quota named ``name`` (as AWS names it, e.g. "On-demand
        model inference tokens per minute for Amazon Nova Lite"); returns its code.
        ``applied`` is an increased value (listed by ListServiceQuotas)."""
        code = code or quota_code(name)
        with self._app.lock:
            self._app.state(QuotaState).quotas[code] = Quota(
                code, name, float(default), None if applied is None else float(applied), adjustable
            )
        return code

    def set_applied_quota(self, name_or_code: str, value: float | None) -> None:
        """Set (``None``: clear) the applied value of an existing quota, by name or code."""
        with self._app.lock:
            quotas = self._app.state(QuotaState).quotas
            found = quotas.get(name_or_code) or next(
                (q for q in quotas.values() if q.name == name_or_code), None
            )
            if found is None:
                raise KeyError(f"no service quota {name_or_code!r}")
            found.applied = None if value is None else float(value)

    def remove_service_quotas(self) -> None:
        """Drop every quota (ListAWSDefaultServiceQuotas then lists none)."""
        with self._app.lock:
            self._app.state(QuotaState).quotas.clear()

    def fail_service_quotas(
        self,
        operation_name: str,
        code: str,
        times: int | None = None,
        message: str | None = None,
        *,
        status: int | None = None,
    ) -> None:
        """``operation_name`` of Service Quotas (``"*"``: all) answers error ``code``
        (``AccessDeniedException`` for a missing permission)."""
        fail_operation(self._app, SERVICE, operation_name, code, times, message, status=status)

    def delay_service_quotas(
        self, operation_name: str, seconds: float, times: int | None = None
    ) -> None:
        delay_operation(self._app, SERVICE, operation_name, seconds, times)
