"""Every region of every AWS partition, and a validator that names the closest one.

A mistyped region (``us-east1``) must not switch the lifecycle gates off: the registry has
no entry for a region that does not exist, so every model would read ``unknown``. So a
region given anywhere is checked here first.

The list is the union of a table (botocore 1.44.8's ``data/partitions.json``, the newest
on the package index when it was written) and the ``partitions.json`` of the botocore
installed at run time, read as data without importing botocore (``import
bedrock_lifecycle`` must not load it). A newer botocore therefore adds new regions
without a release of this package; an older one loses none. Partition-wide pseudo-regions
(``aws-global``) are not regions a client can be configured with and are left out.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import os
import re

# botocore 1.44.8 data/partitions.json, "regions" of each partition (pseudo-regions left out).
PARTITION_REGIONS: dict[str, tuple[str, ...]] = {
    "aws": (
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
        "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
        "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
        "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
        "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
        "me-south-1", "me-west-1", "mx-central-1", "sa-east-1", "sa-west-1", "us-east-1",
        "us-east-2", "us-west-1", "us-west-2",
    ),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "aws-iso": ("us-iso-east-1", "us-iso-west-1"),
    "aws-iso-b": ("us-isob-east-1", "us-isob-west-1"),
    "aws-iso-e": ("eu-isoe-west-1",),
    "aws-iso-f": ("us-isof-east-1", "us-isof-south-1"),
    "aws-eusc": ("eusc-de-east-1",),
}


_REGION_SHAPE = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}")


class RegionError(ValueError):
    """A value that is not a region of any AWS partition. The message names the field,
    the value and the closest real region; ``reason`` is the message without the field
    (for argparse, which prefixes the option itself)."""

    def __init__(self, field: str, value: object, suggestion: str | None) -> None:
        self.field = field
        self.value = value
        self.suggestion = suggestion
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        if suggestion and isinstance(value, str) and suggestion == value.strip().lower():
            hint = f"; did you mean {suggestion!r}? (region names are lower case, without spaces)"
        elif isinstance(value, str) and _REGION_SHAPE.fullmatch(value):
            hint += " (a region newer than the installed botocore? upgrade botocore)"
        self.reason = f"{value!r:.80} is not a region of any AWS partition{hint}"
        super().__init__(f"{field}: {self.reason}")


def _installed_botocore_regions() -> dict[str, tuple[str, ...]]:
    """``partitions.json`` of the installed botocore, or {} (absent, moved or unreadable)."""
    try:
        spec = importlib.util.find_spec("botocore")
        if spec is None or not spec.submodule_search_locations:
            return {}
        path = os.path.join(next(iter(spec.submodule_search_locations)), "data", "partitions.json")
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return {
            str(p["id"]): tuple(str(r) for r in p.get("regions", {}) if not str(r).startswith("aws-"))
            for p in data["partitions"]
        }
    except (OSError, ValueError, KeyError, TypeError, ImportError):
        return {}  # the table alone is still right for every region it lists


@functools.lru_cache(maxsize=1)
def partitions() -> dict[str, frozenset[str]]:
    """Partition ID → its regions (the table plus the installed botocore's data)."""
    merged = {k: set(v) for k, v in PARTITION_REGIONS.items()}
    for part, regions in _installed_botocore_regions().items():
        merged.setdefault(part, set()).update(regions)
    return {k: frozenset(v) for k, v in merged.items()}


@functools.lru_cache(maxsize=1)
def all_regions() -> frozenset[str]:
    """Every region of every partition."""
    return frozenset(r for regions in partitions().values() for r in regions)


def partition_of(region: str) -> str | None:
    """The partition ``region`` belongs to, or None when it is not a known region."""
    return next((p for p, regions in partitions().items() if region in regions), None)


def is_region(value: object) -> bool:
    return isinstance(value, str) and value in all_regions()


def closest_region(value: str) -> str | None:
    """The real region nearest to ``value`` by spelling, or None when none is close."""
    known = sorted(all_regions())
    folded = value.strip().lower().replace("_", "-").replace(" ", "-")
    if folded in all_regions():
        return folded
    match = difflib.get_close_matches(folded, known, n=1, cutoff=0.75)
    return match[0] if match else None


def validate_region(value: object, field: str = "region") -> str:
    """``value`` when it is a region of some AWS partition; else :class:`RegionError`.

    ``field`` names where the value came from (``--region``, ``AWS_REGION``,
    ``region_name``, a configuration key) so the message can say so.
    """
    if isinstance(value, str) and value in all_regions():
        return value
    suggestion = closest_region(value) if isinstance(value, str) else None
    raise RegionError(field, value, suggestion)


__all__ = [
    "PARTITION_REGIONS",
    "RegionError",
    "all_regions",
    "closest_region",
    "is_region",
    "partition_of",
    "partitions",
    "validate_region",
]
