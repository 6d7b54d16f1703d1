"""The quota check of ``preflight``: Bedrock's per-minute quotas for a model against the load
it will carry.

Service Quotas names Bedrock's quotas after the model, not its ID ("On-demand model inference
tokens per minute for Anthropic Claude 3.5 Sonnet V2", "Cross-region model inference requests
per minute for ...", "Global cross-region ..."), so the model's provider and name (from
``GetFoundationModel``, else the registry) pick them. The value is the applied one
(``ListServiceQuotas``, else ``GetServiceQuota``), the default (``ListAWSDefaultServiceQuotas``)
only names and codes them: applied values can be lower than the defaults (AWS has lowered
Bedrock quotas for new accounts), so a default alone never passes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, Final

from bedrock_lifecycle.errors import error_of
from bedrock_lifecycle.ids import parse_model_id
from bedrock_lifecycle.readiness.aws import Clients, is_denied
from bedrock_lifecycle.readiness.checks import not_checked
from bedrock_lifecycle.readiness.load import Load
from bedrock_lifecycle.readiness.model import Check, Status, Subject

SERVICE_CODE: Final = "bedrock"
ACTIONS: Final = {
    "defaults": "servicequotas:ListAWSDefaultServiceQuotas",
    "applied": "servicequotas:ListServiceQuotas",
    "get": "servicequotas:GetServiceQuota",
}
_METRICS: Final = (("requests", "requests per minute"), ("tokens", "tokens per minute"))


class QuotaBook:
    """Bedrock's quotas in one region, each listing read once."""

    def __init__(self, clients: Clients, region: str) -> None:
        self.region = region
        self._clients = clients
        self._memo: dict[str, tuple[Any, BaseException | None]] = {}

    def _client(self) -> Any:
        return self._clients.get("service-quotas", self.region)

    def _once(self, key: str, call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
        if key not in self._memo:
            try:
                self._memo[key] = (call(), None)
            except Exception as exc:
                self._memo[key] = (None, exc)
        return self._memo[key]

    def _listing(self, op: str) -> list[dict[str, Any]]:
        pages = self._client().get_paginator(op).paginate(ServiceCode=SERVICE_CODE)
        return [q for page in pages for q in page.get("Quotas") or ()]

    def defaults(self) -> tuple[list[dict[str, Any]] | None, BaseException | None]:
        answer, error = self._once("defaults", lambda: self._listing("list_aws_default_service_quotas"))
        return answer, error

    def applied(self) -> tuple[list[dict[str, Any]] | None, BaseException | None]:
        answer, error = self._once("applied", lambda: self._listing("list_service_quotas"))
        return answer, error

    def get(self, code: str) -> tuple[dict[str, Any] | None, BaseException | None]:
        answer, error = self._once(
            "get:" + code,
            lambda: self._client().get_service_quota(ServiceCode=SERVICE_CODE, QuotaCode=code)["Quota"],
        )
        return answer, error


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9.]+", " ", text.lower()).split())


def expected_kind(configured: str) -> str:
    """``on-demand``, ``cross-region`` or ``global cross-region``: the quota family a call
    with this ID counts against."""
    mid = parse_model_id(configured)
    if mid.kind != "inference-profile":
        return "on-demand"
    return "global cross-region" if mid.geography == "global" else "cross-region"


def match(quotas: list[dict[str, Any]], kind: str, provider: str, name: str) -> dict[str, dict[str, Any]]:
    """{"requests": quota, "tokens": quota} among ``quotas`` for the model ``provider name``."""
    models = {_norm(f"{provider} {name}"), _norm(name)}
    models |= {m + " v1" for m in models}
    out: dict[str, dict[str, Any]] = {}
    for q in quotas:
        qname = _norm(str(q.get("QuotaName") or ""))
        head, sep, tail = qname.rpartition(" for ")
        if not sep or tail not in models:
            continue
        if kind == "cross-region" and head.startswith("global"):
            continue
        if not head.startswith(_norm(kind)):
            continue
        for key, words in _METRICS:
            if words in head:
                out.setdefault(key, q)
    return out


def _desired(needed: float) -> int:
    """Needed plus 20 % headroom, rounded up to two significant digits."""
    target = needed * 1.2
    if target <= 0:
        return 0
    scale = 10 ** max(0, math.floor(math.log10(target)) - 1)
    return int(math.ceil(target / scale) * scale)


def _fmt(n: float) -> str:
    return f"{n:,.0f}" if n >= 10 else f"{n:,.1f}"


def check(
    book: QuotaBook,
    subject: Subject,
    details: dict[str, Any] | None,
    status: Any,
    load: Load | None,
    plan: float,
    load_hint: str,
) -> Check:
    """``load`` is the source's observed load (already × the peak factor); ``plan`` percent of
    it is what this model will carry."""
    provider = str((details or {}).get("providerName") or (status.entry.provider if status.entry else "") or "")
    name = str((details or {}).get("modelName") or status.name or "")
    if not name:
        return Check("quotas", Status.WARN, f"cannot match quotas: the name of {subject.base_model_id} is unknown "
                     "(GetFoundationModel did not answer and the registry has no name)")
    kind = expected_kind(subject.configured)
    types = (details or {}).get("inferenceTypesSupported")
    if kind == "on-demand" and types is not None and "ON_DEMAND" not in types:
        return Check("quotas", Status.WARN, "no on-demand quota applies: this ID cannot be invoked on demand "
                     "(see region); run preflight with the profile ID to check its cross-region quotas")
    listing, error = book.defaults()
    if listing is None:
        listing, _ = book.applied()  # names and codes are in the applied listing too
        if listing is None:
            assert error is not None
            return not_checked("quotas", error, ACTIONS["defaults"])
    found = match(listing, kind, provider, name)
    expected = f"{kind} model inference requests/tokens per minute for {provider} {name}".strip()
    if not found:
        return Check("quotas", Status.WARN, f"no Bedrock quota in Service Quotas matches '{expected}' in {book.region}",
                     actions=("find the quota in the Service Quotas console (Amazon Bedrock) and compare by hand",))
    applied_list, _ = book.applied()
    applied = {str(q.get("QuotaCode")): q for q in applied_list or ()}
    values: dict[str, tuple[dict[str, Any], float]] = {}
    for key, q in found.items():
        code = str(q.get("QuotaCode"))
        current = applied.get(code)
        if current is None:
            current, gerror = book.get(code)
            if current is None:
                assert gerror is not None
                if is_denied(gerror) or error_of(gerror)[0] != "NoSuchResourceException":
                    return not_checked("quotas", gerror, ACTIONS["get"])
                current = q  # no applied value: the default applies
        values[key] = (q, float(current.get("Value") or 0.0))
    lines = tuple(f"{key}/min quota {_fmt(v)} ({q.get('QuotaCode')}: {q.get('QuotaName')})" for key, (q, v) in values.items())
    data: dict[str, Any] = {key: {"code": q.get("QuotaCode"), "name": q.get("QuotaName"), "value": v}
                            for key, (q, v) in values.items()}
    if load is None:
        return Check("quotas", Status.WARN, f"quotas read, but no observed load to compare ({load_hint})", lines, data=data)
    planned = load.scaled(plan / 100.0)
    data["load"] = {**load.to_json(), "plan_percent": plan, "planned_rpm": planned.requests_per_minute,
                    "planned_tpm": planned.tokens_per_minute}
    needs = {"requests": planned.requests_per_minute, "tokens": planned.tokens_per_minute}
    at = "at peak" if load.basis == "peak" else "on average (no peak data in snapshots)"
    short: list[str] = []
    actions: list[str] = []
    for key, (q, value) in values.items():
        if needs[key] > value:
            qcode = q.get("QuotaCode")
            short.append(f"at {plan:g} % this model needs ≈ {_fmt(needs[key])} {key}/min {at}; the quota is {_fmt(value)} ({qcode})")
            actions.append(
                f"aws service-quotas request-service-quota-increase --service-code {SERVICE_CODE} "
                f"--quota-code {qcode} --desired-value {_desired(needs[key])} --region {book.region}"
            )
    if short:
        return Check("quotas", Status.FAIL, "; ".join(short), (*lines, f"load: {load.source}"), tuple(actions), data=data)
    need = " and ".join(f"≈ {_fmt(needs[k])} {k}/min" for k in values)
    have = " and ".join(f"{_fmt(values[k][1])}" for k in values)
    summary = f"at {plan:g} % this model needs {need} {at}; within the quota ({have})"
    return Check("quotas", Status.PASS, summary, (*lines, f"load: {load.source}"), data=data)
