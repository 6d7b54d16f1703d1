"""``Registry.lookup`` on the request path: µs per lookup for cached identifiers.

Run: ``.venv/bin/python -m bench lookup``. The registry is bundled data only (an empty
temporary cache dir), so the figures do not depend on a sync cache on this machine.
"""

from __future__ import annotations

import datetime as _dt
import tempfile
from collections.abc import Callable

from bedrock_lifecycle.lifecycle.registry import Registry
from bench._util import compare, report

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET35 = "anthropic.claude-3-5-sonnet-20240620-v1:0"
APP = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"


def main() -> None:
    with tempfile.TemporaryDirectory() as empty:
        registry = Registry.default(cache_dir=empty, base_model_map={APP: HAIKU})
    at = _dt.datetime(2026, 8, 1, tzinfo=_dt.timezone.utc)
    region = "us-east-1"
    plain, profile = HAIKU, f"us.{HAIKU}"
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}"
    fm_arn = f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
    table = {(plain, region): at}
    lookup = registry.lookup
    cases: dict[str, Callable[[], object]] = {
        "baseline: dict hit": lambda: table.get((plain, region)),
        "plain model ID": lambda: lookup(plain, region, at),
        "cross-region profile ID": lambda: lookup(profile, region, at),
        "inference-profile ARN": lambda: lookup(arn, region, at),
        "foundation-model ARN (region from ARN)": lambda: lookup(fm_arn, None, at),
        "application profile via base_model_map": lambda: lookup(APP, region, at),
        "plain model ID, at=None (library clock)": lambda: lookup(plain, region),
        "no region, same dates everywhere": lambda: lookup(plain, None, at),
        "no region, 4 distinct regional dates": lambda: lookup(SONNET35, None, at),
    }
    medians = compare(cases, number=20000, repeat=7)
    report("Registry.lookup, cached (µs per lookup)", medians, baseline="plain model ID")


if __name__ == "__main__":
    main()
