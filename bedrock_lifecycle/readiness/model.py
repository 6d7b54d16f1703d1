"""The result types of the readiness checks: one :class:`Check` per check, model and region."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Sequence
from typing import Any


class Status(str, enum.Enum):
    PASS = "pass"
    WARN = "warn"  # the check ran; something to know, not a blocker
    FAIL = "fail"
    NOT_CHECKED = "not_checked"  # could not run (a missing permission, an error): never a pass

    def __str__(self) -> str:
        return self.value


@dataclasses.dataclass(frozen=True, slots=True)
class Check:
    """One check's answer for one model in one region."""

    name: str  # access | region | lifecycle | quotas
    status: Status
    summary: str  # one line
    details: tuple[str, ...] = ()  # further lines (profiles, dates, quota names)
    actions: tuple[str, ...] = ()  # what to do about a failure, one per line
    iam_action: str | None = None  # the permission missing, for NOT_CHECKED
    data: dict[str, Any] = dataclasses.field(default_factory=dict)  # machine-readable facts

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status.value,
            "summary": self.summary,
            "details": list(self.details),
            "actions": list(self.actions),
            "iam_action": self.iam_action,
            "data": self.data,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Subject:
    """A model a preflight covers: as configured, with its base model and role."""

    configured: str  # the ID as the application sends it (plain, profile or ARN)
    base_model_id: str | None
    role: str  # target | fallback | shadow | model
    share: float | None = None  # current share of the alias's traffic (targets)


@dataclasses.dataclass(frozen=True, slots=True)
class ModelResult:
    source: str  # the alias or model named on the command line
    subject: Subject
    region: str
    checks: tuple[Check, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "model": self.subject.configured,
            "base_model_id": self.subject.base_model_id,
            "role": self.subject.role,
            "share": self.subject.share,
            "region": self.region,
            "checks": [c.to_json() for c in self.checks],
        }


def counts(results: Iterable[ModelResult]) -> dict[str, int]:
    out = {s.value: 0 for s in Status}
    for r in results:
        for c in r.checks:
            out[c.status.value] += 1
    return out


def exit_code(results: Sequence[ModelResult], *, allow_unchecked: bool = False) -> int:
    """0 when every check passed (warnings allowed), 1 when one failed or could not run."""
    n = counts(results)
    if n[Status.FAIL.value] or (n[Status.NOT_CHECKED.value] and not allow_unchecked):
        return 1
    return 0
