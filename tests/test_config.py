"""Configuration: layers (explicit > env > file > defaults), parsing, and error messages.

Every bad input must give a ConfigError naming where the value came from (the variable,
or the file and key path) and the value itself.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.config import Config, PolicyConfig, RoutingConfig, load_config
from bedrock_lifecycle.config.adapters import register_adapter
from bedrock_lifecycle.errors import ConfigError
from tests.adapters import anthropic_to_nova

UTC = dt.timezone.utc
A = "anthropic.claude-3-haiku-20240307-v1:0"
B = "anthropic.claude-haiku-4-5-20251001-v1:0"
N = "amazon.nova-lite-v1:0"
P = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
PREFIX = "BEDROCK_LIFECYCLE_"


def env(**kw: str) -> dict[str, str]:
    return {PREFIX + k: v for k, v in kw.items()}


def write(tmp_path: Path, name: str, text: str) -> dict[str, str]:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return {"BEDROCK_LIFECYCLE_CONFIG": str(p)}


def error(**kw: Any) -> str:
    kw.setdefault("environ", {})
    with pytest.raises(ConfigError) as info:
        load_config(**kw)
    return str(info.value)


# ------------------------------------------------------------------ defaults and precedence


def test_defaults() -> None:
    c = load_config(environ={})
    assert c.policy == PolicyConfig()
    assert c.routing == RoutingConfig()
    assert c.aliases == {} and c.chains == {} and c.now is None
    assert c.policy.on_legacy == "warn" and c.policy.warn_before_eol_days == 90
    assert c.routing.max_attempts_per_target == 2


def test_ignores_unrelated_variables() -> None:
    c = load_config(environ={"HOME": "/root", "AWS_REGION": "us-east-1", "bedrock_lifecycle_on_eol": "x"})
    assert c.policy.on_eol == "error"


@pytest.mark.parametrize("layers", ["", "f", "e", "x", "fe", "fx", "ex", "fex"])
def test_precedence_explicit_over_env_over_file_over_defaults(tmp_path: Path, layers: str) -> None:
    environ: dict[str, str] = {}
    if "f" in layers:
        environ |= write(tmp_path, "c.toml", '[policy]\non_legacy = "error"\n[routing]\nmax_attempts_per_target = 4\n')
    if "e" in layers:
        environ |= env(ON_LEGACY="fallback", MAX_ATTEMPTS_PER_TARGET="5")
    explicit = {"policy": {"on_legacy": "ignore"}, "routing": {"max_attempts_per_target": 6}} if "x" in layers else None
    c = load_config(explicit, environ=environ)
    top = layers[-1] if layers else "d"
    assert c.policy.on_legacy == {"d": "warn", "f": "error", "e": "fallback", "x": "ignore"}[top]
    assert c.routing.max_attempts_per_target == {"d": 2, "f": 4, "e": 5, "x": 6}[top]


def test_layers_merge_key_by_key(tmp_path: Path) -> None:
    environ = write(tmp_path, "c.toml", '[policy]\non_legacy = "error"\non_eol = "fallback"\nwarn_before_eol_days = 30\n')
    environ |= env(ON_EXTENDED_ACCESS="ignore", WARN_BEFORE_EOL_DAYS="60")
    c = load_config(Config(policy=PolicyConfig(on_legacy="ignore")), environ=environ)
    # explicit sets on_legacy only (a Config instance contributes only the fields set)
    assert c.policy == PolicyConfig(on_legacy="ignore", on_extended_access="ignore", on_eol="fallback", warn_before_eol_days=60)


def test_explicit_config_instance_with_defaults_overrides_nothing() -> None:
    c = load_config(Config(), environ=env(ON_EOL="fallback"))
    assert c.policy.on_eol == "fallback"


def test_document_argument_replaces_the_file(tmp_path: Path) -> None:
    environ = write(tmp_path, "c.toml", '[policy]\non_eol = "fallback"\n')
    c = load_config(environ=environ, document={"policy": {"on_legacy": "error"}})
    assert c.policy.on_legacy == "error" and c.policy.on_eol == "error"


# ------------------------------------------------------------------ files


def test_toml_file(tmp_path: Path) -> None:
    environ = write(
        tmp_path,
        "bedrock.toml",
        f"""
now = "2026-12-01"
[policy]
on_eol = "fallback"
[routing]
deadline_seconds = 12.5
fallback_on = ["ModelErrorException"]
[aliases.chat]
targets = [{{ model = "{A}", weight = 90 }}, {{ model = "{B}", weight = 10, inference_config = {{ maxTokens = 512 }} }}]
fallbacks = ["{N}"]
[[aliases.chat.ramp]]
at = 2026-12-15
weights = [50, 50]
[[aliases.chat.ramp]]
at = "2026-12-20T09:00:00Z"
weights = [0, 100]
[aliases.short]
targets = "{P}"
[chains]
"{A}" = ["{B}"]
""",
    )
    c = load_config(environ=environ)
    assert c.now == dt.datetime(2026, 12, 1, tzinfo=UTC)
    assert c.policy.on_eol == "fallback"
    assert c.routing.deadline_seconds == 12.5 and c.routing.fallback_on == ["ModelErrorException"]
    chat = c.aliases["chat"]
    assert [(t.model, t.weight) for t in chat.targets] == [(A, 90.0), (B, 10.0)]
    assert chat.targets[1].inference_config == {"maxTokens": 512}
    assert chat.fallbacks == [N]
    assert [s.at for s in chat.ramp] == [dt.datetime(2026, 12, 15, tzinfo=UTC), dt.datetime(2026, 12, 20, 9, tzinfo=UTC)]
    assert [s.weights for s in chat.ramp] == [[50.0, 50.0], [0.0, 100.0]]
    assert [(t.model, t.weight) for t in c.aliases["short"].targets] == [(P, 1.0)]
    assert c.chains == {A: [B]}


def test_json_file(tmp_path: Path) -> None:
    doc = {"policy": {"on_legacy": "fallback"}, "aliases": {"chat": {"targets": [A, {"model": B, "weight": 3}]}}}
    environ = write(tmp_path, "bedrock.json", json.dumps(doc))
    c = load_config(environ=environ)
    assert c.policy.on_legacy == "fallback"
    assert [(t.model, t.weight) for t in c.aliases["chat"].targets] == [(A, 1.0), (B, 3.0)]


def test_json_without_suffix_is_detected(tmp_path: Path) -> None:
    environ = write(tmp_path, "bedrock-config", '  {"policy": {"on_eol": "fallback"}}')
    assert load_config(environ=environ).policy.on_eol == "fallback"


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    msg = error(environ={"BEDROCK_LIFECYCLE_CONFIG": str(missing)})
    assert "BEDROCK_LIFECYCLE_CONFIG" in msg and str(missing) in msg


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [("c.toml", "[policy\non_eol = 1", "TOML"), ("c.json", '{"policy": ', "JSON")],
)
def test_malformed_file(tmp_path: Path, name: str, text: str, kind: str) -> None:
    environ = write(tmp_path, name, text)
    msg = error(environ=environ)
    assert str(tmp_path / name) in msg and f"not valid {kind}" in msg


def test_json_top_level_must_be_an_object(tmp_path: Path) -> None:
    environ = write(tmp_path, "c.json", "[1, 2]")
    msg = error(environ=environ)
    assert str(tmp_path / "c.json") in msg and "list" in msg


# ------------------------------------------------------------------ environment aliases


def test_env_alias_with_weights_and_fallbacks() -> None:
    c = load_config(environ=env(ALIAS_CHAT=f"{A}=90, {B} = 10", FALLBACKS_CHAT=f"{N}, {P},"))
    chat = c.aliases["chat"]
    assert [(t.model, t.weight) for t in chat.targets] == [(A, 90.0), (B, 10.0)]
    assert chat.fallbacks == [N, P]


def test_env_alias_default_weight() -> None:
    c = load_config(environ=env(ALIAS_SUMMARISE=f"{A},{B}=0.5"))
    assert [(t.model, t.weight) for t in c.aliases["summarise"].targets] == [(A, 1.0), (B, 0.5)]


@pytest.mark.parametrize("var", ["ALIAS_MY_CHAT", "ALIAS_my_chat", "ALIAS_My_Chat"])
def test_env_alias_matches_a_file_alias_case_and_dash_insensitively(tmp_path: Path, var: str) -> None:
    environ = write(
        tmp_path,
        "c.toml",
        f'[aliases.My-Chat]\ntargets = ["{A}"]\nfallbacks = ["{N}"]\n[[aliases.My-Chat.ramp]]\nat = "2027-01-01"\nweights = [1, 1]\n',
    )
    environ |= env(**{var: f"{A}=3,{B}=1"})
    c = load_config(environ=environ)
    assert list(c.aliases) == ["My-Chat"]  # the file's spelling, no second alias
    chat = c.aliases["My-Chat"]
    assert [(t.model, t.weight) for t in chat.targets] == [(A, 3.0), (B, 1.0)]  # replaced
    assert chat.fallbacks == [N] and len(chat.ramp) == 1  # kept
    assert c.alias("my_chat") == ("My-Chat", chat)


def test_env_fallbacks_replace_a_file_alias_fallbacks(tmp_path: Path) -> None:
    environ = write(tmp_path, "c.toml", f'[aliases.chat_bot]\ntargets = ["{A}"]\nfallbacks = ["{N}"]\n')
    environ |= env(FALLBACKS_CHAT_BOT=B)
    c = load_config(environ=environ)
    assert c.aliases["chat_bot"].fallbacks == [B]
    assert [t.model for t in c.aliases["chat_bot"].targets] == [A]


def test_env_alias_creates_an_alias_beside_file_aliases(tmp_path: Path) -> None:
    environ = write(tmp_path, "c.toml", f'[aliases.chat]\ntargets = ["{A}"]\n')
    c = load_config(environ=environ | env(ALIAS_SEARCH=N))
    assert sorted(c.aliases) == ["chat", "search"]


def test_env_now_and_scalars() -> None:
    c = load_config(
        environ=env(
            NOW="2026-10-14T08:00:00Z",
            ON_EOL="fallback",
            DEADLINE_SECONDS=" 20 ",
            COOLDOWN_AFTER_FAILURES="5",
            COOLDOWN_SECONDS="60",
        )
    )
    assert c.now == dt.datetime(2026, 10, 14, 8, tzinfo=UTC)
    assert c.policy.on_eol == "fallback"
    assert c.routing.deadline_seconds == 20.0
    assert (c.routing.cooldown_after_failures, c.routing.cooldown_seconds) == (5, 60.0)


def test_other_known_variables_are_not_flagged() -> None:
    load_config(environ=env(CONFIG_TTL="60", CACHE_DIR="/tmp/x", METRICS="1"))


weights = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=10_000).map(float),
    st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False),
)
formats = st.sampled_from(["repr", "g", "e", "int-ish"])
MODELS = [A, B, N, P, "meta.llama3-1-70b-instruct-v1:0", "arn:aws:bedrock:us-east-1::foundation-model/" + N]


def fmt(w: float, how: str) -> str:
    if how == "g":
        return f"{w:.17g}"
    if how == "e":
        return f"{w:.17e}"
    if how == "int-ish" and w.is_integer():
        return str(int(w))
    return repr(w)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    items=st.lists(st.tuples(st.sampled_from(MODELS), weights, formats, st.sampled_from(["", " ", "  "])), min_size=1, max_size=6),
    name=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_]{0,20}", fullmatch=True),
)
def test_env_weights_round_trip(items: list[tuple[str, float | None, str, str]], name: str) -> None:
    # at least one weight > 0 (a target without "=W" has weight 1)
    if not any(w is None or w > 0 for _, w, _, _ in items):
        items[0] = (items[0][0], None, "repr", "")
    parts = [f"{sp}{m}{sp}" if w is None else f"{sp}{m}{sp}={sp}{fmt(w, how)}{sp}" for m, w, how, sp in items]
    value = ",".join(parts)
    c = load_config(environ={f"BEDROCK_LIFECYCLE_ALIAS_{name}": value})
    (alias_name, alias), = c.aliases.items()
    assert alias_name == name.lower()
    assert [(t.model, t.weight) for t in alias.targets] == [(m, 1.0 if w is None else w) for m, w, _, _ in items]


# ------------------------------------------------------------------ errors: environment


@pytest.mark.parametrize(
    ("variables", "needles"),
    [
        ({"ON_LEGACY": "explode"}, ["BEDROCK_LIFECYCLE_ON_LEGACY", "policy.on_legacy", "'explode'"]),
        ({"ON_EOL": "warn"}, ["BEDROCK_LIFECYCLE_ON_EOL", "policy.on_eol", "'warn'"]),
        ({"WARN_BEFORE_EOL_DAYS": "-1"}, ["BEDROCK_LIFECYCLE_WARN_BEFORE_EOL_DAYS", "policy.warn_before_eol_days", "'-1'"]),
        ({"WARN_BEFORE_EOL_DAYS": "ninety"}, ["BEDROCK_LIFECYCLE_WARN_BEFORE_EOL_DAYS", "'ninety'"]),
        ({"MAX_ATTEMPTS_PER_TARGET": "0"}, ["BEDROCK_LIFECYCLE_MAX_ATTEMPTS_PER_TARGET", "'0'"]),
        ({"DEADLINE_SECONDS": "-3"}, ["BEDROCK_LIFECYCLE_DEADLINE_SECONDS", "'-3'"]),
        ({"COOLDOWN_SECONDS": "soon"}, ["BEDROCK_LIFECYCLE_COOLDOWN_SECONDS", "'soon'"]),
        ({"NOW": "yesterday"}, ["BEDROCK_LIFECYCLE_NOW", "'yesterday'"]),
        ({"NOW": "2026-13-45"}, ["BEDROCK_LIFECYCLE_NOW", "'2026-13-45'"]),
        ({"ALIAS_CHAT": f"{A}=-1"}, ["BEDROCK_LIFECYCLE_ALIAS_CHAT", "aliases.chat.targets.0.weight", "-1"]),
        ({"ALIAS_CHAT": f"{A}=heavy"}, ["BEDROCK_LIFECYCLE_ALIAS_CHAT", "'heavy'", A]),
        ({"ALIAS_CHAT": f"{A}="}, ["BEDROCK_LIFECYCLE_ALIAS_CHAT", "''", A]),
        ({"ALIAS_CHAT": f"{A}=nan"}, ["BEDROCK_LIFECYCLE_ALIAS_CHAT", "aliases.chat.targets.0.weight", "nan"]),
        ({"ALIAS_CHAT": f"{A}=inf"}, ["BEDROCK_LIFECYCLE_ALIAS_CHAT", "inf"]),
        ({"ALIAS_CHAT": f"{A},gpt-4o=2"}, ["BEDROCK_LIFECYCLE_ALIAS_CHAT", "aliases.chat.targets.1.model", "'gpt-4o'"]),
        ({"ALIAS_CHAT": " , "}, ["BEDROCK_LIFECYCLE_ALIAS_CHAT", "empty"]),
        ({"ALIAS_CHAT": A, "FALLBACKS_CHAT": "claude-3"}, ["BEDROCK_LIFECYCLE_FALLBACKS_CHAT", "aliases.chat.fallbacks", "'claude-3'"]),
        ({"RETRIES": "3"}, ["BEDROCK_LIFECYCLE_RETRIES", "unknown variable"]),
        ({"ALIAS_": A}, ["BEDROCK_LIFECYCLE_ALIAS_", "unknown variable"]),
        ({"ON_LEGACY_": "warn"}, ["BEDROCK_LIFECYCLE_ON_LEGACY_", "unknown variable"]),
    ],
)
def test_env_errors_name_the_variable_and_value(variables: dict[str, str], needles: list[str]) -> None:
    msg = error(environ=env(**variables))
    for needle in needles:
        assert needle in msg, (needle, msg)
    assert "defaults" not in msg


def test_env_error_wins_over_a_good_file_value(tmp_path: Path) -> None:
    environ = write(tmp_path, "c.toml", '[policy]\non_legacy = "warn"\n') | env(ON_LEGACY="loud")
    msg = error(environ=environ)
    assert "BEDROCK_LIFECYCLE_ON_LEGACY" in msg and "'loud'" in msg and str(tmp_path) not in msg


def test_several_errors_are_all_reported() -> None:
    msg = error(environ=env(ON_LEGACY="x", ON_EOL="y"))
    assert "BEDROCK_LIFECYCLE_ON_LEGACY" in msg and "BEDROCK_LIFECYCLE_ON_EOL" in msg
    assert "'x'" in msg and "'y'" in msg


# ------------------------------------------------------------------ errors: file


RAMP = '[[aliases.chat.ramp]]\nat = "{at}"\nweights = {w}\n'


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('[policy]\non_legacy = "loud"\n', ["policy.on_legacy", "'loud'"]),
        ("[policy]\nwarn_before_eol_days = -5\n", ["policy.warn_before_eol_days", "-5"]),
        ("[routing]\nretries = 3\n", ["routing.retries", "unknown key", "3"]),
        ('colour = "blue"\n', ["colour", "unknown key", "'blue'"]),
        (f'[aliases.chat]\ntargets = [{{ model = "{A}", weight = -2 }}]\n', ["aliases.chat.targets.0.weight", "-2"]),
        (f'[aliases.chat]\ntargets = [{{ model = "{A}", weight = "heavy" }}]\n', ["aliases.chat.targets.0.weight", "'heavy'"]),
        (f'[aliases.chat]\ntargets = [{{ model = "{A}", wieght = 2 }}]\n', ["aliases.chat.targets.0.wieght", "unknown key"]),
        ('[aliases.chat]\ntargets = ["claude-3-haiku"]\n', ["aliases.chat.targets.0.model", "'claude-3-haiku'"]),
        (f'[aliases.chat]\ntargets = ["{A}"]\nfallbacks = ["nova"]\n', ["aliases.chat.fallbacks", "'nova'"]),
        (f'[chains]\n"{A}" = ["haiku"]\n', ["chains", "'haiku'"]),
        ('now = "next tuesday"\n', ["now", "'next tuesday'"]),
        (
            f'[aliases.chat]\ntargets = ["{A}", "{B}"]\n' + RAMP.format(at="2026-12-01", w="[100]"),
            ["aliases.chat", "ramp[0] has 1 weights", "2 targets"],
        ),
        (
            f'[aliases.chat]\ntargets = ["{A}", "{B}"]\n' + RAMP.format(at="2026-12-01", w="[-1, 2]"),
            ["aliases.chat.ramp.0.weights", "-1"],
        ),
        (
            f'[aliases.chat]\ntargets = ["{A}", "{B}"]\n' + RAMP.format(at="2026-12-01", w="[0, 0]"),
            ["aliases.chat.ramp.0.weights", "[0.0, 0.0]"],
        ),
        (
            f'[aliases.chat]\ntargets = ["{A}"]\n' + RAMP.format(at="first of december", w="[1]"),
            ["aliases.chat.ramp.0.at", "'first of december'"],
        ),
        (
            f'[aliases.chat]\ntargets = ["{A}", "{B}"]\n'
            + RAMP.format(at="2026-12-15", w="[50, 50]")
            + RAMP.format(at="2026-12-01", w="[0, 100]"),
            ["aliases.chat", "date order"],
        ),
        (f'[aliases."my.chat"]\ntargets = ["{A}"]\n', ["aliases", "'my.chat'"]),
        (f'[aliases."us:chat"]\ntargets = ["{A}"]\n', ["aliases", "'us:chat'"]),
        (f'[aliases.Chat]\ntargets = ["{A}"]\n[aliases.chat]\ntargets = ["{B}"]\n', ["aliases", "'Chat'", "'chat'", "same name"]),
        (f'[aliases.my-chat]\ntargets = ["{A}"]\n[aliases.MY_CHAT]\ntargets = ["{B}"]\n', ["'my-chat'", "'MY_CHAT'"]),
        (
            f'[aliases.chat]\napi = "invoke"\ntargets = ["{A}", "{N}"]\n',
            ["aliases.chat", "amazon, anthropic", "body_adapter"],
        ),
        (
            f'[aliases.chat]\napi = "invoke"\ntargets = ["{A}"]\nfallbacks = ["{N}"]\n',
            ["aliases.chat", "amazon, anthropic"],
        ),
        (f'[aliases.chat]\napi = "rest"\ntargets = ["{A}"]\n', ["aliases.chat.api", "'rest'"]),
        (f'[aliases.chat]\ntargets = [{{ model = "{A}", weight = 0 }}]\n', ["aliases.chat", "weight > 0"]),
        (f'[aliases.chat]\ntargets = [{{ model = "{A}", body_adapter = "not a path!" }}]\n', ["aliases.chat.targets.0.body_adapter", "'not a path!'"]),
        ("[aliases.chat]\ntargets = []\n", ["aliases.chat.targets"]),
    ],
)
def test_file_errors_name_the_file_key_path_and_value(tmp_path: Path, text: str, needles: list[str]) -> None:
    environ = write(tmp_path, "bedrock.toml", text)
    msg = error(environ=environ)
    assert str(tmp_path / "bedrock.toml") in msg, msg
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_json_file_error_names_the_json_file(tmp_path: Path) -> None:
    environ = write(tmp_path, "c.json", json.dumps({"routing": {"max_attempts_per_target": 99}}))
    msg = error(environ=environ)
    assert str(tmp_path / "c.json") in msg and "routing.max_attempts_per_target" in msg and "99" in msg


def test_invoke_api_with_adapters_is_fine(tmp_path: Path) -> None:
    register_adapter("test_config_to_nova", anthropic_to_nova, replace=True)
    environ = write(
        tmp_path,
        "c.toml",
        f'[aliases.chat]\napi = "invoke"\ntargets = ["{A}", {{ model = "{N}", body_adapter = "test_config_to_nova" }}]\n',
    )
    c = load_config(environ=environ)
    assert c.aliases["chat"].api == "invoke"
    assert c.adapter("test_config_to_nova") is anthropic_to_nova


def test_explicit_errors_name_the_argument() -> None:
    msg = error(explicit={"policy": {"on_eol": "panic"}})
    assert "config= argument" in msg and "policy.on_eol" in msg and "'panic'" in msg
    msg = error(explicit={"routing": {"tries": 2}})
    assert "config= argument" in msg and "routing.tries" in msg and "unknown key" in msg


def test_document_errors_name_the_document() -> None:
    msg = error(document={"policy": {"on_eol": "panic"}}, document_name="ssm:/app/bedrock")
    assert "ssm:/app/bedrock" in msg and "policy.on_eol" in msg and "'panic'" in msg


# ------------------------------------------------------------------ known bugs in config.py


def test_env_alias_name_with_a_dot_names_the_variable(tmp_path: Path) -> None:
    environ = write(tmp_path, "c.toml", f'[aliases.chat]\ntargets = ["{A}"]\n') | env(**{"ALIAS_MY.CHAT": B})
    msg = error(environ=environ)
    assert "BEDROCK_LIFECYCLE_ALIAS_MY.CHAT" in msg and "'my.chat'" in msg


def test_fallbacks_for_an_alias_without_targets_names_the_variable() -> None:
    msg = error(environ=env(FALLBACKS_SEARCH=A))
    assert "BEDROCK_LIFECYCLE_FALLBACKS_SEARCH" in msg and "aliases.search" in msg


def test_env_all_zero_weights_names_the_variable() -> None:
    msg = error(environ=env(ALIAS_CHAT=f"{A}=0,{B}=0"))
    assert "BEDROCK_LIFECYCLE_ALIAS_CHAT" in msg and "weight > 0" in msg


def test_explicit_alias_overrides_an_env_alias_spelled_differently() -> None:
    c = load_config({"aliases": {"Chat": {"targets": [B]}}}, environ=env(ALIAS_CHAT=A, FALLBACKS_CHAT=N))
    assert len(c.aliases) == 1  # one alias, whatever the spelling: names are case-insensitive
    _, alias = c.alias("CHAT") or ("", None)
    assert alias is not None and [t.model for t in alias.targets] == [B]
    assert alias.fallbacks == [N]  # the explicit layer overrides key by key


@pytest.mark.parametrize("text", ["now = 2026-10-14\n", "now = 2026-10-14T08:00:00\n"])
def test_toml_local_now_is_utc(tmp_path: Path, text: str) -> None:
    c = load_config(environ=write(tmp_path, "c.toml", text))
    assert c.now is not None and c.now.tzinfo is not None
    assert c.now.utcoffset() == dt.timedelta(0)


def test_all_zero_target_weights_with_a_future_ramp_are_rejected(tmp_path: Path) -> None:
    environ = write(
        tmp_path,
        "c.toml",
        f'[aliases.chat]\ntargets = [{{ model = "{A}", weight = 0 }}]\n' + RAMP.format(at="2027-01-01", w="[1]"),
    )
    msg = error(environ=environ)
    assert "aliases.chat" in msg and "weight > 0" in msg


def test_ramp_out_of_order_names_the_steps(tmp_path: Path) -> None:
    environ = write(
        tmp_path,
        "c.toml",
        f'[aliases.chat]\ntargets = ["{A}", "{B}"]\n'
        + RAMP.format(at="2026-12-15", w="[50, 50]")
        + RAMP.format(at="2026-12-01", w="[0, 100]"),
    )
    msg = error(environ=environ)
    assert "2026-12-15" in msg and "2026-12-01" in msg


def test_yaml_file_when_pyyaml_is_installed(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    cfg = tmp_path / "models.yaml"
    cfg.write_text(f"policy:\n  on_legacy: error\naliases:\n  chat:\n    targets:\n      - model: {A}\n        weight: 3\n")
    c = load_config(environ={"BEDROCK_LIFECYCLE_CONFIG": str(cfg)})
    assert c.policy.on_legacy == "error" and c.aliases["chat"].targets[0].weight == 3
    cfg.write_text("aliases: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(environ={"BEDROCK_LIFECYCLE_CONFIG": str(cfg)})
