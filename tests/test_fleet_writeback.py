"""Fleet write-back keeps the document's format: a TOML parameter stays TOML with its
comments, a JSON one stays JSON in its own style; only the rolled-back values change."""

from __future__ import annotations

import json
import sys
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.config.sources import SSMSource
from bedrock_lifecycle.fleet import FleetAnalyzer
from bedrock_lifecycle.fleet.writeback import Rollback, apply_rollbacks, detect_format, zero_weight
from bedrock_lifecycle.observe.cloudwatch import CloudWatchPublisher
from tests.helpers import NOVA_LITE, NOVA_MICRO, NOVA_PRO
from tests.test_cloudwatch import aws, ev  # noqa: F401  (aws is a fixture)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PARAM = "/fleet/writeback"

COMMENTED = f"""\
# Chat models for the whole fleet. Owner: platform team (#llm-platform).
[policy]
on_eol = "fallback"   # never refuse in production

[aliases.support]
# baseline first; the canary takes a growing share
targets = [
  "{NOVA_LITE}",                       # baseline
  {{ model = "{NOVA_PRO}", weight = 10 }},  # canary since 2026-01
]
fallbacks = ["{NOVA_MICRO}"]  # last resort
ramp = [
  {{ at = "2026-01-01", weights = [80, 20] }},  # step 1
  {{ at = "2027-01-01", weights = [50, 50] }},  # step 2 (not yet)
]

[aliases.support.analysis]
min_calls = 20                  # judged on at least this many calls
max_error_rate_increase = 0.05  # five points over the baseline

# Nothing below is touched by a rollback of support.
[aliases.summary]
targets = ["{NOVA_LITE}"]  # one model
"""


def fail_canary(alias: str, *, calls: int = 40) -> None:
    """The fleet's numbers: the canary fails 30 % of its calls, the baseline none."""
    pub = CloudWatchPublisher(region="us-east-1", start=False)
    for i in range(calls):
        pub(ev(NOVA_LITE, alias=alias))
        pub(ev(NOVA_PRO, "error" if i % 10 < 3 else "ok", alias=alias))
    assert pub.flush() > 0


KEY = "alias/fleet-config"  # a customer key: the write-back must not switch to the default one


def put(text: str, kind: str = "String") -> None:
    extra = {"KeyId": KEY} if kind == "SecureString" else {}
    boto3.client("ssm", region_name="us-east-1").put_parameter(Name=PARAM, Value=text, Type=kind, Overwrite=True,
                                                               **extra)


def key_id() -> str | None:
    found = boto3.client("ssm", region_name="us-east-1").describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [PARAM]}])["Parameters"]
    return found[0].get("KeyId")  # type: ignore[no-any-return]


def get() -> dict[str, Any]:
    return boto3.client("ssm", region_name="us-east-1").get_parameter(  # type: ignore[no-any-return]
        Name=PARAM, WithDecryption=True)["Parameter"]


@pytest.mark.parametrize("kind", ["String", "SecureString"])
def test_commented_toml_round_trips_through_ssm(aws: str, kind: str) -> None:  # noqa: F811
    put(COMMENTED, kind)
    fail_canary("support")
    source = SSMSource(PARAM)
    puts: list[dict[str, Any]] = []
    source.client().meta.events.register(
        "provide-client-params.ssm.PutParameter", lambda params, **_: puts.append(dict(params)))
    decisions = FleetAnalyzer(source, region="us-east-1").run_once(apply=True)
    assert [d["rollback"] for d in decisions] == [True]
    param = get()
    assert param["Type"] == kind
    (sent,) = puts
    assert sent["Type"] == kind and sent.get("KeyId") == (KEY if kind == "SecureString" else None)
    if kind == "SecureString":
        assert key_id() == KEY
    text = param["Value"]
    assert decisions[0]["written_version"].startswith(f"ssm:{PARAM}:{param['Version']}:")
    assert decisions[0]["written_version"] == SSMSource(PARAM).fetch(fresh=True).version  # what processes see
    # Byte for byte: the original with exactly the changed values, then the record.
    edited = (COMMENTED
              .replace(f'{{ model = "{NOVA_PRO}", weight = 10 }}', f'{{ model = "{NOVA_PRO}", weight = 0 }}')
              .replace("weights = [80, 20]", "weights = [80, 0]")
              .replace("weights = [50, 50]", "weights = [50, 0]"))
    assert edited != COMMENTED
    assert text.startswith(edited), text
    tail = tomllib.loads(text[len(edited):])
    (record,) = tail["rollbacks"]
    assert record["alias"] == "support" and record["model"] == NOVA_PRO and "error rate" in record["reason"]
    assert record["from_version"].startswith(f"ssm:{PARAM}:")
    doc = tomllib.loads(text)
    assert doc["aliases"]["support"]["targets"][1] == {"model": NOVA_PRO, "weight": 0}
    assert doc["aliases"]["summary"] == {"targets": [NOVA_LITE]}
    # The written version is what every process loads: a valid configuration, canary off.
    again = FleetAnalyzer(SSMSource(PARAM), region="us-east-1").run_once(apply=True)
    assert again == [] and get()["Version"] == param["Version"]  # nothing live to judge, nothing written


def test_analyze_cli_apply_keeps_toml(aws: str, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                      capsys: pytest.CaptureFixture[str]) -> None:
    from bedrock_lifecycle.cli import main

    text = COMMENTED.replace("[aliases.support]", "[aliases.clisupport]").replace(
        "[aliases.support.analysis]", "[aliases.clisupport.analysis]")
    put(text)
    fail_canary("clisupport")
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", f"ssm:{PARAM}")
    assert main(["analyze", "--fleet", "--apply", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["applied"] is True
    written = get()["Value"]
    for line in text.splitlines():
        if "#" in line:
            comment = line[line.index("#"):]
            assert comment in written, comment
    assert detect_format(written) == "toml" and "[[rollbacks]]" in written


@pytest.mark.parametrize("style", [
    {"indent": 2}, {"indent": 4}, {"indent": "\t"}, {"separators": (",", ":")}, {},
    {"indent": 1, "separators": (",", ":")},
])
def test_json_keeps_its_style_and_key_order(style: dict[str, Any]) -> None:
    doc = {"registry": {"cache_dir": "/var/cache/x"},
           "aliases": {"chat": {"targets": [NOVA_LITE, {"weight": 10, "model": NOVA_PRO}],
                                "ramp": [{"weights": [80, 20], "at": "2026-01-01"}]}},
           "policy": {"on_eol": "fallback"}}
    text = json.dumps(doc, **style) + "\n"
    out = apply_rollbacks(text, [Rollback("chat", NOVA_PRO, {"alias": "chat", "model": NOVA_PRO, "reason": "r"})])
    expected = json.loads(text)
    expected["aliases"]["chat"]["targets"][1]["weight"] = 0
    expected["aliases"]["chat"]["ramp"][0]["weights"] = [80, 0]
    expected["rollbacks"] = [{"alias": "chat", "model": NOVA_PRO, "reason": "r"}]
    assert out == json.dumps(expected, **style) + "\n"  # same indentation, separators, key order


def test_json_without_final_newline_and_with_unicode() -> None:
    text = json.dumps({"aliases": {"chat": {"targets": [NOVA_LITE, NOVA_PRO]}}, "note": "café"},
                      ensure_ascii=False, indent=2)
    out = apply_rollbacks(text, [Rollback("chat", NOVA_PRO, {"reason": "ü"})])
    assert not out.endswith("\n") and "café" in out and "ü" in out
    assert json.loads(out)["aliases"]["chat"]["targets"] == [NOVA_LITE, {"model": NOVA_PRO, "weight": 0}]


def test_toml_array_of_tables_and_existing_rollbacks() -> None:
    text = f"""\
rollbacks = [ {{ alias = "old", model = "{NOVA_MICRO}", reason = "earlier" }} ]  # history

[[aliases.Chat.targets]]
model = "{NOVA_LITE}"  # baseline
weight = 90
[[aliases.Chat.targets]]
model = "{NOVA_PRO}"
weight = 10  # canary
"""
    out = apply_rollbacks(text, [Rollback("chat", NOVA_PRO, {"alias": "chat", "reason": "bad", "x": None})])
    assert out == text.replace("weight = 10  # canary", "weight = 0  # canary").replace(
        '"earlier" }', '"earlier" }, {alias = "chat", reason = "bad"}')
    assert tomllib.loads(out)["rollbacks"][1] == {"alias": "chat", "reason": "bad"}  # None left out


def test_the_baseline_takes_the_traffic_back_when_nothing_is_left() -> None:
    text = f"""\
[aliases.chat]
targets = [{{ model = "{NOVA_LITE}", weight = 0 }}, "{NOVA_PRO}"]
ramp = [{{ at = 2026-01-01, weights = [0, 100] }}]  # a TOML date, kept as one
"""
    out = apply_rollbacks(text, [Rollback("chat", NOVA_PRO)])
    alias = tomllib.loads(out)["aliases"]["chat"]
    assert alias["targets"] == [{"model": NOVA_LITE, "weight": 1}, {"model": NOVA_PRO, "weight": 0}]
    assert alias["ramp"][0]["weights"] == [1, 0]
    assert "at = 2026-01-01," in out and "# a TOML date, kept as one" in out


# ------------------------------------------------------------------ invariant: same meaning

MODELS = [NOVA_LITE, NOVA_PRO, NOVA_MICRO]
weights = st.integers(min_value=0, max_value=100)
target = st.one_of(st.sampled_from(MODELS),
                   st.builds(lambda m, w: {"model": m, "weight": w}, st.sampled_from(MODELS), weights))
alias_doc = st.fixed_dictionaries(
    {"targets": st.lists(target, min_size=1, max_size=4)},
    optional={"ramp": st.lists(st.builds(lambda ws: {"at": "2026-01-01", "weights": ws},
                                         st.lists(weights, min_size=1, max_size=4)), max_size=3)})
documents = st.dictionaries(st.sampled_from(["chat", "Chat", "other", "x"]), alias_doc, min_size=1, max_size=3)


def toml_text(aliases: dict[str, Any]) -> str:
    import tomlkit

    return tomlkit.dumps({"aliases": aliases})


@settings(max_examples=150, deadline=None)
@given(documents, st.sampled_from(["chat", "other"]), st.sampled_from(MODELS),
       st.sampled_from(["toml", "json-2", "json-compact"]))
def test_format_preserving_edit_means_the_plain_edit(aliases: dict[str, Any], alias: str, model: str,
                                                     fmt: str) -> None:
    """Whatever the format, the written document reads back as the plain-dict edit."""
    if fmt == "toml":
        text, load = toml_text(aliases), tomllib.loads
    else:
        text = json.dumps({"aliases": aliases}, indent=2 if fmt == "json-2" else None)
        load = json.loads
    record = {"alias": alias, "model": model, "reason": "r"}
    out = apply_rollbacks(text, [Rollback(alias, model, record)])
    expected: dict[str, Any] = json.loads(json.dumps({"aliases": aliases}))
    zero_weight(expected, alias, model, dict)
    expected["rollbacks"] = [record]
    assert load(out) == expected
    assert detect_format(out) == ("toml" if fmt == "toml" else "json")
