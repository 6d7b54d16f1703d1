"""Two lifecycle policies, earliest possible EOL, confidence (issues 15 and 16)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.config.sources import CachedSource
from bedrock_lifecycle.core.policy import Action, Policy, decide
from bedrock_lifecycle.errors import describe
from bedrock_lifecycle.lifecycle import bundled, guarantees
from bedrock_lifecycle.lifecycle.gates import DataAge, data_age_problem, target_problem
from bedrock_lifecycle.lifecycle.guarantees import add_months, earliest_eol
from bedrock_lifecycle.lifecycle.model import LifecycleEntry, State
from bedrock_lifecycle.lifecycle.registry import Registry

UTC = dt.timezone.utc
LLAMA33 = "meta.llama3-3-70b-instruct-v1:0"  # confirmed: AWS card, Legacy, EOL 2027-03-30
GEMMA = "google.gemma-3-4b-it"  # reported: third-party notes, EOL 2027-03-30
KIMI_K3 = "moonshotai.kimi-k3"  # 2026-09 policy, 45-day Legacy, no floor
ASTRA = "openai.gpt-6-astra"  # 2026-09 policy, EOL no sooner than 2027-09-08, 6 months
SONNET46 = "anthropic.claude-sonnet-4-6"  # pre-2026-09, launched 2026-02-17


def T(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def reg() -> Registry:
    data = bundled.load()
    return Registry(data.entries, catalogue=data.catalogue, facts=data.models)


# --------------------------------------------------------------------------- earliest_eol, pure

instants = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 1, 1), timezones=st.just(UTC))
maybe_instant = st.none() | instants


@st.composite
def entries(draw: Any) -> LifecycleEntry:
    legacy, eol = draw(maybe_instant), draw(maybe_instant)
    if legacy is not None and eol is not None and eol < legacy:
        legacy, eol = eol, legacy
    return LifecycleEntry(
        model_id="x.model-v1:0",
        legacy=legacy,
        eol=eol,
        status=draw(st.sampled_from([None, State.ACTIVE, State.LEGACY])),
        launch=draw(maybe_instant),
        policy=draw(st.sampled_from([None, guarantees.OLD_POLICY, guarantees.NEW_POLICY])),
        legacy_period_days=draw(st.sampled_from([None, 45, 182])),
        eol_floor=draw(maybe_instant),
    )


@given(entries(), instants)
def test_earliest_eol_is_the_eol_once_announced_else_never_before_a_guarantee(e: LifecycleEntry, at: dt.datetime) -> None:
    got = earliest_eol(e, at)
    if e.eol is not None:
        assert got == e.eol
        return
    found = guarantees.guarantees(e, at)
    if not found:
        assert got is None
        return
    assert got is not None
    for what, g in found:
        assert got >= g, what
    assert got in [g for _, g in found]


@given(entries(), instants, st.integers(min_value=0, max_value=2000))
def test_an_active_models_earliest_eol_never_moves_earlier(e: LifecycleEntry, at: dt.datetime, later: int) -> None:
    e = dataclasses.replace(e, legacy=None, eol=None, status=None)
    a, b = earliest_eol(e, at), earliest_eol(e, at + dt.timedelta(hours=later))
    assert (a is None) == (b is None)
    if a is not None and b is not None:
        assert b >= a


def test_policies_worked_examples() -> None:
    at = T("2026-12-01")
    old = LifecycleEntry("a.m-v1:0", launch=T("2026-02-17"), policy="pre-2026-09")
    # launch + 12 months = 2027-02-17; now + 6 calendar months = 2027-06-01: the later wins.
    assert earliest_eol(old, at) == T("2027-06-01")
    new45 = LifecycleEntry("a.m-v1:0", launch=T("2026-09-18"), policy="2026-09", legacy_period_days=45)
    assert earliest_eol(new45, at) == T("2027-01-15")  # no floor, no 12 months: now + 45 days
    card = LifecycleEntry("a.m-v1:0", policy="2026-09", legacy_period_days=182, eol_floor=T("2027-09-08"))
    assert earliest_eol(card, at) == T("2027-09-08")
    legacy = dataclasses.replace(new45, legacy=T("2026-11-20"))
    assert earliest_eol(legacy, at) == T("2027-01-04")  # Legacy date + 45 days
    assert earliest_eol(dataclasses.replace(legacy, eol=T("2027-01-10")), at) == T("2027-01-10")
    assert earliest_eol(LifecycleEntry("a.m-v1:0"), at) is None  # unknown policy: unknown
    assert add_months(T("2026-08-31"), 6) == T("2027-02-28")


def test_bundled_facts_per_policy(reg: Registry) -> None:
    at = T("2026-12-01")
    k3 = reg.lookup(KIMI_K3, "us-east-1", at)
    assert (k3.policy, k3.legacy_period_days, k3.state) == ("2026-09", 45, State.ACTIVE)
    assert k3.earliest_eol == T("2027-01-15") == k3.safe_until
    astra = reg.lookup(ASTRA, "us-east-1", at).to_json()
    assert astra["policy"] == "2026-09" and astra["earliest_eol"] == "2027-09-08T00:00:00Z"
    s46 = reg.lookup(SONNET46, "us-east-1", at)
    assert s46.policy == "pre-2026-09" and s46.launch_date == T("2026-02-17")
    llama = reg.lookup(LLAMA33, "us-east-1", at)
    assert llama.state is State.LEGACY and llama.earliest_eol == llama.eol_date == T("2027-03-30")
    assert llama.safe_until is None  # not active: no "safe until"


def test_api_launch_date_beats_the_bundled_one_and_decides_the_policy(reg: Registry) -> None:
    api = LifecycleEntry("amazon.nova-2-5-sonic", regions=frozenset({"us-east-1"}), source="api",
                         launch=T("2026-10-07T08:00:00"), status=State.ACTIVE)
    r = Registry(bundled.load().entries, catalogue=bundled.load().catalogue, facts=bundled.load().models,
                 api_entries=[api])
    s = r.lookup("amazon.nova-2-5-sonic", "us-east-1", T("2026-12-01"))
    assert s.launch_date == T("2026-10-07T08:00:00") and s.policy == "2026-09"
    unknown = Registry(api_entries=[dataclasses.replace(api, model_id="x.brand-new-v1:0")])
    s2 = unknown.lookup("x.brand-new-v1:0", "us-east-1", T("2026-12-01"))
    assert s2.policy == "2026-09"  # from the launch date alone
    assert s2.legacy_period_days is None and s2.earliest_eol is None  # no card: unknown stays unknown


# --------------------------------------------------------------------------- confidence


def test_reported_dates_are_a_lower_layer_confirmed_or_api_replace_them(reg: Registry) -> None:
    at = T("2026-12-01")
    g = reg.lookup(GEMMA, "us-east-1", at)
    assert g.state is State.LEGACY and g.confidence == "reported" and g.eol_date == T("2027-03-30")
    assert g.to_json()["evidence_date"] == "2026-10-01" and "third-party" in (g.to_json()["provenance"] or "")
    assert reg.lookup(LLAMA33, "us-east-1", at).confidence == "confirmed"
    api = LifecycleEntry(GEMMA, regions=frozenset({"us-east-1"}), source="api", status=State.LEGACY,
                         legacy=T("2026-10-01T08:00:00"), eol=T("2027-06-30T08:00:00"))
    with_api = reg.with_overrides([]).__class__(
        bundled.load().entries, catalogue=bundled.load().catalogue, facts=bundled.load().models, api_entries=[api])
    s = with_api.lookup(GEMMA, "us-east-1", at)
    assert s.confidence == "confirmed" and s.eol_date == T("2027-06-30T08:00:00") and s.source == "api"
    # The API knowing only ACTIVE (no dates) replaces the reported status, keeps the reported EOL.
    api_active = dataclasses.replace(api, legacy=None, eol=None, status=State.ACTIVE)
    r2 = Registry(bundled.load().entries, catalogue=bundled.load().catalogue, api_entries=[api_active])
    s2 = r2.lookup(GEMMA, "us-east-1", at)
    assert s2.state is State.ACTIVE and s2.eol_date == T("2027-03-30") and s2.confidence == "reported"


def test_reported_never_refuses_unless_trusted(reg: Registry) -> None:
    past = reg.lookup(GEMMA, "us-east-1", T("2027-04-01"))
    assert past.state is State.EOL and past.reported
    d = decide(past, Policy())
    assert d.action is Action.WARN and d.reason == "eol"
    assert decide(past, Policy(trust="reported")).action is Action.REFUSE
    assert decide(past, Policy(on_eol="fallback")).action is Action.WARN
    legacy = reg.lookup(GEMMA, "us-east-1", T("2026-12-01"))
    assert decide(legacy, Policy(on_legacy="error")).action is Action.WARN
    assert decide(legacy, Policy(on_legacy="error", trust="reported")).action is Action.REFUSE
    confirmed = reg.lookup(LLAMA33, "us-east-1", T("2027-04-01"))
    assert decide(confirmed, Policy()).action is Action.REFUSE
    text = describe(legacy)
    assert "reported, not confirmed by AWS (evidence from 2026-10-01)" in text and "third-party" in text


def test_a_45_day_model_warns_at_legacy_whatever_the_settings() -> None:
    e = LifecycleEntry("moonshotai.kimi-k3", legacy=T("2027-01-01"), eol=T("2027-02-15"),
                       policy="2026-09", legacy_period_days=45)
    r = Registry([e])
    s = r.lookup("moonshotai.kimi-k3", "us-east-1", T("2027-01-02"))
    d = decide(s, Policy(on_legacy="ignore", warn_before_eol_days=0))
    assert d.action is Action.WARN and d.reason == "legacy"
    assert "this model has a 45-day Legacy period: end of life on 2027-02-15, 44 days left" in describe(s)
    six = Registry([dataclasses.replace(e, legacy_period_days=182)]).lookup("moonshotai.kimi-k3", "us-east-1", T("2027-01-02"))
    assert decide(six, Policy(on_legacy="ignore", warn_before_eol_days=0)).action is Action.ALLOW
    assert "45-day" not in describe(six)


# --------------------------------------------------------------------------- gates and data age


def _row(**kw: Any) -> dict[str, Any]:
    base = {"state": "active", "days_to_eol": None, "earliest_eol": None, "confidence": None, "evidence_date": None}
    return {**base, **kw}


def test_target_problem_rules() -> None:
    at = T("2026-12-01")
    assert target_problem(_row(state="legacy"), at) == ("legacy", None)
    why, note = target_problem(_row(state="legacy", confidence="reported", evidence_date="2026-10-01"), at)
    assert why is None and note is not None and "reported, not confirmed" in note
    assert target_problem(_row(state="legacy", confidence="reported"), at, trust="reported") == ("legacy", None)
    assert target_problem(_row(earliest_eol="2027-01-15T00:00:00Z"), at, guaranteed_for=30) == (None, None)
    why, _ = target_problem(_row(earliest_eol="2027-01-15T00:00:00Z"), at, guaranteed_for=90)
    assert why == "may reach EOL 2027-01-15, within 90 days"
    why, _ = target_problem(_row(), at, guaranteed_for=1)
    assert why is not None and "no guaranteed EOL" in why


def test_data_age_suggests_sync_only_when_old_and_unsynced(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    fresh = DataAge(T("2026-12-01"), dt.date(2026, 10, 13), None, path)
    assert fresh.bundled_age_days == 49 and fresh.suggestion is None
    old = DataAge(T("2027-02-01"), dt.date(2026, 10, 13), None, path)
    assert old.suggestion is not None and "111 days old" in old.suggestion and "bedrock-lifecycle sync" in old.suggestion
    synced = DataAge(T("2027-02-01"), dt.date(2026, 10, 13), dt.date(2027, 1, 30), path)
    assert synced.suggestion is None and synced.age_days == 2
    assert data_age_problem(old, 100) is not None and data_age_problem(old, 120) is None
    assert data_age_problem(synced, 5) is None


def test_shipped_data_age_and_confidence_counts() -> None:
    data = bundled.load()
    assert data.newest_evidence == dt.date(2026, 10, 13)
    counts = {c: sum(1 for e in data.entries if e.confidence == c) for c in ("confirmed", "reported")}
    assert counts == {"confirmed": 67, "reported": 9}


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import os

    for k in list(os.environ):
        if k.startswith("BEDROCK_LIFECYCLE_"):
            monkeypatch.delenv(k)
    cfg = tmp_path / "models.toml"
    cfg.write_text(f'[aliases.chat]\ntargets = [{{ model = "{GEMMA}" }}]\nfallbacks = ["{KIMI_K3}"]\n')
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(cfg))
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    return cfg


def test_lookup_json_fields(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lookup", KIMI_K3, "--at", "2026-12-01", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["policy"] == "2026-09" and d["legacy_period_days"] == 45
    assert d["earliest_eol"] == "2027-01-15T00:00:00Z" and d["confidence"] is None
    assert d["data_age"]["newest_bundled_fact"] == "2026-10-13" and d["data_age"]["synced"] is False
    assert main(["lookup", GEMMA, "--at", "2026-12-01", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["confidence"] == "reported" and d["evidence_date"] == "2026-10-01"


def test_list_filters_by_confidence(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--at", "2026-12-01", "--confidence", "reported", "--json"]) == 0
    models = json.loads(capsys.readouterr().out)["models"]
    assert len(models) == 9 and {m["confidence"] for m in models} == {"reported"}
    assert main(["list", "--at", "2027-02-01"]) == 0
    out = capsys.readouterr().out
    assert "SAFE UNTIL" in out and "legacy (reported)" in out
    assert out.count("hint: the bundled lifecycle data is 111 days old") == 1


def test_check_trust_guaranteed_for_and_data_age_gates(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The only target is Legacy by a reported date: a note, not a failure.
    assert main(["check", "--at", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    assert "reported, not confirmed" in out and "lifecycle data: bundled newest fact 2026-10-13" in out
    assert main(["check", "--at", "2026-12-01", "--trust", "reported"]) == 1
    capsys.readouterr()
    # The 45-day fallback may reach EOL 2027-01-15: inside 60 days, outside 30.
    assert main(["check", "--at", "2026-12-01", "--guaranteed-for", "30"]) == 0
    capsys.readouterr()
    assert main(["check", "--at", "2026-12-01", "--guaranteed-for", "60", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [p["model_id"] for p in data["problems"]] == [KIMI_K3]
    assert "within 60 days" in data["problems"][0]["reason"]
    assert main(["check", "--at", "2027-02-01", "--max-data-age", "100"]) == 1
    assert "111 days old (limit 100)" in capsys.readouterr().out
    assert main(["check", "--at", "2026-12-01", "--max-data-age", "100"]) == 0


def test_status_shows_safe_until(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--at", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    assert "SAFE UNTIL" in out and "2027-01-15" in out and "legacy (reported)" in out
    assert "lifecycle data: bundled newest fact 2026-10-13 (49 days old); no sync cache" in out
    assert main(["status", "--at", "2027-03-01", "--json"]) == 0
    age = json.loads(capsys.readouterr().out)["data_age"]
    assert age["bundled_age_days"] == 139 and age["synced"] is False and "bedrock-lifecycle sync" in age["suggestion"]


def test_config_trust_key(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.write_text(cli_env.read_text().replace("[aliases.chat]", '[policy]\ntrust = "reported"\n\n[aliases.chat]'))
    assert main(["check", "--at", "2026-12-01"]) == 1
    cli_env.write_text(cli_env.read_text().replace('trust = "reported"', 'trust = "maybe"'))
    CachedSource.clear_cache()  # the client's sources cache documents per process
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["check", "--at", "2026-12-01"]) == 2
    assert "trust" in capsys.readouterr().err


# --------------------------------------------------------------------------- through the real client, over HTTP


def _wrapped(local_bedrock: Any, policy: dict[str, Any], now: str, overrides: Sequence[LifecycleEntry] = ()) -> Any:
    from botocore.config import Config as BotoConfig

    from bedrock_lifecycle.api import reset_warnings, wrap

    reset_warnings()
    data = bundled.load()
    registry = Registry(data.entries, catalogue=data.catalogue, facts=data.models, overrides=overrides)
    raw = local_bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}))
    return wrap(raw, config={"policy": policy}, registry=registry, clock=lambda: T(now), environ={})


MSG = [{"role": "user", "content": [{"text": "hi"}]}]


def test_client_reported_legacy_warns_instead_of_refusing_unless_trusted(local_bedrock: Any) -> None:
    from bedrock_lifecycle.errors import ModelLegacyError, ModelLegacyWarning

    c = _wrapped(local_bedrock, {"on_legacy": "error"}, "2026-12-01")
    with pytest.warns(ModelLegacyWarning, match="reported, not confirmed by AWS"):
        out = c.converse(modelId=GEMMA, messages=MSG)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200 and local_bedrock.calls() == 1
    c = _wrapped(local_bedrock, {"on_legacy": "error", "trust": "reported"}, "2026-12-01")
    with pytest.raises(ModelLegacyError, match="reported, not confirmed"):
        c.converse(modelId=GEMMA, messages=MSG)
    assert local_bedrock.calls() == 1  # refused before sending
    c = _wrapped(local_bedrock, {"on_legacy": "error"}, "2026-12-01")
    with pytest.raises(ModelLegacyError):  # confirmed: refused as before
        c.converse(modelId=LLAMA33, messages=MSG)


def test_client_45_day_model_warns_at_legacy_even_when_legacy_is_ignored(local_bedrock: Any) -> None:
    from bedrock_lifecycle.errors import ModelLegacyWarning

    notice = LifecycleEntry(KIMI_K3, legacy=T("2027-01-01"), eol=T("2027-02-15"), source="override")
    c = _wrapped(local_bedrock, {"on_legacy": "ignore", "warn_before_eol_days": 0}, "2027-01-02", [notice])
    with pytest.warns(ModelLegacyWarning, match="this model has a 45-day Legacy period: end of life on 2027-02-15, 44 days left"):
        c.converse(modelId=KIMI_K3, messages=MSG)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a 6-month model with the same settings stays silent
        c6 = _wrapped(local_bedrock, {"on_legacy": "ignore", "warn_before_eol_days": 0}, "2027-01-02",
                      [dataclasses.replace(notice, model_id=ASTRA)])
        c6.converse(modelId=ASTRA, messages=MSG)


def test_client_creation_is_not_refused_by_a_reported_eol(local_bedrock: Any) -> None:
    from botocore.config import Config as BotoConfig

    from bedrock_lifecycle.api import reset_warnings, wrap
    from bedrock_lifecycle.errors import ConfigError, ModelLifecycleWarning

    reset_warnings()
    alias = {"aliases": {"chat": {"targets": [GEMMA]}}}  # reported EOL 2027-03-30

    data = bundled.load()
    registry = Registry(data.entries, catalogue=data.catalogue, facts=data.models)

    def build(trust: str) -> Any:
        raw = local_bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}))
        return wrap(raw, config={**alias, "policy": {"trust": trust}}, registry=registry,
                    clock=lambda: T("2027-04-01"), environ={})

    c = build("confirmed")
    with pytest.warns(ModelLifecycleWarning, match="reported, not confirmed"):
        c.converse(modelId="chat", messages=MSG)
    with pytest.raises(ConfigError, match="every call routed to it would fail"):
        build("reported")


def test_six_months_from_a_month_end_never_moves_earlier() -> None:
    """Found by hypothesis: Mar 30 02:00 and Mar 31 00:00 plus six months both land on Sep 30;
    the later start must not give the earlier bound."""
    e = LifecycleEntry("x.model-v1:0", legacy_period_days=182)
    a = earliest_eol(e, T("2020-03-30T02:00:00"))
    b = earliest_eol(e, T("2020-03-31T00:00:00"))
    assert a is not None and b is not None and b >= a
    assert a == T("2020-09-30")  # from the start of the day: at most a day early, never late
