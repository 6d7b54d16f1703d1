"""Registry semantics, with every row of lifecycle-reference.csv exercised.

The expected answer for (model, region) is computed here from the CSV itself with the
documented merge rules (docs/registry.md), independently of tools/build_data.py:

- a row's regions are the region names in its ``regions_note``; none named = all regions;
- per region, the row from the newest source (S1 < S2 < S3) that names the region wins;
- elsewhere, all-region rows apply; in a row whose legacy date names regions while another
  phase says "all regions" (Claude 3.7 Sonnet in S1), the dates qualified "all regions" or
  unqualified apply everywhere else;
- nothing for the region but dates elsewhere -> ``unknown``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.lifecycle import bundled
from bedrock_lifecycle.lifecycle.model import SEVERITY, LifecycleEntry, State
from bedrock_lifecycle.lifecycle.registry import (
    Registry,
    canonical_key,
    merge_layers,
    region_in_geography,
    state_of,
)

UTC = dt.timezone.utc
REPO = Path(__file__).resolve().parent.parent
CSV_PATH = REPO.parent / "shared" / "data" / "lifecycle-reference.csv"
RANK = {"S1": 1, "S2": 2, "S3": 3}
REGION_RE = re.compile(r"\b[a-z]{2}(?:-gov)?-[a-z]+-\d+\b")
SECOND = dt.timedelta(seconds=1)
SPARE_REGIONS = ("sa-east-1", "ca-west-1", "us-gov-west-1", "eu-south-2", "ap-east-2", "mx-central-1")


def D(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=UTC)


# --------------------------------------------------------------------------- expectations from the CSV


@dataclass(frozen=True)
class Row:
    n: int
    model_id: str
    source: str
    regions: frozenset[str] | None
    legacy: dt.datetime | None
    extended_access: dt.datetime | None
    eol: dt.datetime | None
    wide: tuple[dt.datetime | None, dt.datetime | None, dt.datetime | None] | None  # dates elsewhere


def _d(v: str) -> dt.datetime | None:
    return D(v) if v else None


def _read_rows() -> list[Row]:
    if not CSV_PATH.exists():
        return []
    out = []
    with CSV_PATH.open(encoding="utf-8") as f:
        for n, r in enumerate(csv.DictReader(f), start=1):
            if not r["model_id"]:
                continue
            note = r["regions_note"]
            regions = frozenset(REGION_RE.findall(note)) or None
            dates = (_d(r["legacy_date"]), _d(r["extended_access_date"]), _d(r["eol_date"]))
            wide: tuple[dt.datetime | None, ...] | None = None
            if regions is None:
                wide = dates
            elif "all regions" in note.lower():
                named = set()
                for part in note.split(";"):
                    phase, _, value = part.partition(":")
                    if REGION_RE.search(value):
                        named.add(phase.strip().lower())
                wide = tuple(
                    None if phase in named else d
                    for phase, d in zip(("legacy", "extended access", "eol"), dates, strict=True)
                )
            out.append(Row(n, r["model_id"], r["source"][:2], regions, *dates, wide))  # type: ignore[arg-type]
    return out


ROWS = _read_rows()
needs_csv = pytest.mark.skipif(not ROWS, reason="reference data not available")


def expected(model_id: str, region: str) -> tuple[dt.datetime | None, dt.datetime | None, dt.datetime | None] | None:
    """Dates for (model, region) under the documented rules, or None for 'unknown'."""
    rows = [r for r in ROWS if r.model_id == model_id]
    regional = [r for r in rows if r.regions is not None and region in r.regions]
    if regional:
        best = max(regional, key=lambda r: (RANK[r.source], r.n))
        return best.legacy, best.extended_access, best.eol
    wide = [r for r in rows if r.wide is not None]
    if wide:
        best = max(wide, key=lambda r: (RANK[r.source], r.n))
        assert best.wide is not None
        return best.wide
    return None


def _cases() -> list[tuple[Row, str]]:
    cases = []
    for row in ROWS:
        listed = sorted(row.regions) if row.regions is not None else ["us-east-1", "ap-southeast-3"]
        everything = set().union(*(r.regions or set() for r in ROWS if r.model_id == row.model_id))
        spare = next(r for r in SPARE_REGIONS if r not in everything)
        cases.extend((row, region) for region in [*listed, spare])
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry(bundled.entries(), catalogue=bundled.catalogue())


def _state_for(dates: tuple[dt.datetime | None, ...], at: dt.datetime) -> State:
    legacy, ext, eol = dates
    if eol is not None and at >= eol:
        return State.EOL
    if ext is not None and at >= ext:
        return State.EXTENDED_ACCESS
    if legacy is not None and at >= legacy:
        return State.LEGACY
    return State.ACTIVE


@needs_csv
@pytest.mark.parametrize(
    ("row", "region"), CASES, ids=[f"row{r.n}-{r.model_id}-{g}" for r, g in CASES]
)
def test_every_row_every_region(reg: Registry, row: Row, region: str) -> None:
    exp = expected(row.model_id, region)
    if exp is None:
        s = reg.lookup(row.model_id, region, D("2026-01-01"))
        assert s.state is State.UNKNOWN and s.source == "none"
        assert "no lifecycle dates for" in s.note and region in s.note
        assert s.eol_date is None and s.days_to_eol is None
        return
    dates = [d for d in exp if d is not None]
    instants = {min(dates) - dt.timedelta(days=400), max(dates) + dt.timedelta(days=1000)}
    for d in dates:
        instants |= {d - SECOND, d, d + dt.timedelta(hours=8)}
    for at in sorted(instants):
        s = reg.lookup(row.model_id, region, at)
        assert s.state is _state_for(exp, at), (at, s)
        assert (s.legacy_date, s.extended_access_date, s.eol_date) == exp
        assert s.region == region and s.source == "bundled"
        assert s.base_model_id == row.model_id
        if s.eol_date is not None:
            assert s.days_to_eol == (s.eol_date - at).days
            assert isinstance(s.days_to_eol, int)
    # The same through a cross-region profile of the region's geography, and an ARN.
    geo = next(g for g in ("us-gov", "us", "eu", "apac", "ca", "global") if region_in_geography(region, g))
    at = max(dates)
    assert reg.lookup(f"{geo}.{row.model_id}", region, at).state is State.EOL if exp[2] else True
    arn = f"arn:aws:bedrock:{region}::foundation-model/{row.model_id}"
    assert reg.lookup(arn, None, at).state is reg.lookup(row.model_id, region, at).state


@needs_csv
@pytest.mark.parametrize("model_id", sorted({r.model_id for r in ROWS}))
def test_no_region_is_most_conservative(reg: Registry, model_id: str) -> None:
    regions = set().union(*(r.regions or set() for r in ROWS if r.model_id == model_id))
    has_wide = any(r.wide is not None for r in ROWS if r.model_id == model_id)
    probes = sorted(regions) + (["zz-elsewhere-1"] if has_wide else [])
    dates = sorted({d for r in ROWS if r.model_id == model_id for d in (r.legacy, r.extended_access, r.eol) if d})
    for at in [dates[0] - SECOND, *dates, dates[-1] + dt.timedelta(days=1)]:
        worst = max((_state_for(e, at) for p in probes if (e := expected(model_id, p)) is not None), key=SEVERITY.__getitem__)
        s = reg.lookup(model_id, None, at)
        assert SEVERITY[s.state] == SEVERITY[worst], (at, s)
        assert s.region is None and "no region given" in s.note


# --------------------------------------------------------------------------- targeted decisions


def test_documented_judgement_calls(reg: Registry) -> None:
    sonnet35 = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    # eu-central-2: S2 (EOL 2026-06-01) beats S1 (2026-03-01).
    s = reg.lookup(sonnet35, "eu-central-2", D("2026-04-01"))
    assert s.state is State.EXTENDED_ACCESS and s.eol_date == D("2026-06-01")
    assert s.replacements == ("anthropic.claude-sonnet-4-5-20250929-v1:0",)  # filled from S1
    # S3 omits models whose EOL passed: their dates still apply.
    for model, region in [
        ("meta.llama3-1-405b-instruct-v1:0", "us-west-2"),
        ("amazon.nova-premier-v1:0", "us-east-1"),
        ("amazon.titan-image-generator-v2:0", "us-west-2"),
        ("anthropic.claude-opus-4-20250514-v1:0", "eu-west-1"),
        (sonnet35, "us-gov-west-1"),
        ("anthropic.claude-3-7-sonnet-20250219-v1:0", "us-gov-east-1"),
    ]:
        assert reg.lookup(model, region, D("2026-10-13")).state is State.EOL, model
    # Claude 3.7 Sonnet outside its legacy regions: extended access and EOL from the all-region dates.
    s37 = "anthropic.claude-3-7-sonnet-20250219-v1:0"
    assert reg.lookup(s37, "ca-central-1", D("2025-12-01")).state is State.ACTIVE
    assert reg.lookup(s37, "ca-central-1", D("2026-02-01")).state is State.EXTENDED_ACCESS
    assert reg.lookup(s37, "us-east-1", D("2025-12-01")).state is State.LEGACY
    # Sonnet 4: me-central-1 only in S2, still dated.
    assert reg.lookup("anthropic.claude-sonnet-4-20250514-v1:0", "me-central-1", D("2026-10-14")).state is State.EOL


def test_bare_date_is_midnight_utc(reg: Registry) -> None:
    m = "anthropic.claude-sonnet-4-20250514-v1:0"
    assert reg.lookup(m, "us-east-1", D("2026-10-13T23:59:59")).state is State.EXTENDED_ACCESS
    assert reg.lookup(m, "us-east-1", D("2026-10-14T00:00:00")).state is State.EOL
    # A non-UTC aware instant and a naive one (taken as UTC).
    tz = dt.timezone(dt.timedelta(hours=2))
    assert reg.lookup(m, "us-east-1", dt.datetime(2026, 10, 14, 1, 0, tzinfo=tz)).state is State.EXTENDED_ACCESS
    assert reg.lookup(m, "us-east-1", dt.datetime(2026, 10, 14)).state is State.EOL


def test_at_none_reads_the_library_clock(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_LIFECYCLE_NOW", "2026-10-14")
    s = reg.lookup("anthropic.claude-sonnet-4-20250514-v1:0", "us-east-1")
    assert s.at == D("2026-10-14") and s.state is State.EOL and s.days_to_eol == 0


def test_catalogue_unknown_and_variants(reg: Registry) -> None:
    s = reg.lookup("anthropic.claude-sonnet-4-6", "us-east-1", D("2026-10-01"))
    assert s.state is State.ACTIVE and s.source == "bundled" and s.eol_date is None
    s = reg.lookup("global.anthropic.claude-sonnet-4-6", "eu-west-1", D("2026-10-01"))
    assert s.state is State.ACTIVE
    s = reg.lookup("acme.model-that-does-not-exist-v9:0", "us-east-1", D("2026-10-01"))
    assert s.state is State.UNKNOWN and s.source == "none" and "sync" in s.note
    # ":0" and no version are one model; provisioned context variants are their model.
    assert reg.lookup("amazon.titan-text-express-v1:0", "us-east-1", D("2025-09-01")).state is State.EOL
    assert reg.lookup("amazon.titan-text-lite-v1:0:4k", "us-east-1", D("2025-09-01")).state is State.EOL
    s = reg.lookup("anthropic.claude-instant-v1:2:100k", "us-east-1", D("2025-09-01"))
    assert s.state is State.EOL and s.base_model_id == "anthropic.claude-instant-v1"
    s = reg.lookup("anthropic.claude-v2:1:200k", "us-east-1", D("2025-09-01"))
    assert s.state is State.EOL and s.base_model_id == "anthropic.claude-v2:1"


def test_models_and_list(reg: Registry) -> None:
    models = reg.models()
    assert models == sorted(models) and len(models) == len(set(models))
    keys = [canonical_key(m) for m in models]
    assert len(keys) == len(set(keys))  # "x" and "x:0" listed once
    assert "amazon.titan-image-generator-v2:0" in models and "amazon.titan-image-generator-v2" not in models
    for e in bundled.entries():
        assert e.model_id in models
    at = D("2026-10-15")
    eol = reg.list("us-east-1", at, State.EOL)
    assert eol and all(s.state is State.EOL for s in eol)
    everything = reg.list("us-east-1", at)
    assert len(everything) == len(models)
    assert {s.model_id for s in eol} <= set(models)


# --------------------------------------------------------------------------- layers and precedence


def E(model: str = "acme.m-v1:0", regions: set[str] | None = None, **kw: object) -> LifecycleEntry:
    dates = {k: (D(v) if isinstance(v, str) else v) for k, v in kw.items() if k in ("legacy", "extended_access", "eol")}
    rest = {k: v for k, v in kw.items() if k not in dates}
    return LifecycleEntry(model_id=model, regions=None if regions is None else frozenset(regions), **dates, **rest)  # type: ignore[arg-type]


def test_precedence_override_api_bundled() -> None:
    r = Registry(
        [E(legacy="2026-01-01", extended_access="2026-03-01", eol="2026-06-01", replacements=("acme.n-v1:0",))],
        api_entries=[E(regions={"us-east-1"}, status=State.LEGACY, eol="2026-07-01", source="api")],
        overrides=[E(regions={"us-east-1"}, eol="2026-12-01", source="override")],
    )
    s = r.lookup("acme.m-v1:0", "us-east-1", D("2026-06-15"))
    assert s.source == "override" and s.eol_date == D("2026-12-01")
    assert s.legacy_date == D("2026-01-01") and s.extended_access_date == D("2026-03-01")  # filled
    assert s.state is State.EXTENDED_ACCESS and s.replacements == ("acme.n-v1:0",)
    assert "override: eol" in s.note and "bundled:" in s.note
    # No override in us-west-2; no api either: bundled.
    s = r.lookup("acme.m-v1:0", "us-west-2", D("2026-06-15"))
    assert s.source == "bundled" and s.state is State.EOL
    # api without override.
    r2 = r.with_overrides([])
    r3 = Registry(r2.api_entries and [E(legacy="2026-01-01", eol="2026-06-01")], api_entries=r.api_entries)
    s = r3.lookup("acme.m-v1:0", "us-east-1", D("2026-06-15"))
    assert s.source == "api" and s.eol_date == D("2026-07-01") and s.state is State.LEGACY


def test_api_status_only_keeps_announced_dates() -> None:
    bundled_e = E(legacy="2026-10-08", extended_access="2027-01-08", eol="2027-04-08")
    api = E(regions={"us-east-1"}, status=State.ACTIVE, source="api")
    r = Registry([bundled_e], api_entries=[api])
    s = r.lookup("acme.m-v1:0", "us-east-1", D("2026-09-01"))
    assert s.state is State.ACTIVE and s.eol_date == D("2027-04-08") and s.source == "api"
    # The docs' date arrives while the API still says ACTIVE: the more conservative wins.
    assert r.lookup("acme.m-v1:0", "us-east-1", D("2026-10-09")).state is State.LEGACY
    # The API turns LEGACY before any published date: LEGACY.
    r = Registry([bundled_e], api_entries=[E(regions={"us-east-1"}, status=State.LEGACY, source="api")])
    assert r.lookup("acme.m-v1:0", "us-east-1", D("2026-09-01")).state is State.LEGACY


def test_api_exact_timestamps_win() -> None:
    r = Registry(
        [E(legacy="2026-04-14", eol="2026-10-14")],
        api_entries=[E(regions={"us-west-2"}, status=State.LEGACY, legacy="2026-04-14T08:00:00", eol="2026-10-14T08:00:00")],
    )
    assert r.lookup("acme.m-v1:0", "us-west-2", D("2026-10-14T07:59:59")).state is State.LEGACY
    assert r.lookup("acme.m-v1:0", "us-west-2", D("2026-10-14T08:00:00")).state is State.EOL
    # Elsewhere the bundled calendar day applies from 00:00 UTC.
    assert r.lookup("acme.m-v1:0", "eu-west-1", D("2026-10-14T00:00:00")).state is State.EOL


def test_absent_from_api_stays_eol() -> None:
    r = Registry([E(regions={"us-east-1"}, legacy="2025-01-01", eol="2025-06-01")],
                 api_entries=[E("acme.other-v1:0", regions={"us-east-1"}, status=State.ACTIVE, source="api")])
    s = r.lookup("acme.m-v1:0", "us-east-1", D("2026-01-01"))
    assert s.state is State.EOL and s.source == "bundled"


def test_regional_beats_all_region_within_a_layer_and_layers_first() -> None:
    r = Registry([E(eol="2026-01-01"), E(regions={"us-east-1"}, eol="2027-01-01")])
    assert r.lookup("acme.m-v1:0", "us-east-1", D("2026-06-01")).state is State.ACTIVE
    assert r.lookup("acme.m-v1:0", "us-west-2", D("2026-06-01")).state is State.EOL
    # An all-region override beats a regional bundled entry (layer first, then specificity).
    r2 = r.with_overrides([E(eol="2028-01-01", source="override")])
    s = r2.lookup("acme.m-v1:0", "us-east-1", D("2027-06-01"))
    assert s.state is State.ACTIVE and s.source == "override"
    # with_overrides is a copy: the original is unchanged.
    assert r.lookup("acme.m-v1:0", "us-east-1", D("2027-06-01")).state is State.EOL
    assert r2.overrides and not r.overrides


def test_other_regions_only_is_unknown_and_never_refuses() -> None:
    r = Registry([E(regions={"us-east-1", "us-west-2"}, legacy="2025-01-01", eol="2025-06-01", replacements=("acme.n-v1:0",))],
                 catalogue=["acme.m-v1:0"])
    s = r.lookup("acme.m-v1:0", "eu-west-1", D("2026-01-01"))
    assert s.state is State.UNKNOWN and s.eol_date is None and s.days_to_eol is None
    assert "us-east-1, us-west-2" in s.note and s.replacements == ("acme.n-v1:0",)
    # An api entry for the region answers it.
    r.replace_api_entries([E(regions={"eu-west-1"}, status=State.ACTIVE, source="api")])
    s = r.lookup("acme.m-v1:0", "eu-west-1", D("2026-01-01"))
    assert s.state is State.ACTIVE and s.source == "api"


def test_replace_api_entries_is_atomic_under_load() -> None:
    old = [E(regions={"us-east-1"}, status=State.ACTIVE, source="api")]
    new = [E(regions={"us-east-1"}, status=State.LEGACY, eol="2030-01-01", source="api")]
    r = Registry([], api_entries=old)
    seen: set[tuple[State, dt.datetime | None]] = set()
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                s = r.lookup("acme.m-v1:0", "us-east-1", D("2026-01-01"))
                seen.add((s.state, s.eol_date))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(200):
        r.replace_api_entries(new if i % 2 == 0 else old)
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert seen <= {(State.ACTIVE, None), (State.LEGACY, D("2030-01-01"))}


def test_bad_entries_and_maps_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="base_model_map"):
        Registry([], base_model_map={"arn:x": "not a model id"})
    with pytest.raises(ValueError, match="names no base model"):
        Registry([], base_model_map={"x": "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abcdefabcdef"})
    with pytest.raises(ValueError, match="override"):
        Registry([], overrides=[E("not a model")])


# --------------------------------------------------------------------------- identifier forms

APP = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


def test_profiles_follow_their_base_model(reg: Registry) -> None:
    at = D("2026-09-11")
    assert reg.lookup(f"us.{HAIKU}", "us-east-1", at).state is State.EOL
    assert reg.lookup(f"apac.{HAIKU}", "ap-northeast-1", at).state is State.EOL
    s = reg.lookup(f"us.{HAIKU}", "ca-central-1", at)
    assert s.state is State.UNKNOWN and "not a source region of 'us.'" in s.note
    # No region: only the geography's source regions count.
    s35h = "anthropic.claude-3-5-haiku-20241022-v1:0"
    assert reg.lookup(f"us.{s35h}", None, D("2026-07-01")).state is State.EOL
    s = reg.lookup(f"eu.{s35h}", None, D("2026-07-01"))
    assert s.state is State.UNKNOWN and "us-east-1" in s.note
    s = reg.lookup(f"eu.{HAIKU}", None, D("2026-07-01"))
    assert s.state is State.EXTENDED_ACCESS and "'eu.' source region" in s.note


def test_geographies() -> None:
    assert region_in_geography("us-east-1", "us") and not region_in_geography("us-gov-west-1", "us")
    assert region_in_geography("us-gov-west-1", "us-gov")
    assert region_in_geography("ap-northeast-3", "jp") and not region_in_geography("ap-south-1", "jp")
    assert region_in_geography("me-central-1", "apac") and region_in_geography("ap-southeast-4", "au")
    assert region_in_geography("sa-east-1", "global") and not region_in_geography("cn-north-1", "global")
    assert region_in_geography("ca-central-1", "ca") and region_in_geography("ap-south-2", "in")
    assert region_in_geography("us-east-1", "zz") is None


def test_arn_forms(reg: Registry) -> None:
    at = D("2026-09-11")
    fm = f"arn:aws:bedrock:us-west-2::foundation-model/{HAIKU}"
    s = reg.lookup(fm, None, at)
    assert s.state is State.EOL and s.region == "us-west-2" and s.model_id == fm
    assert reg.lookup(fm, "ca-central-1", at).state is State.UNKNOWN  # the client's region wins
    ip = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}"
    assert reg.lookup(ip, None, at).state is State.EOL
    cm = f"arn:aws:bedrock:us-east-1:123456789012:custom-model/{HAIKU}/abcdefabcdef"
    assert reg.lookup(cm, None, at).state is State.EOL
    gov = f"arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/{HAIKU}"
    assert reg.lookup(gov, None, at).state is State.EOL
    for opaque in [
        APP,
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefabcdef",
        "arn:aws:bedrock:us-east-1:123456789012:custom-model/imported/abcdefabcdef",
        "arn:aws:bedrock:us-east-1:123456789012:imported-model/abcdefabcdef",
        "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abcdefabcdef",
        "arn:aws:bedrock:us-east-1:123456789012:prompt/ABCDEFGHIJ",
        "arn:aws:bedrock:us-east-1:123456789012:default-prompt-router/anthropic.claude:1",
        "arn:aws:sagemaker:us-east-1:123456789012:endpoint/my-endpoint",
    ]:
        s = reg.lookup(opaque, "us-east-1", at)
        assert s.state is State.UNKNOWN and s.source == "none" and s.note, opaque
        assert s.base_model_id is None


def test_app_profile_via_map() -> None:
    data = bundled.load()
    r = Registry(data.entries, catalogue=data.catalogue, base_model_map={APP: f"us.{HAIKU}", "f6e5d4c3b2a1": HAIKU})
    s = r.lookup(APP, "us-east-1", D("2026-09-11"))
    assert s.state is State.EOL and s.base_model_id == HAIKU and "base_model_map" in s.note
    assert s.model_id == APP
    other = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/f6e5d4c3b2a1"
    assert r.lookup(other, None, D("2026-09-11")).state is State.EOL  # by resource id, ARN's region


class _FakeResolver:
    def __init__(self, answer: str | None, boom: bool = False) -> None:
        self.answer, self.boom, self.calls = answer, boom, 0

    def resolve(self, model: object, region: str | None) -> object:
        from bedrock_lifecycle.lifecycle.resolver import Resolution

        self.calls += 1
        if self.boom:
            raise RuntimeError("control plane on fire")
        return Resolution(self.answer, "via fake" if self.answer else "fake said no")


def test_resolver_errors_never_raise() -> None:
    r = Registry(bundled.entries(), resolver=_FakeResolver(None, boom=True))
    s = r.lookup(APP, "us-east-1", D("2026-09-11"))
    assert s.state is State.UNKNOWN and "control plane on fire" in s.note
    r = Registry(bundled.entries(), resolver=_FakeResolver("not an id!"))
    assert r.lookup(APP, "us-east-1", D("2026-09-11")).state is State.UNKNOWN
    fake = _FakeResolver(f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}")
    r = Registry(bundled.entries(), resolver=fake)
    s = r.lookup(APP, "us-east-1", D("2026-09-11"))
    assert s.state is State.EOL and s.base_model_id == HAIKU and "via fake" in s.note
    # Plain IDs never reach the resolver.
    r.lookup(HAIKU, "us-east-1", D("2026-09-11"))
    assert fake.calls == 1


# --------------------------------------------------------------------------- properties


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_garbage_never_crashes(text: str) -> None:
    reg = _shared_registry()
    try:
        s = reg.lookup(text, "us-east-1", D("2026-01-01"))
    except ModelIdError:
        return
    assert s.state in State


@given(st.from_regex(r"(arn:aws:bedrock:[a-z0-9-]{0,12}:[0-9]{0,12}:[a-z-]{1,30}/)?([a-z]{2,6}\.)?[a-z0-9-]{1,12}\.[a-z0-9.:-]{1,30}", fullmatch=True),
       st.sampled_from([None, "", "us-east-1", "eu-west-1", "us-gov-west-1"]))
@settings(max_examples=300, deadline=None)
def test_plausible_ids_never_crash(text: str, region: str | None) -> None:
    try:
        s = _shared_registry().lookup(text, region, D("2026-01-01"))
    except ModelIdError:
        return
    assert isinstance(s.state, State)


_REG: list[Registry] = []


def _shared_registry() -> Registry:
    if not _REG:
        _REG.append(Registry(bundled.entries(), catalogue=bundled.catalogue()))
    return _REG[0]


def _pairs() -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for e in bundled.entries():
        for region in [*sorted(e.regions or {"us-east-1"}), "zz-nowhere-1", None]:
            out.append((e.model_id, region))
    return sorted(set(out), key=str)


PAIRS = _pairs()


@given(
    st.sampled_from(PAIRS),
    st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2028, 1, 1)),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=900)),
)
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_state_is_monotone_in_time(pair: tuple[str, str | None], at: dt.datetime, delta: dt.timedelta) -> None:
    reg = _shared_registry()
    model, region = pair
    a = reg.lookup(model, region, at.replace(tzinfo=UTC))
    b = reg.lookup(model, region, at.replace(tzinfo=UTC) + delta)
    if a.state is State.UNKNOWN or b.state is State.UNKNOWN:
        assert a.state is b.state  # unknown does not depend on the instant
        return
    assert SEVERITY[a.state] <= SEVERITY[b.state]
    if a.state is State.EOL:
        assert b.state is State.EOL


@given(
    st.sampled_from([None, State.ACTIVE, State.LEGACY, State.EXTENDED_ACCESS, State.EOL]),
    st.lists(st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 1, 1)), min_size=3, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2028, 1, 1)),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=900)),
)
def test_state_of_is_monotone_with_status_floor(
    status: State | None, dates: list[dt.datetime], keep: list[bool], at: dt.datetime, delta: dt.timedelta
) -> None:
    legacy, ext, eol = (d.replace(tzinfo=UTC) if k else None for d, k in zip(sorted(dates), keep, strict=True))
    e = LifecycleEntry("acme.m-v1:0", legacy=legacy, extended_access=ext, eol=eol, status=status)
    t = at.replace(tzinfo=UTC)
    assert SEVERITY[state_of(e, t)] <= SEVERITY[state_of(e, t + delta)]
    r = Registry([], api_entries=[LifecycleEntry("acme.m-v1:0", regions=frozenset({"r-x-1"}), legacy=legacy,
                                                 extended_access=ext, eol=eol, status=status)])
    assert r.lookup("acme.m-v1:0", "r-x-1", t).state is state_of(e, t)


def test_merge_layers_pure() -> None:
    b = E(legacy="2026-01-01", eol="2026-06-01", name="M")
    a = E(status=State.LEGACY, legacy="2026-01-02")
    merged, note = merge_layers([("bundled", b), ("api", a)], "us-east-1")
    assert merged.legacy == D("2026-01-02") and merged.eol == D("2026-06-01") and merged.status is State.LEGACY
    assert merged.source == "api" and merged.name == "M" and merged.regions == frozenset({"us-east-1"})
    assert note == "merged api: status, legacy; bundled: eol"


def test_canonical_key() -> None:
    assert canonical_key("a.b-v1:0") == canonical_key("a.b-v1") == "a.b-v1"
    assert canonical_key("a.b-v2:1") == "a.b-v2:1"
    assert parse_model_id("a.b-v1:0").lookup_keys == ("a.b-v1:0", "a.b-v1")


def test_default_uses_disk_cache(tmp_path: Path) -> None:
    from bedrock_lifecycle.lifecycle import sync

    sync.write_document(sync.cache_file(tmp_path), {
        "schema": sync.CACHE_SCHEMA, "schema_version": sync.CACHE_SCHEMA_VERSION, "written_at": "2026-09-01T00:00:00Z",
        "regions": {"us-east-1": {"synced_at": "2026-09-01T00:00:00Z", "models": [
            {"model_id": "anthropic.claude-sonnet-4-6", "name": "Claude Sonnet 4.6", "provider": "Anthropic",
             "status": "LEGACY", "legacy": "2026-09-01T08:00:00Z", "extended_access": None, "eol": None,
             "start_of_life": None},
        ]}},
    })
    r = Registry.default(cache_dir=tmp_path)
    s = r.lookup("global.anthropic.claude-sonnet-4-6", "us-east-1", D("2026-09-02"))
    assert s.state is State.LEGACY and s.source == "api"
    # Dated elsewhere only: unknown (conservative), never a refusal.
    assert r.lookup("anthropic.claude-sonnet-4-6", "us-west-2", D("2026-09-02")).state is State.UNKNOWN
    assert len(r.api_entries) == 1
    # A synced ACTIVE in one region does not make other regions unknown.
    r.replace_api_entries([LifecycleEntry("amazon.nova-pro-v1:0", regions=frozenset({"us-east-1"}), status=State.ACTIVE, source="api")])
    assert r.lookup("amazon.nova-pro-v1:0", "eu-west-1", D("2026-09-02")).state is State.ACTIVE
    assert r.lookup("amazon.nova-pro-v1:0", "us-east-1", D("2026-09-02")).source == "api"
    assert r.load_cache(tmp_path / "empty") == 0 and not r.api_entries


def test_model_id_objects_aliases_and_non_strings(reg: Registry) -> None:
    at = D("2026-09-11")
    mid = parse_model_id(f"us.{HAIKU}")
    s = reg.lookup(mid, "us-east-1", at)
    assert s.state is State.EOL and s.model_id == mid.raw
    assert reg.status_for(mid.raw, "us-east-1", at) == s
    assert reg.lookup(HAIKU, "", at).region is None  # an empty region (client without one) is none
    for bad in (None, 123, b"anthropic.claude", ["x"]):
        with pytest.raises(ModelIdError):
            reg.lookup(bad, "us-east-1", at)  # type: ignore[arg-type]
