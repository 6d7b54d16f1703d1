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


def binds(reported: bool, trust: str) -> bool:
    """Whether a state or date may fail a gate, refuse or skip a call: confirmed data
    always; data only third parties reported (``confidence = "reported"``) only under
    ``trust = "reported"`` — otherwise it warns. The one rule for the client, ``check``,
    ``scan`` and configuration validation."""
    return not reported or trust == "reported"


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
    # How sure the dates are: "confirmed" (an AWS page, card or the API) or "reported"
    # (third-party notes of AWS material: warns, never refuses unless trusted).
    confidence: str = "confirmed"
    evidence_date: _dt.date | None = None  # how new the evidence is (a lower bound)
    # Lifecycle policy facts (per model; see lifecycle/guarantees.py and docs/registry.md).
    launch: _dt.datetime | None = None
    policy: str | None = None  # "2026-09" | "pre-2026-09" | None (unknown)
    legacy_period_days: int | None = None  # 182 (6 months) or 45; None when unknown
    eol_floor: _dt.datetime | None = None  # the card's "EOL no sooner than"

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

    # Facts of the entry the state came from (None without one). Properties, so the
    # per-request lookup pays nothing for them.
    @property
    def _dated(self) -> bool:
        e = self.entry
        return e is not None and (
            e.legacy is not None or e.extended_access is not None or e.eol is not None or e.status is not None
        )

    @property
    def confidence(self) -> str | None:
        """How sure the lifecycle dates are; None when there are none."""
        return self.entry.confidence if self._dated and self.entry is not None else None

    @property
    def evidence_date(self) -> _dt.date | None:
        if not self._dated or self.entry is None:
            return None
        return self.entry.evidence_date or self.entry.as_of

    @property
    def policy(self) -> str | None:
        return None if self.entry is None else self.entry.policy

    @property
    def legacy_period_days(self) -> int | None:
        return None if self.entry is None else self.entry.legacy_period_days

    @property
    def launch_date(self) -> _dt.datetime | None:
        return None if self.entry is None else self.entry.launch

    @property
    def earliest_eol(self) -> _dt.datetime | None:
        """The earliest instant this model can reach EOL here (guarantees.earliest_eol)."""
        if self.entry is None or self.state is State.UNKNOWN:
            return None
        from bedrock_lifecycle.lifecycle.guarantees import earliest_eol

        return earliest_eol(self.entry, self.at)

    @property
    def safe_until(self) -> _dt.datetime | None:
        """``earliest_eol`` for a model that is still active ("safe until at least"), else None."""
        return self.earliest_eol if self.state is State.ACTIVE else None

    @property
    def reported(self) -> bool:
        """The state rests on a ``reported`` (not confirmed) date."""
        return self.entry is not None and self.entry.confidence == "reported"

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
            "confidence": self.confidence,
            "evidence_date": None if self.evidence_date is None else self.evidence_date.isoformat(),
            "provenance": None if self.entry is None else (self.entry.provenance or None),
            "policy": self.policy,
            "launch_date": iso(self.launch_date),
            "legacy_period_days": self.legacy_period_days,
            "earliest_eol": iso(self.earliest_eol),
        }
