"""AWS Health lifecycle notices for Amazon Bedrock: fetch, read model IDs and dates, cache.

:func:`fetch_notices` reads events of service ``BEDROCK``, category ``scheduledChange``
(``DescribeEvents``, ``DescribeEventDetails`` for the text, ``DescribeAffectedEntities`` for
the models, or the ``...ForOrganization`` variants); :mod:`.notice_text` reads model IDs,
names and dated milestones in a text; :func:`entries_from_notices` makes the registry's ``health``
layer. Without a Business/Enterprise support plan the API answers
``SubscriptionRequiredException``: :class:`HealthUnavailable` says so in one line and the
registry keeps working on its other sources.

Precedence, field by field: override > api > health > bundled (docs/readiness.md). The API is
the service's own current state; a notice is a dated message a later one can supersede, but
it is newer than the bundled documentation copy and dates milestones the API shows only once
they arrive. Among notices, the most recently updated wins.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from bedrock_lifecycle.clock import InstantError, parse_instant
from bedrock_lifecycle.lifecycle.model import LifecycleEntry
from bedrock_lifecycle.lifecycle.notice_text import (
    MILESTONES,
    NoticeDate,
    base_of,
    bundled_providers,
    dates_in,
    ids_by_role,
)
from bedrock_lifecycle.util.aws import aws_client

UTC = _dt.timezone.utc
HEALTH_SERVICE: Final = "BEDROCK"
CATEGORY: Final = "scheduledChange"
HEALTH_REGION: Final = "us-east-1"  # the Health API's global endpoint
CACHE_FILENAME: Final = "health-cache.json"
CACHE_SCHEMA: Final = "bedrock-lifecycle/health-cache"
CACHE_SCHEMA_VERSION: Final = 1
_DESCRIPTION_LIMIT = 4000  # characters of each text kept in the cache
_DETAIL_BATCH = 10  # DescribeEventDetails takes at most 10 ARNs per call

# IAM actions each step needs, for the "not checked" lines.
ACTIONS: Final = {
    False: (
        "health:DescribeEvents",
        "health:DescribeEventDetails",
        "health:DescribeAffectedEntities",
    ),
    True: (
        "health:DescribeEventsForOrganization",
        "health:DescribeEventDetailsForOrganization",
        "health:DescribeAffectedEntitiesForOrganization",
        "health:DescribeAffectedAccountsForOrganization",
    ),
}

ClientFactory = Callable[[], Any]


class HealthUnavailable(Exception):
    """The Health API cannot be read: no support plan, a missing permission, or a failure.

    ``reason`` is ``subscription``, ``access-denied`` or ``error``; ``str()`` is one line.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# --------------------------------------------------------------------------- notices


@dataclasses.dataclass(frozen=True, slots=True)
class Notice:
    """One AWS Health event about Bedrock, with what was read from it."""

    arn: str
    region: str
    event_type_code: str
    status: str  # open | upcoming | closed
    start_time: _dt.datetime | None
    last_updated: _dt.datetime | None
    description: str
    models: tuple[str, ...]  # base model IDs: affected entities first, then the text's
    dates: tuple[NoticeDate, ...]
    replacements: tuple[str, ...] = ()  # IDs the text recommends instead
    entities: tuple[tuple[str, str], ...] = ()  # (entity value, PENDING | RESOLVED | UNKNOWN)
    account_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "region": self.region,
            "event_type_code": self.event_type_code,
            "status": self.status,
            "start_time": _iso(self.start_time),
            "last_updated": _iso(self.last_updated),
            "account_id": self.account_id,
            "models": list(self.models),
            "replacements": list(self.replacements),
            "entities": [{"value": v, "status": s} for v, s in self.entities],
            "dates": [d.to_json() for d in self.dates],
            "description": self.description[:_DESCRIPTION_LIMIT],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Notice:
        def when(v: Any) -> _dt.datetime | None:
            return None if v is None else parse_instant(str(v), field="notice date")

        return cls(
            arn=str(d["arn"]),
            region=str(d["region"]),
            event_type_code=str(d.get("event_type_code") or ""),
            status=str(d.get("status") or ""),
            start_time=when(d.get("start_time")),
            last_updated=when(d.get("last_updated")),
            description=str(d.get("description") or ""),
            models=tuple(str(m) for m in d.get("models") or ()),
            replacements=tuple(str(m) for m in d.get("replacements") or ()),
            dates=tuple(
                NoticeDate(
                    str(x["kind"]),
                    parse_instant(str(x["at"]), field="notice date"),
                    str(x.get("text") or ""),
                )
                for x in d.get("dates") or ()
            ),
            entities=tuple((str(e["value"]), str(e["status"])) for e in d.get("entities") or ()),
            account_id=None if d.get("account_id") is None else str(d["account_id"]),
        )


def _error_parts(exc: BaseException) -> tuple[str, str]:
    err = getattr(exc, "response", None)
    if isinstance(err, dict):
        e = err.get("Error") or {}
        return str(e.get("Code") or type(exc).__name__), str(e.get("Message") or "")
    return type(exc).__name__, str(exc)


def _unavailable(exc: BaseException, action: str) -> HealthUnavailable:
    code, message = _error_parts(exc)
    if code == "SubscriptionRequiredException":
        return HealthUnavailable(
            "subscription",
            "the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise support plan "
            "(SubscriptionRequiredException); lifecycle data keeps coming from the other sources",
        )
    if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
        return HealthUnavailable(
            "access-denied", f"not allowed to call {action} (AccessDeniedException); grant {action}"
        )
    return HealthUnavailable("error", f"{action} failed: {code}: {message}".rstrip(": "))


def fetch_notices(
    client: Any,
    regions: Sequence[str] = (),
    *,
    organization: bool = False,
    providers: Iterable[str] | None = None,
) -> list[Notice]:
    """Bedrock scheduled-change events (for ``regions``, or all), their texts and entities.

    Raises :class:`HealthUnavailable` (one line) when the API cannot be read.
    """
    events_action, details_action, entities_action = ACTIONS[organization][:3]
    filt: dict[str, Any] = {"services": [HEALTH_SERVICE], "eventTypeCategories": [CATEGORY]}
    if regions:
        filt["regions"] = list(dict.fromkeys(regions))
    op = "describe_events_for_organization" if organization else "describe_events"
    events: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator(op).paginate(filter=filt):
            events.extend(page.get("events") or ())
    except Exception as exc:
        raise _unavailable(exc, events_action) from None
    if not events:
        return []
    known = frozenset(providers) if providers is not None else bundled_providers()
    # The organisational view names accounts per event; the per-account calls need them.
    accounts = _accounts(client, events) if organization else None
    texts = _details(client, events, accounts, details_action)
    entities = _entities(client, events, accounts, entities_action)
    out = []
    for ev in events:
        arn = str(ev["arn"])
        account, text = texts.get(arn, (None, ""))
        ents = tuple(entities.get(arn, ()))
        from_entities = [b for v, _ in ents if (b := base_of(v, known)) is not None]
        retiring, replacements = ids_by_role(text, known, names=not from_entities)
        models = tuple(dict.fromkeys([*from_entities, *retiring]))
        out.append(
            Notice(
                arn=arn,
                region=str(ev.get("region") or "global"),
                event_type_code=str(ev.get("eventTypeCode") or ""),
                status=str(ev.get("statusCode") or ""),
                start_time=_utc(ev.get("startTime")),
                last_updated=_utc(ev.get("lastUpdatedTime")),
                description=text,
                models=models,
                dates=dates_in(text),
                replacements=tuple(r for r in replacements if r not in models),
                entities=ents,
                account_id=account,
            )
        )
    return out


Pairs = list[dict[str, str]]


def _batches(
    events: list[dict[str, Any]], accounts: dict[str, list[str]] | None
) -> list[list[str] | Pairs]:
    """Event ARNs in calls of at most 10 items: plain ARNs, or (event, account) pairs."""
    if accounts is None:
        arns = [str(e["arn"]) for e in events]
        return [arns[i : i + _DETAIL_BATCH] for i in range(0, len(arns), _DETAIL_BATCH)]
    pairs = [
        {"eventArn": str(e["arn"]), "awsAccountId": a}
        for e in events
        for a in accounts.get(str(e["arn"]), ())
    ]
    return [pairs[i : i + _DETAIL_BATCH] for i in range(0, len(pairs), _DETAIL_BATCH)]


def _details(
    client: Any, events: list[dict[str, Any]], accounts: dict[str, list[str]] | None, action: str
) -> dict[str, tuple[str | None, str]]:
    out: dict[str, tuple[str | None, str]] = {}
    for batch in _batches(events, accounts):
        try:
            if accounts is not None:
                answer = client.describe_event_details_for_organization(
                    organizationEventDetailFilters=batch
                )
            else:
                answer = client.describe_event_details(eventArns=batch)
        except Exception as exc:
            raise _unavailable(exc, action) from None
        for item in answer.get("successfulSet") or ():
            arn = str((item.get("event") or {}).get("arn") or "")
            text = str((item.get("eventDescription") or {}).get("latestDescription") or "")
            out.setdefault(arn, (item.get("awsAccountId"), text))
    return out


def _accounts(client: Any, events: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    try:
        for e in events:
            pages = client.get_paginator("describe_affected_accounts_for_organization").paginate(
                eventArn=e["arn"]
            )
            out[str(e["arn"])] = [str(a) for p in pages for a in p.get("affectedAccounts") or ()]
    except Exception as exc:
        raise _unavailable(exc, ACTIONS[True][3]) from None
    return out


def _entities(
    client: Any, events: list[dict[str, Any]], accounts: dict[str, list[str]] | None, action: str
) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    try:
        for batch in _batches(events, accounts):
            if accounts is not None:
                pages = client.get_paginator(
                    "describe_affected_entities_for_organization"
                ).paginate(organizationEntityFilters=batch)
            else:
                pages = client.get_paginator("describe_affected_entities").paginate(
                    filter={"eventArns": batch}
                )
            for page in pages:
                for ent in page.get("entities") or ():
                    value = ent.get("entityValue")
                    if value:
                        out.setdefault(str(ent.get("eventArn")), []).append(
                            (str(value), str(ent.get("statusCode") or "UNKNOWN"))
                        )
    except Exception as exc:
        raise _unavailable(exc, action) from None
    return out


def _utc(value: Any) -> _dt.datetime | None:
    if isinstance(value, _dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return None


def iso_or_dash(d: _dt.datetime | None) -> str:
    return "-" if d is None else d.date().isoformat()


def _iso(d: _dt.datetime | None) -> str | None:
    return None if d is None else d.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- registry entries


def entries_from_notices(notices: Iterable[Notice]) -> tuple[LifecycleEntry, ...]:
    """One ``health`` entry per (model, region) with the milestones the notices date.

    Dates whose milestone the text does not say (``unknown``) are left out. When notices
    disagree on a milestone, the most recently updated notice wins.
    """
    far_past = _dt.datetime.min.replace(tzinfo=UTC)
    fields: dict[tuple[str, str], dict[str, tuple[_dt.datetime, _dt.datetime, Notice]]] = {}
    replacements: dict[tuple[str, str], tuple[str, ...]] = {}
    for notice in sorted(notices, key=lambda n: n.last_updated or n.start_time or far_past):
        dated = [d for d in notice.dates if d.kind in MILESTONES]
        if not dated or not notice.models:
            continue
        stamp = notice.last_updated or notice.start_time or far_past
        for model in notice.models:
            slot = fields.setdefault((model, notice.region), {})
            for d in dated:
                slot[d.kind] = (d.at, stamp, notice)  # later notices overwrite earlier ones
            if notice.replacements:
                replacements[(model, notice.region)] = notice.replacements
    out = []
    for (model, region), slot in sorted(fields.items()):
        newest = max(slot.values(), key=lambda v: v[1])
        arns = sorted({v[2].arn for v in slot.values()})
        out.append(
            LifecycleEntry(
                model_id=model,
                regions=None if region in ("global", "") else frozenset({region}),
                legacy=slot["legacy"][0] if "legacy" in slot else None,
                extended_access=slot["extended_access"][0] if "extended_access" in slot else None,
                eol=slot["eol"][0] if "eol" in slot else None,
                replacements=replacements.get((model, region), ()),
                source="health",
                provenance="AWS Health " + ", ".join(arns),
                as_of=None if newest[1] == far_past else newest[1].date(),
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- cache and sync


def cache_path(cache_dir: Path | str | None = None) -> Path:
    from bedrock_lifecycle.lifecycle.sync import resolve_cache_dir

    return resolve_cache_dir(cache_dir) / CACHE_FILENAME


def read_cache(path: Path) -> list[Notice]:
    """The cached notices; [] when the file is missing or unusable (never raises)."""
    import json

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if (
            not isinstance(doc, dict)
            or doc.get("schema") != CACHE_SCHEMA
            or doc.get("schema_version") != CACHE_SCHEMA_VERSION
        ):
            return []
        return [Notice.from_json(n) for n in doc["notices"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, InstantError):
        return []


def cached_entries(cache_dir: Path | str | None = None) -> tuple[LifecycleEntry, ...]:
    """The registry's ``health`` layer: entries from the last ``sync --health`` (no network)."""
    return entries_from_notices(read_cache(cache_path(cache_dir)))


@dataclasses.dataclass(frozen=True)
class HealthSyncReport:
    notices: tuple[Notice, ...]
    entries: tuple[LifecycleEntry, ...]
    cache_path: Path
    written: bool
    unavailable: HealthUnavailable | None = None
    cache_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "notices": len(self.notices),
            "entries": len(self.entries),
            "cache_path": str(self.cache_path),
            "written": self.written,
            "unavailable": None
            if self.unavailable is None
            else {
                "reason": self.unavailable.reason,
                "message": str(self.unavailable),
            },
            "cache_error": self.cache_error,
        }


def default_client() -> Any:
    """A Health client from the default boto3 session (credentials, ``AWS_ENDPOINT_URL_HEALTH``)."""
    return aws_client("health", region=HEALTH_REGION, purpose="health")


def sync_health(
    regions: Sequence[str] = (),
    *,
    organization: bool = False,
    client_factory: ClientFactory | None = None,
    cache_dir: Path | str | None = None,
    now: _dt.datetime | None = None,
) -> HealthSyncReport:
    """Fetch the notices and write ``<cache dir>/health-cache.json`` (atomically, 0600).

    Never raises for API failures: an unreadable Health API keeps the previous cache and is
    reported in ``unavailable``.
    """
    from bedrock_lifecycle.clock import env_clock
    from bedrock_lifecycle.lifecycle.sync import write_document

    path = cache_path(cache_dir)
    try:
        notices = fetch_notices(
            (client_factory or default_client)(), regions, organization=organization
        )
    except HealthUnavailable as exc:
        kept = tuple(read_cache(path))
        return HealthSyncReport(kept, entries_from_notices(kept), path, False, exc)
    at = now if now is not None else env_clock()()
    doc = {
        "schema": CACHE_SCHEMA,
        "schema_version": CACHE_SCHEMA_VERSION,
        "written_at": _iso(at),
        "organization": organization,
        "regions": list(regions),
        "notices": [n.to_json() for n in notices],
    }
    error = None
    try:
        write_document(path, doc)
    except OSError as exc:
        error = f"cannot write {path}: {exc.strerror or exc}"
    entries = entries_from_notices(notices)
    return HealthSyncReport(tuple(notices), entries, path, error is None, None, error)
