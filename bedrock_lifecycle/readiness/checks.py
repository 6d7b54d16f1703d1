"""The access, region/profile and lifecycle checks of ``preflight`` (quotas: quotas.py).

Each check returns a :class:`Check`; a missing permission is ``NOT_CHECKED`` with the IAM
action, any other API failure ``NOT_CHECKED`` with the error: never a pass, never raised.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any, Final

from bedrock_lifecycle.errors import describe_error as error_text
from bedrock_lifecycle.errors import error_of
from bedrock_lifecycle.ids import parse_model_id
from bedrock_lifecycle.lifecycle.model import State
from bedrock_lifecycle.readiness.aws import Clients, is_denied
from bedrock_lifecycle.readiness.model import Check, Status, Subject

ACTIONS: Final = {
    "access": "bedrock:GetFoundationModelAvailability",
    "model": "bedrock:GetFoundationModel",
    "profiles": "bedrock:ListInferenceProfiles",
}
_EOL_PREFIX: Final = "This model version has reached the end of its life"


class ControlPlane:
    """Bedrock control-plane answers for one region, each asked once: (answer, error)."""

    def __init__(self, clients: Clients, region: str) -> None:
        self.region = region
        self._clients = clients
        self._memo: dict[tuple[str, str], tuple[Any, BaseException | None]] = {}

    def _client(self) -> Any:
        return self._clients.get("bedrock", self.region)

    def _once(self, key: tuple[str, str], call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
        if key not in self._memo:
            try:
                self._memo[key] = (call(), None)
            except Exception as exc:  # reported by the check, never raised
                self._memo[key] = (None, exc)
        return self._memo[key]

    def availability(self, base: str) -> tuple[Any, BaseException | None]:
        return self._once(("availability", base), lambda: self._client().get_foundation_model_availability(modelId=base))

    def model(self, base: str) -> tuple[dict[str, Any] | None, BaseException | None]:
        answer, error = self._once(("model", base), lambda: self._client().get_foundation_model(modelIdentifier=base))
        return (None if answer is None else answer.get("modelDetails") or {}), error

    def profiles(self) -> tuple[list[dict[str, Any]] | None, BaseException | None]:
        def listing() -> list[dict[str, Any]]:
            pages = self._client().get_paginator("list_inference_profiles").paginate(typeEquals="SYSTEM_DEFINED")
            return [p for page in pages for p in page.get("inferenceProfileSummaries") or ()]

        answer, error = self._once(("profiles", ""), listing)
        return answer, error


def not_checked(name: str, exc: BaseException, action: str) -> Check:
    if is_denied(exc):
        return Check(name, Status.NOT_CHECKED, f"not checked: missing permission {action}",
                     actions=(f"grant {action} to run this check",), iam_action=action)
    return Check(name, Status.NOT_CHECKED, f"not checked: {action.partition(':')[2]} failed ({error_text(exc)})",
                 iam_action=None)


def _no_base(name: str, subject: Subject) -> Check:
    return Check(name, Status.NOT_CHECKED,
                 f"not checked: {subject.configured} names no base model (map it in registry.base_models)")


# --------------------------------------------------------------------------- access

_AGREEMENT_ACTIONS: Final = {
    "PENDING": "the model's offer agreement is being processed: wait, then run preflight again",
    "NOT_AVAILABLE": "accept the model's offer (Bedrock console, Model access, or the AWS Marketplace subscription)",
    "ERROR": "the offer agreement failed: open the Bedrock console's Model access page and retry",
}


def access(cp: ControlPlane, subject: Subject) -> Check:
    base = subject.base_model_id
    if base is None:
        return _no_base("access", subject)
    answer, error = cp.availability(base)
    if error is not None:
        code, message = error_of(error)
        if code == "ResourceNotFoundException":
            what = "has reached end of life" if message.startswith(_EOL_PREFIX) else "is not known"
            return Check("access", Status.FAIL, f"{base} {what} in {cp.region}",
                         actions=("choose a model Bedrock offers in this region (bedrock-lifecycle diff OLD NEW)",),
                         data={"error": code})
        return not_checked("access", error, ACTIONS["access"])
    agreement = (answer.get("agreementAvailability") or {})
    facts = {
        "agreement": str(agreement.get("status") or "UNKNOWN"),
        "authorization": str(answer.get("authorizationStatus") or "UNKNOWN"),
        "entitlement": str(answer.get("entitlementAvailability") or "UNKNOWN"),
        "region": str(answer.get("regionAvailability") or "UNKNOWN"),
    }
    problems: list[str] = []
    actions: list[str] = []
    if facts["agreement"] != "AVAILABLE":
        problems.append(f"agreement {facts['agreement']}" + (f" ({agreement['errorMessage']})" if agreement.get("errorMessage") else ""))
        actions.append(_AGREEMENT_ACTIONS.get(facts["agreement"], "check the model's offer agreement in the Bedrock console"))
    if facts["authorization"] != "AUTHORIZED":
        problems.append(f"authorization {facts['authorization']}")
        actions.append("request access to the model (Bedrock console, Model access; some providers ask for use-case details)")
    if facts["entitlement"] != "AVAILABLE":
        problems.append(f"entitlement {facts['entitlement']}")
        actions.append("the account is not entitled to the model: request model access, or subscribe in the AWS Marketplace")
    if facts["region"] != "AVAILABLE":
        problems.append(f"not available in {cp.region}")
        actions.append(f"choose a region that offers {base}, or a cross-region inference profile")
    if problems:
        return Check("access", Status.FAIL, "no access: " + "; ".join(problems), actions=tuple(actions), data=facts)
    return Check("access", Status.PASS, f"agreement, authorization and entitlement in place; offered in {cp.region}", data=facts)


# --------------------------------------------------------------------------- region and profile


def profile_regions(profile: dict[str, Any]) -> list[str]:
    regions = []
    for m in profile.get("models") or ():
        arn = str(m.get("modelArn") or "")
        parts = arn.split(":")
        if len(parts) > 3 and parts[3]:
            regions.append(parts[3])
    return sorted(set(regions))


def carries(profile: dict[str, Any], base: str) -> bool:
    return any(str(m.get("modelArn") or "").endswith(f"foundation-model/{base}") for m in profile.get("models") or ())


def region_and_profile(cp: ControlPlane, subject: Subject) -> Check:
    base = subject.base_model_id
    if base is None:
        return _no_base("region", subject)
    details, error = cp.model(base)
    profiles, perror = cp.profiles()
    kind = parse_model_id(subject.configured).kind
    carrying = [p for p in profiles or () if carries(p, base)]
    lines = [f"profile {p.get('inferenceProfileId')} routes to {', '.join(profile_regions(p)) or '?'}" for p in carrying]
    data: dict[str, Any] = {"profiles": {str(p.get("inferenceProfileId")): profile_regions(p) for p in carrying}}
    if error is not None and error_of(error)[0] == "ResourceNotFoundException":
        return Check("region", Status.FAIL, f"{base} is not offered in {cp.region}", tuple(lines),
                     (f"choose a region that offers {base}" + (" or one of its profiles" if carrying else ""),), data=data)
    if kind == "inference-profile":
        if perror is not None:
            return not_checked("region", perror, ACTIONS["profiles"])
        mine = next((p for p in carrying if p.get("inferenceProfileId") == subject.configured), None)
        if mine is None:
            offered = ", ".join(str(p.get("inferenceProfileId")) for p in carrying) or "none"
            return Check("region", Status.FAIL, f"profile {subject.configured} is not offered in {cp.region}",
                         tuple(lines), (f"use a profile offered here (for {base}: {offered}) or another region",), data=data)
        others = tuple(line for line in lines if not line.startswith(f"profile {subject.configured} "))
        return Check("region", Status.PASS,
                     f"profile {subject.configured} is offered in {cp.region}; routes to {', '.join(profile_regions(mine))}",
                     others, data=data)
    if error is not None:
        return not_checked("region", error, ACTIONS["model"])
    types = [str(t) for t in details.get("inferenceTypesSupported") or ()] if details else []
    data["inference_types"] = types
    if kind != "foundation-model" or "ON_DEMAND" in types:
        return Check("region", Status.PASS, f"{subject.configured} can be invoked on demand in {cp.region}", tuple(lines), data=data)
    if perror is not None:
        lines.append(f"(profiles not listed: {error_text(perror)})")
    fix = f"call it through a profile ID ({', '.join(str(p.get('inferenceProfileId')) for p in carrying)})" if carrying \
        else "use provisioned throughput or another model"
    return Check("region", Status.FAIL,
                 f"{base} cannot be invoked on demand in {cp.region} (inference types: {', '.join(types) or 'none'})",
                 tuple(lines), (fix,), data=data)


# --------------------------------------------------------------------------- lifecycle

_LEGACY_WARNING: Final = (
    "a Legacy model is not available to accounts that have not used it recently (15-30 days) "
    "nor to new accounts: an account that has not called it cannot start now"
)


def lifecycle(cp: ControlPlane, subject: Subject, registry: Any, now: _dt.datetime,
              guaranteed_for: int | None = None) -> Check:
    status = registry.lookup(subject.configured, cp.region, now)
    state = status.state
    api_state = None
    if subject.base_model_id is not None:
        details, _ = cp.model(subject.base_model_id)
        api_state = ((details or {}).get("modelLifecycle") or {}).get("status")
    if api_state == "LEGACY" and state in (State.ACTIVE, State.UNKNOWN):
        state = State.LEGACY  # the API's word is newer than the data we hold
    dates = [f"{label} {d.date().isoformat()}" for label, d in (
        ("legacy", status.legacy_date), ("extended access", status.extended_access_date), ("EOL", status.eol_date))
        if d is not None]
    data = {**status.to_json(), "state": state.value, "api_status": api_state}
    details_lines = tuple(x for x in (
        ("dates: " + ", ".join(dates)) if dates else "",
        f"source: {status.source}",
        ("replacements: " + ", ".join(status.replacements)) if status.replacements else "",
    ) if x)
    if state is State.EOL:
        return Check("lifecycle", Status.FAIL, f"end of life since {status.eol_date.date() if status.eol_date else '?'}",
                     details_lines, ("every call fails: move to a replacement",), data=data)
    if state in (State.LEGACY, State.EXTENDED_ACCESS):
        extra = "; extended access: prices may rise and quota increases are refused" if state is State.EXTENDED_ACCESS else ""
        return Check("lifecycle", Status.WARN, f"{state.value}: {_LEGACY_WARNING}{extra}", details_lines,
                     ("plan the move to a replacement before EOL",), data=data)
    if state is State.UNKNOWN:
        return Check("lifecycle", Status.WARN, "no lifecycle data for this model "
                     "(run 'bedrock-lifecycle sync' or add an override)", details_lines, data=data)
    if guaranteed_for is not None:  # the planning-horizon gate, the same rule as `check --guaranteed-for`
        from bedrock_lifecycle.lifecycle.gates import target_problem

        why, _note = target_problem(data, now, guaranteed_for=guaranteed_for, trust="reported")
        if why is not None:
            return Check("lifecycle", Status.FAIL, f"{why} (--guaranteed-for {guaranteed_for})", details_lines,
                         ("choose a model guaranteed for the planning horizon",), data=data)
    when = f"; EOL {status.eol_date.date()}" if status.eol_date else ""
    return Check("lifecycle", Status.PASS, f"active{when}", details_lines, data=data)
