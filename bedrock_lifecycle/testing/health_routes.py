"""AWS Health (``health``, Smithy RPC v2 CBOR: ``POST /service/AWSHealth_20160804/operation/*``):
the account's and the organisation's events, their descriptions and affected entities.

Events are scripted with :meth:`HealthScripts.add_health_event`; nothing is there by default.
An account without a Business or Enterprise support plan answers every call with
``SubscriptionRequiredException``: script it with ``fail_health("*", "SubscriptionRequiredException")``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from bedrock_lifecycle.testing.app import (
    App,
    Service,
    delay_operation,
    fail_operation,
    rpc_operation,
)
from bedrock_lifecycle.testing.wire import (
    ACCOUNT_ID,
    Instant,
    Request,
    Response,
    instant,
    page,
)

HEALTH_OPERATIONS: Final = (
    "DescribeEvents",
    "DescribeEventDetails",
    "DescribeAffectedEntities",
    "DescribeEventsForOrganization",
    "DescribeEventDetailsForOrganization",
    "DescribeAffectedEntitiesForOrganization",
    "DescribeAffectedAccountsForOrganization",
)
LIFECYCLE_EVENT_TYPE: Final = "AWS_BEDROCK_PLANNED_LIFECYCLE_EVENT"
_PREFIX: Final = "AWSHealth_20160804"


@dataclasses.dataclass(slots=True)
class HealthEvent:
    arn: str
    service: str
    event_type_code: str
    category: str
    region: str
    start_time: _dt.datetime
    last_updated: _dt.datetime
    status_code: str
    description: str
    entities: dict[str, str]  # entity value -> PENDING | RESOLVED | UNKNOWN
    account_id: str

    def summary(self, organization: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "arn": self.arn,
            "service": self.service,
            "eventTypeCode": self.event_type_code,
            "eventTypeCategory": self.category,
            "region": self.region,
            "startTime": self.start_time,
            "lastUpdatedTime": self.last_updated,
            "statusCode": self.status_code,
            "eventScopeCode": "ACCOUNT_SPECIFIC",
        }
        if not organization:
            out["availabilityZone"] = ""
        return out


@dataclasses.dataclass(slots=True)
class HealthState:
    events: list[HealthEvent] = dataclasses.field(default_factory=list)

    @classmethod
    def new(cls, catalogue: bool) -> HealthState:
        return cls()

    def find(self, arn: Any, account: Any = None) -> HealthEvent | None:
        return next(
            (e for e in self.events if e.arn == arn and account in (None, e.account_id)), None
        )


def _matches(event: HealthEvent, filt: Mapping[str, Any]) -> bool:
    checks = (
        ("services", event.service),
        ("regions", event.region),
        ("eventTypeCategories", event.category),
        ("eventTypeCodes", event.event_type_code),
        ("eventStatusCodes", event.status_code),
        ("eventArns", event.arn),
        ("awsAccountIds", event.account_id),
    )
    return all(not filt.get(key) or value in filt[key] for key, value in checks)


def _events(organization: bool) -> Callable[[HealthState, Request], Any]:
    def result(state: HealthState, ctx: Request) -> Any:
        filt = ctx.json.get("filter") or {}
        items = [e.summary(organization) for e in state.events if _matches(e, filt)]
        found, extra = page(items, ctx.json)
        return {"events": found, **extra}

    return result


def _details(state: HealthState, ctx: Request) -> Any:
    ok, failed = [], []
    for arn in ctx.json.get("eventArns") or []:
        event = state.find(arn)
        if event is None:
            failed.append(_not_found(arn))
        else:
            ok.append(_detail(event))
    return {"successfulSet": ok, "failedSet": failed}


def _org_details(state: HealthState, ctx: Request) -> Any:
    ok, failed = [], []
    for item in ctx.json.get("organizationEventDetailFilters") or []:
        event = state.find(item.get("eventArn"), item.get("awsAccountId"))
        if event is None:
            failed.append(
                {**_not_found(item.get("eventArn")), "awsAccountId": item.get("awsAccountId")}
            )
        else:
            ok.append({"awsAccountId": event.account_id, **_detail(event)})
    return {"successfulSet": ok, "failedSet": failed}


def _detail(event: HealthEvent) -> dict[str, Any]:
    return {
        "event": event.summary(False),
        "eventDescription": {"latestDescription": event.description},
        "eventMetadata": {},
    }


def _not_found(arn: Any) -> dict[str, Any]:
    return {
        "eventArn": arn,
        "errorName": "EventNotFoundException",
        "errorMessage": f"Event {arn} not found.",
    }


def _entities(event: HealthEvent) -> list[dict[str, Any]]:
    return [
        {
            "entityArn": f"{event.arn}/entity/{i}",
            "eventArn": event.arn,
            "entityValue": value,
            "awsAccountId": event.account_id,
            "lastUpdatedTime": event.last_updated,
            "statusCode": status,
        }
        for i, (value, status) in enumerate(event.entities.items())
    ]


def _affected(state: HealthState, ctx: Request) -> Any:
    filt = ctx.json.get("filter") or {}
    statuses = filt.get("statusCodes")
    items = [
        entity
        for arn in filt.get("eventArns") or []
        if (event := state.find(arn)) is not None
        for entity in _entities(event)
        if not statuses or entity["statusCode"] in statuses
    ]
    found, extra = page(items, ctx.json)
    return {"entities": found, **extra}


def _org_affected(state: HealthState, ctx: Request) -> Any:
    pairs = ctx.json.get("organizationEntityFilters") or ctx.json.get(
        "organizationEntityAccountFilters"
    )
    items = [
        entity
        for item in pairs or []
        if (event := state.find(item.get("eventArn"), item.get("awsAccountId"))) is not None
        for entity in _entities(event)
    ]
    found, extra = page(items, ctx.json)
    return {"entities": found, "failedSet": [], **extra}


def _org_accounts(state: HealthState, ctx: Request) -> Any:
    arn = ctx.json.get("eventArn")
    accounts = sorted({e.account_id for e in state.events if e.arn == arn})
    found, extra = page([{"a": a} for a in accounts], ctx.json)
    return {
        "affectedAccounts": [x["a"] for x in found],
        "eventScopeCode": "ACCOUNT_SPECIFIC" if accounts else "NONE",
        **extra,
    }


_RESULTS: Final[dict[str, Callable[[HealthState, Request], Any]]] = {
    "DescribeEvents": _events(False),
    "DescribeEventDetails": _details,
    "DescribeAffectedEntities": _affected,
    "DescribeEventsForOrganization": _events(True),
    "DescribeEventDetailsForOrganization": _org_details,
    "DescribeAffectedEntitiesForOrganization": _org_affected,
    "DescribeAffectedAccountsForOrganization": _org_accounts,
}


def _route(app: App, ctx: Request) -> Response | None:
    op = rpc_operation(ctx, _PREFIX)
    result = _RESULTS.get(op or "")
    if op is None or result is None:
        return None
    state = app.state(HealthState)
    return app.scripted_call(ctx, SERVICE, op, None, lambda c: result(state, c))


SERVICE: Final = Service(
    "health", HEALTH_OPERATIONS, HealthState.new, _route, "AWS_ENDPOINT_URL_HEALTH"
)


class HealthScripts:
    """AWS Health part of :class:`LocalBedrock`'s scripting API."""

    _app: App

    def add_health_event(
        self,
        description: str,
        *,
        entities: Iterable[str] | Mapping[str, str] = (),
        region: str = "us-east-1",
        start_time: Instant | None = None,
        last_updated: Instant | None = None,
        status: str = "upcoming",
        category: str = "scheduledChange",
        event_type_code: str = LIFECYCLE_EVENT_TYPE,
        service: str = "BEDROCK",
        account_id: str = ACCOUNT_ID,
        arn: str | None = None,
    ) -> str:
        """Add an AWS Health event whose text is ``description``; returns its ARN.

        ``entities`` are the affected resources (model IDs), PENDING unless a mapping gives
        each its status (PENDING | RESOLVED | UNKNOWN)."""
        start = instant(start_time, "start_time") if start_time is not None else _now()
        updated = instant(last_updated, "last_updated") if last_updated is not None else start
        arn = arn or (
            f"arn:aws:health:{region}::event/{service}/{event_type_code}/"
            f"{event_type_code}_{secrets.token_hex(4).upper()}"
        )
        statuses = (
            dict(entities) if isinstance(entities, Mapping) else dict.fromkeys(entities, "PENDING")
        )
        event = HealthEvent(
            arn,
            service,
            event_type_code,
            category,
            region,
            start,
            updated,
            status,
            description,
            statuses,
            account_id,
        )
        with self._app.lock:
            self._app.state(HealthState).events.append(event)
        return arn

    def fail_health(
        self,
        operation_name: str,
        code: str,
        times: int | None = None,
        message: str | None = None,
        *,
        status: int | None = None,
    ) -> None:
        """``operation_name`` of AWS Health (``"*"``: all) answers error ``code``:
        ``SubscriptionRequiredException`` (no Business/Enterprise support plan),
        ``AccessDeniedException`` (a missing permission), ..."""
        fail_operation(self._app, SERVICE, operation_name, code, times, message, status=status)

    def delay_health(self, operation_name: str, seconds: float, times: int | None = None) -> None:
        delay_operation(self._app, SERVICE, operation_name, seconds, times)


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
