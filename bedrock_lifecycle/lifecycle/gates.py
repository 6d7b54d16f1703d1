"""What ``check`` and ``status`` add from the lifecycle data: gates and the age of the data.

Pure functions over status rows (``LifecycleStatus.to_json()`` dicts) so the CLI's
``check``/``status`` (and ``preflight`` when it exists) only call them:

* :func:`target_problem`: whether one configured target fails the gate, and why, or only
  deserves a note (a ``reported`` date never fails on its own unless trusted).
* :func:`data_age`: how old the newest bundled fact is, whether a sync cache exists, and the
  one-line suggestion to run ``bedrock-lifecycle sync`` when the data is getting old.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bedrock_lifecycle.lifecycle.eol import eol_phrase, eol_within
from bedrock_lifecycle.lifecycle.model import binds

DEFAULT_MAX_AGE_DAYS = 90
_BAD = ("legacy", "extended_access", "eol")


def _instant(v: object) -> _dt.datetime | None:
    if not isinstance(v, str):
        return None
    return _dt.datetime.fromisoformat(v.replace("Z", "+00:00"))


def target_problem(
    row: Mapping[str, Any],
    at: _dt.datetime,
    *,
    within: int = 0,
    guaranteed_for: int | None = None,
    trust: str = "confirmed",
) -> tuple[str | None, str | None]:
    """(why the target fails the gate or None, a note to print without failing or None)."""
    why: str | None = None
    state = row.get("state")
    if state in _BAD:
        why = str(state)
    elif eol_within(eol := _instant(row.get("eol_date")), at, within):
        assert eol is not None
        why = f"{eol_phrase(eol, at)}, within --within {within}"
    elif guaranteed_for is not None:
        earliest = _instant(row.get("earliest_eol"))
        horizon = at + _dt.timedelta(days=guaranteed_for)
        if earliest is None:
            why = f"no guaranteed EOL date known (need {guaranteed_for} days)"
        elif earliest < horizon:
            why = f"may reach EOL {earliest.date().isoformat()}, within {guaranteed_for} days"
    if why is None:
        return None, None
    if not binds(row.get("confidence") == "reported", trust):
        ev = row.get("evidence_date")
        return None, f"{why} (reported, not confirmed{f'; evidence {ev}' if ev else ''}; --trust reported to fail on it)"
    return why, None


@dataclass(frozen=True, slots=True)
class DataAge:
    at: _dt.datetime
    newest_fact: _dt.date | None  # newest evidence among the bundled facts
    last_sync: _dt.date | None  # newest region sync in the cache, None without one
    cache_path: Path
    threshold_days: int = DEFAULT_MAX_AGE_DAYS

    @property
    def bundled_age_days(self) -> int | None:
        return None if self.newest_fact is None else (self.at.date() - self.newest_fact).days

    @property
    def age_days(self) -> int | None:
        """Days since the newest of the bundled facts and the last sync."""
        newest = max((d for d in (self.newest_fact, self.last_sync) if d is not None), default=None)
        return None if newest is None else (self.at.date() - newest).days

    @property
    def synced(self) -> bool:
        return self.last_sync is not None

    @property
    def suggestion(self) -> str | None:
        age = self.bundled_age_days
        if self.synced or age is None or age <= self.threshold_days:
            return None
        return (f"hint: the bundled lifecycle data is {age} days old and nothing was synced: run "
                "'bedrock-lifecycle sync --region R' (or upgrade bedrock-lifecycle)")

    def line(self) -> str:
        age = self.bundled_age_days
        bundled = "unknown" if self.newest_fact is None else f"newest fact {self.newest_fact.isoformat()} (" + (
            f"{age} day{'' if age == 1 else 's'} old)" if age is not None and age >= 0 else "after the instant asked about)")
        sync = f"synced {self.last_sync.isoformat()}" if self.last_sync else "no sync cache"
        return f"lifecycle data: bundled {bundled}; {sync} ({self.cache_path})"

    def to_json(self) -> dict[str, Any]:
        return {
            "newest_bundled_fact": None if self.newest_fact is None else self.newest_fact.isoformat(),
            "bundled_age_days": self.bundled_age_days,
            "synced": self.synced,
            "last_sync": None if self.last_sync is None else self.last_sync.isoformat(),
            "age_days": self.age_days,
            "cache_path": str(self.cache_path),
            "suggestion": self.suggestion,
        }


def data_age(
    at: _dt.datetime, cache_dir: Path | str | None = None, threshold_days: int = DEFAULT_MAX_AGE_DAYS
) -> DataAge:
    """The age of the lifecycle data a registry built now would use (reads the cache, no network)."""
    from bedrock_lifecycle.lifecycle import bundled, sync

    api = sync.cached_api_entries(cache_dir)
    last = max((e.as_of for e in api if e.as_of is not None), default=None)
    return DataAge(at, bundled.load().newest_evidence, last, sync.cache_file(cache_dir), threshold_days)


def data_age_problem(age: DataAge, max_age_days: int | None) -> str | None:
    """``check --max-data-age``: why the data is too old to trust, or None."""
    if max_age_days is None:
        return None
    days = age.age_days
    if days is None:
        return "the age of the lifecycle data is unknown"
    if days > max_age_days:
        return (f"the newest lifecycle fact is {days} days old (limit {max_age_days}): "
                "run 'bedrock-lifecycle sync' or upgrade bedrock-lifecycle")
    return None


__all__ = ["DEFAULT_MAX_AGE_DAYS", "DataAge", "data_age", "data_age_problem", "target_problem"]
