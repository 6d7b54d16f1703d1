"""Lifecycle data types shared by the registry, the policy and the CLI."""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass, field


class State(str, enum.Enum):
    ACTIVE = "active"
    LEGACY = "legacy"
    EXTENDED_ACCESS = "extended_access"
    EOL = "eol"
    UNKNOWN = "unknown"

    def __str__(self) -> str:  # so f-strings and tables show "legacy", not "State.LEGACY"
        return self.value


# How bad a state is, for "the more conservative answer" comparisons.
SEVERITY = {State.UNKNOWN: 0, State.ACTIVE: 0, State.LEGACY: 1, State.EXTENDED_ACCESS: 2, State.EOL: 3}


@dataclass(frozen=True, slots=True)
class LifecycleEntry:
    """One dated lifecycle record for a base model, for some regions or for all (``regions=None``)."""

    model_id: str
    regions: frozenset[str] | None = None
    legacy: _dt.datetime | None = None
    extended_access: _dt.datetime | None = None
    eol: _dt.datetime | None = None
    replacements: tuple[str, ...] = ()
    name: str = ""
    provider: str = ""
    source: str = "bundled"  # bundled | api | override
    provenance: str = ""  # where the facts come from (document copy, table)
    as_of: _dt.date | None = None
    # A status the source reported without dates (old API responses): "active" / "legacy".
    status: State | None = None

    def state_at(self, now: _dt.datetime) -> State:
        if self.eol is not None and now >= self.eol:
            return State.EOL
        if self.extended_access is not None and now >= self.extended_access:
            return State.EXTENDED_ACCESS
        if self.legacy is not None and now >= self.legacy:
            return State.LEGACY
        if self.status is not None:
            return self.status
        return State.ACTIVE

    def applies_to(self, region: str | None) -> bool:
        return self.regions is None or (region is not None and region in self.regions)


@dataclass(frozen=True, slots=True)
class LifecycleStatus:
    """The answer to "what is this model's lifecycle in this region at this instant?"."""

    model_id: str  # as given
    base_model_id: str | None
    region: str | None
    state: State
    at: _dt.datetime
    legacy_date: _dt.datetime | None = None
    extended_access_date: _dt.datetime | None = None
    eol_date: _dt.datetime | None = None
    replacements: tuple[str, ...] = ()
    source: str = "none"
    name: str = ""
    note: str = ""
    entry: LifecycleEntry | None = field(default=None, compare=False, repr=False)

    @property
    def suggested_replacements(self) -> tuple[str, ...]:
        """This project's same-family suggestion when AWS names no replacement (or ())."""
        if self.replacements:
            return ()
        from bedrock_lifecycle.lifecycle.successors import suggested

        return suggested(self.base_model_id)

    @property
    def days_to_eol(self) -> int | None:
        if self.eol_date is None:
            return None
        return (self.eol_date - self.at).days

    def to_json(self) -> dict[str, object]:
        def iso(d: _dt.datetime | None) -> str | None:
            return None if d is None else d.isoformat().replace("+00:00", "Z")

        return {
            "model_id": self.model_id,
            "base_model_id": self.base_model_id,
            "region": self.region,
            "state": self.state.value,
            "at": iso(self.at),
            "legacy_date": iso(self.legacy_date),
            "extended_access_date": iso(self.extended_access_date),
            "eol_date": iso(self.eol_date),
            "days_to_eol": self.days_to_eol,
            "replacements": list(self.replacements),
            "suggested_replacements": list(self.suggested_replacements),
            "source": self.source,
            "name": self.name,
            "note": self.note,
        }
