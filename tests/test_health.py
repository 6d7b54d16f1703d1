"""AWS Health lifecycle notices: the text parser (examples and properties), ``notices`` and
``sync --health`` end to end over HTTP, and the registry's ``health`` layer precedence."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_lifecycle.lifecycle import notice_text
from bedrock_lifecycle.lifecycle.health import Notice, entries_from_notices
from bedrock_lifecycle.lifecycle.notice_text import NoticeDate, dates_in, parse_text
from bedrock_lifecycle.lifecycle.registry import Registry
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import clean_env
from tests.helpers import run_cli as run

UTC = dt.timezone.utc
NOVA = "amazon.nova-lite-v1:0"
SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0"  # bundled EOL 2026-10-14
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
PROVIDERS = ("amazon", "anthropic", "meta")

NOTICE = (
    "Hello, you are receiving this message because your account used Anthropic Claude Sonnet 4 "
    f"({SONNET_4}) in the last 30 days. The model moves to Legacy on April 14, 2026 and "
    "reaches end of life (EOL) on 14 October 2026. After the EOL date, requests fail. We "
    f"recommend migrating to us.{SONNET_45}, e.g. before July 2026. See "
    "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html."
)


def day(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=UTC)


# --- parsing ----------------------------------------------------------------------------------


def test_a_notice_text() -> None:
    retiring, replacements, dates = parse_text(NOTICE, PROVIDERS)
    assert retiring == (SONNET_4,)
    assert replacements == (SONNET_45,)  # the profile's base model, named as the way out
    assert [(d.kind, d.at) for d in dates] == [("legacy", day("2026-04-14")), ("eol", day("2026-10-14"))]


HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET35_V2 = "anthropic.claude-3-5-sonnet-20241022-v2:0"
NAMES_ONLY = ("Amazon Bedrock will retire Anthropic Claude 3 Haiku and Claude 3.5 Sonnet v2 on January 15, "
              "2027. We recommend migrating to Claude Sonnet 4.5 before then.")


def test_model_names_are_read_when_the_text_names_no_id() -> None:
    retiring, replacements, dates = parse_text(NAMES_ONLY)
    assert retiring == (HAIKU3, SONNET35_V2)  # "Claude 3.5 Sonnet v2", not "Claude 3.5 Sonnet"
    assert replacements == (SONNET_45,)
    assert [(d.kind, d.at) for d in dates] == [("eol", day("2027-01-15"))]
    # A name followed by more of a version is another model; a name two IDs share is no guess.
    assert notice_text.model_ids_in("Claude Opus 4.1, Command R+ and Nova Reel") == (
        "anthropic.claude-opus-4-1-20250805-v1:0", "cohere.command-r-plus-v1:0")
    assert notice_text.model_ids_in("claude  sonnet 4") == (SONNET_4,)  # any case and spacing
    # IDs win: a notice that names its models by ID keeps names mentioned in passing out.
    assert parse_text(f"{NOVA} reaches end of life on 2027-06-30. Claude 3 Haiku is not affected.")[0] == (NOVA,)


def test_names_are_not_read_when_the_event_lists_its_entities(env: Path, local_bedrock_env: LocalBedrock,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.add_health_event(NAMES_ONLY)
    local_bedrock_env.add_health_event(NAMES_ONLY.replace("2027", "2028"), entities=[NOVA])
    code, out, err = run(capsys, "notices", "--json")
    assert code == 0, err
    models = sorted(tuple(n["models"]) for n in json.loads(out)["notices"])
    assert models == [(NOVA,), (HAIKU3, SONNET35_V2)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("End of life: 2027-01-15.", [("eol", "2027-01-15")]),
        ("The model will be retired on Jan. 5, 2027.", [("eol", "2027-01-05")]),
        ("Public extended access begins 2026-07-14T08:00:00Z.", [("extended_access", "2026-07-14T08:00:00")]),
        ("On 1st March 2027 the model is marked Legacy.", [("legacy", "2027-03-01")]),
        ("Released 2024-06-20.", [("unknown", "2024-06-20")]),
        ("February 30, 2027 is no date; EOL is March 2, 2027.", [("eol", "2027-03-02")]),
        ("Legacy on 2026-04-14. It will be removed on 2026-10-14.", [("legacy", "2026-04-14"), ("eol", "2026-10-14")]),
    ],
)
def test_dates_and_their_milestones(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(d.kind, d.at) for d in dates_in(text)] == [(k, day(v)) for k, v in expected]


def test_only_real_model_ids_count() -> None:
    text = (f"See example.com, e.g. v1.2 or foo.bar-v1. Affected: arn:aws:bedrock:us-east-1::foundation-model/{NOVA} "
            f"and eu.{SONNET_4}.")
    assert notice_text.model_ids_in(text, PROVIDERS) == (NOVA, SONNET_4)


_formats = st.sampled_from(["{d:%Y-%m-%d}", "{d:%B} {d.day}, {d.year}", "{d.day} {d:%B} {d.year}", "{d:%b}. {d.day}, {d.year}"])
_kinds = st.sampled_from([("end of life", "eol"), ("Legacy", "legacy"), ("extended access", "extended_access")])


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)), _formats, _kinds,
       st.text(alphabet="abcdefghij ,", max_size=30))
def test_any_written_date_is_found_with_its_milestone(
    when: dt.date, fmt: str, kind: tuple[str, str], filler: str
) -> None:
    words, expected = kind
    text = f"The model {filler} reaches {words} on {fmt.format(d=when)}. Thanks"
    found = dates_in(text)
    assert [(d.kind, d.at.date()) for d in found] == [(expected, when)]


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=200))
def test_text_without_digits_has_no_dates(text: str) -> None:
    assert dates_in(text) == ()


def _notice(arn: str, updated: str, eol: str, models: tuple[str, ...] = (NOVA,), region: str = "us-east-1") -> Notice:
    return Notice(arn, region, "AWS_BEDROCK_PLANNED_LIFECYCLE_EVENT", "upcoming", None, day(updated), "",
                  models, (NoticeDate("eol", day(eol), ""),))


@given(st.permutations([("a", "2026-01-01", "2027-01-01"), ("b", "2026-03-01", "2027-03-01"),
                        ("c", "2026-02-01", "2027-02-01")]))
def test_the_most_recently_updated_notice_wins(order: list[tuple[str, str, str]]) -> None:
    entries = entries_from_notices([_notice(*n) for n in order])
    assert len(entries) == 1
    assert entries[0].eol == day("2027-03-01") and entries[0].source == "health"
    assert entries[0].regions == frozenset({"us-east-1"})


def test_undated_or_unnamed_notices_make_no_entries() -> None:
    undated = Notice("x", "us-east-1", "", "", None, None, "", (NOVA,), (NoticeDate("unknown", day("2026-01-01"), ""),))
    unnamed = Notice("y", "us-east-1", "", "", None, None, "", (), (NoticeDate("eol", day("2026-01-01"), ""),))
    assert entries_from_notices([undated, unnamed]) == ()


# --- end to end over HTTP ---------------------------------------------------------------------


@pytest.fixture
def env(local_bedrock_env: LocalBedrock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    clean_env(tmp_path, monkeypatch)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("BEDROCK_LIFECYCLE_NOW", "2026-09-01T00:00:00Z")
    return tmp_path / "cache"


def test_notices_lists_models_and_dates(env: Path, local_bedrock_env: LocalBedrock, capsys: pytest.CaptureFixture[str]) -> None:
    arn = local_bedrock_env.add_health_event(NOTICE, entities={SONNET_4: "PENDING"}, start_time="2026-03-01")
    local_bedrock_env.add_health_event("EC2 maintenance on 2026-12-01", service="EC2")
    code, out, err = run(capsys, "notices")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == arn
    assert f"  models: {SONNET_4}" in out
    assert f"  recommended instead: {SONNET_45}" in out
    assert "  legacy: 2026-04-14" in out and "  eol: 2026-10-14" in out
    assert f"  still pending: {SONNET_4}" in out
    code, out, _ = run(capsys, "notices", "--json", "--region", "eu-west-1")
    assert json.loads(out)["notices"] == []  # filtered to the region


def test_notices_for_the_organization(env: Path, local_bedrock_env: LocalBedrock, capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.add_health_event(NOTICE, entities=[SONNET_4], account_id="210987654321")
    code, out, _ = run(capsys, "notices", "--organization", "--json")
    notice = json.loads(out)["notices"][0]
    assert code == 0 and notice["account_id"] == "210987654321" and notice["models"] == [SONNET_4]
    ops = {r.operation for r in local_bedrock_env.requests}
    assert {"DescribeEventsForOrganization", "DescribeAffectedAccountsForOrganization",
            "DescribeEventDetailsForOrganization", "DescribeAffectedEntitiesForOrganization"} <= ops


def test_without_a_support_plan_one_clear_line(env: Path, local_bedrock_env: LocalBedrock, capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.fail_health("*", "SubscriptionRequiredException")
    code, out, err = run(capsys, "notices")
    assert code == 1 and out == ""
    assert err == (
        "bedrock-lifecycle notices: the AWS Health API needs a Business, Enterprise On-Ramp or "
        "Enterprise support plan (SubscriptionRequiredException); lifecycle data keeps coming from "
        "the other sources\n"
    )
    # sync --health: the sync itself still succeeds, with the same one line.
    code, out, err = run(capsys, "sync", "--region", "us-east-1", "--health")
    assert code == 0 and "Traceback" not in out + err
    assert [line for line in out.splitlines() if line.startswith("health:")] == [
        "health: the AWS Health API needs a Business, Enterprise On-Ramp or Enterprise support plan "
        "(SubscriptionRequiredException); lifecycle data keeps coming from the other sources"
    ]


def test_a_missing_permission_names_the_action(env: Path, local_bedrock_env: LocalBedrock, capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.add_health_event(NOTICE, entities=[SONNET_4])
    local_bedrock_env.fail_health("DescribeAffectedEntities", "AccessDeniedException")
    code, _, err = run(capsys, "notices")
    assert code == 1
    assert "grant health:DescribeAffectedEntities" in err and err.count("\n") == 1


def test_sync_health_is_a_registry_source(env: Path, local_bedrock_env: LocalBedrock, capsys: pytest.CaptureFixture[str]) -> None:
    # Nova Lite: no dates anywhere else, so the notice's date is used.
    local_bedrock_env.add_health_event(f"{NOVA} reaches end of life on 2027-06-30.", entities=[NOVA],
                                       last_updated="2026-08-01")
    # Sonnet 4: the bundled data says EOL 2026-10-14; a notice says 2026-11-30: health beats bundled.
    local_bedrock_env.add_health_event(f"{SONNET_4} reaches end of life on 2026-11-30.", entities=[SONNET_4],
                                       region="eu-west-1")
    code, out, _ = run(capsys, "sync", "--region", "us-east-1", "--health", "--json")
    assert code == 0
    report = json.loads(out)["health"]
    assert report["notices"] == 2 and report["entries"] == 2 and report["written"] is True
    path = env / "health-cache.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert report["conflicts"] == [{
        "model_id": SONNET_4, "region": "eu-west-1", "milestone": "eol", "health": "2026-11-30",
        "other": "2026-10-14", "other_source": "bundled", "outcome": "health wins",
    }]
    registry = Registry.default(cache_dir=env)
    nova = registry.lookup(NOVA, "us-east-1", day("2027-07-01"))
    assert (nova.state.value, nova.eol_date) == ("eol", day("2027-06-30"))
    assert "health: eol" in nova.note  # field by field: the synced status, Health's date
    assert registry.lookup(SONNET_4, "eu-west-1", day("2026-11-01")).eol_date == day("2026-11-30")
    # Overrides still win over Health.
    from bedrock_lifecycle.lifecycle.model import LifecycleEntry

    override = LifecycleEntry(NOVA, eol=day("2028-01-01"), source="override")
    assert Registry.default(cache_dir=env, overrides=[override]).lookup(NOVA, "us-east-1").eol_date == day("2028-01-01")


def test_the_api_beats_health(env: Path, local_bedrock_env: LocalBedrock, capsys: pytest.CaptureFixture[str]) -> None:
    # The control plane (synced) says Sonnet 4 ends 2026-10-14T08:00; a notice says 2026-12-31.
    local_bedrock_env.add_health_event(f"{SONNET_4} reaches end of life on 2026-12-31.", entities=[SONNET_4])
    code, out, _ = run(capsys, "sync", "--region", "us-east-1", "--health")
    assert code == 0
    assert (f"health: conflict: {SONNET_4} (us-east-1) eol: health says 2026-12-31, api says 2026-10-14 "
            "(api wins)") in out
    status = Registry.default(cache_dir=env).lookup(SONNET_4, "us-east-1", day("2026-11-01"))
    assert status.eol_date is not None and status.eol_date.date() == dt.date(2026, 10, 14)
    assert status.source == "api"


def _catalogue() -> list[str]:
    from bedrock_lifecycle.lifecycle import bundled

    return sorted(bundled.load().catalogue)


@given(st.sampled_from(_catalogue()), st.sampled_from(["", "us.", "eu.", "global."]),
       st.sampled_from(["The model {} retires.", "Affected: {}, see below.", "({}) is Legacy.", "{}"]))
def test_every_catalogued_id_is_found_in_prose(model: str, geo: str, template: str) -> None:
    from bedrock_lifecycle.ids import parse_model_id

    found = notice_text.model_ids_in(template.format(geo + model))
    assert found == (parse_model_id(model).base_model_id,)
