"""``notices`` and ``sync --health``: AWS Health lifecycle notices next to the registry.

The Health client and the parsing live in :mod:`bedrock_lifecycle.lifecycle.health`; this
module adds what the commands show: each notice's models and dated milestones, and where a
notice's date disagrees with another source (who wins follows the registry's precedence:
override > api > health > bundled).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from bedrock_lifecycle.lifecycle.model import LifecycleEntry
from bedrock_lifecycle.lifecycle.notice_text import MILESTONES

_WINNER = {"override": "override wins", "api": "api wins", "bundled": "health wins"}


@dataclasses.dataclass(frozen=True, slots=True)
class Conflict:
    model_id: str
    region: str | None
    milestone: str
    health: str
    other: str
    other_source: str
    outcome: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def line(self) -> str:
        where = self.region or "all regions"
        return (f"{self.model_id} ({where}) {self.milestone}: health says {self.health}, "
                f"{self.other_source} says {self.other} ({self.outcome})")


def conflicts(entries: Iterable[LifecycleEntry], registry: Any, at: Any) -> list[Conflict]:
    """Milestones where a Health entry and the registry's other layers disagree. ``registry``
    must not hold the Health entries themselves (build it with ``health_entries=()``)."""
    out: list[Conflict] = []
    for e in entries:
        for region in sorted(e.regions) if e.regions else [None]:
            status = registry.lookup(e.model_id, region, at)
            other = status.entry
            if other is None:
                continue
            for m in MILESTONES:
                mine, theirs = getattr(e, m), getattr(other, m)
                if mine is not None and theirs is not None and mine.date() != theirs.date():
                    out.append(Conflict(e.model_id, region, m, mine.date().isoformat(), theirs.date().isoformat(),
                                        status.source, _WINNER.get(status.source, f"{status.source} wins")))
    return out


def registry_without_health(cache_dir: Any, config: Any | None) -> Any:
    """Bundled, synced and override layers only: what Health is compared against."""
    from bedrock_lifecycle.lifecycle import bundled, sync
    from bedrock_lifecycle.lifecycle.registry import Registry

    data = bundled.load()
    overrides = [o.to_entry() for o in config.registry.overrides] if config is not None else []
    return Registry(data.entries, catalogue=data.catalogue, overrides=overrides,
                    api_entries=sync.cached_api_entries(cache_dir), facts=data.models)
