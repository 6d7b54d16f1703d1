"""Limits and clear errors for every configuration document and key (config/limits.py,
config/schema.py): nesting depth, emptiness, key paths in messages, date ranges, and the
one error type (ConfigError) for bad data however the configuration is built."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bedrock_lifecycle
from bedrock_lifecycle.config import Config, Target, load_config, parse_document
from bedrock_lifecycle.config.limits import MAX_DEPTH, data_depth, text_depth
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import NOVA_LITE, StaticRegistry

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
TRICKY = st.text(alphabet='[]{}"\'#\\,:=\n abc', max_size=12)  # strings full of syntax

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=30,
)


def nested(n: int, leaf: Any = 0) -> Any:
    out = leaf
    for i in range(n):
        out = [out] if i % 2 else {"k": out}
    return out


# ------------------------------------------------------------------ nesting


@given(json_values)
def test_text_depth_of_json_equals_the_data_depth(value: Any) -> None:
    # Brackets, quotes and '#' inside strings never count; the measure needs no recursion.
    assert text_depth(json.dumps(value), toml=False) == data_depth(value)


@given(st.text(alphabet='[]{}"\'#\n x', max_size=400))
def test_parsing_never_raises_anything_but_config_error(text: str) -> None:
    for suffix in (".json", ".toml", ""):
        with contextlib.suppress(ConfigError):  # anything else (RecursionError ...) fails the test
            parse_document(text.encode(), name="doc", suffix=suffix)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
@pytest.mark.parametrize("fmt", ["json", "toml", "toml-dotted"])
def test_too_deep_a_file_is_a_config_error_naming_it(tmp_path: Path, depth: int, fmt: str) -> None:
    if fmt == "json":
        path, text = tmp_path / "c.json", '{"rollbacks": ' + "[" * depth + "]" * depth + "}"
    elif fmt == "toml":
        path, text = tmp_path / "c.toml", "rollbacks = " + "[" * depth + "]" * depth + "\n"
    else:  # nesting through dotted keys, with no bracket at all
        path, text = tmp_path / "c.toml", ".".join(["a"] * depth) + " = 1\n"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"{path}: nested .*at most {MAX_DEPTH}"):
        load_config(environ={"BEDROCK_LIFECYCLE_CONFIG": str(path)})


def test_depth_at_the_limit_is_accepted_and_reaches_pydantic(tmp_path: Path) -> None:
    # 64 levels pass the limit; the schema then judges the content.
    inner = nested(MAX_DEPTH - 6)
    doc = {"aliases": {"chat": {"targets": [{"model": NOVA_LITE, "additional_model_request_fields": {"x": inner}}]}}}
    assert data_depth(doc) == MAX_DEPTH
    cfg = load_config(environ={}, document=doc, document_kind="file")
    assert cfg.aliases["chat"].targets[0].additional_model_request_fields == {"x": inner}


def test_too_deep_explicit_and_built_configs_name_their_source() -> None:
    deep = {"rollbacks": [nested(200)]}
    with pytest.raises(ConfigError, match=r"config= argument: nested more than 64"):
        load_config(deep, environ={})
    with pytest.raises(ConfigError, match=r"Config\(\.\.\.\): nested more than 64"):
        Config(**deep)
    with pytest.raises(ConfigError, match=r"ssm:/p: nested more than 64"):
        load_config(environ={}, document=deep, document_name="ssm:/p")


def test_yaml_nesting_is_limited_too(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / "c.yaml"
    path.write_text("rollbacks: " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(ConfigError, match=r"c.yaml: nested"):
        load_config(environ={"BEDROCK_LIFECYCLE_CONFIG": str(path)})
    path.write_text("".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n")
    with pytest.raises(ConfigError, match=r"c.yaml: nested"):
        load_config(environ={"BEDROCK_LIFECYCLE_CONFIG": str(path)})


# ------------------------------------------------------------------ emptiness


@given(st.text(alphabet=" \t\r\n\ufeff", max_size=50))
def test_a_blank_document_is_never_a_configuration(text: str) -> None:
    for suffix in (".json", ".toml", ".yaml", ""):
        with pytest.raises(ConfigError, match="empty"):
            parse_document(text.encode(), name="doc", suffix=suffix)


@given(st.lists(st.text(alphabet="abc #[]{}", max_size=20), max_size=5), st.sampled_from(["{}", "{ }", " {}\n"]))
def test_comment_only_toml_and_empty_json_objects_are_empty(comments: list[str], obj: str) -> None:
    toml = "".join(f"# {c}\n" for c in comments)
    with pytest.raises(ConfigError, match="empty"):
        parse_document(toml.encode(), name="doc", suffix=".toml")
    with pytest.raises(ConfigError, match="empty"):
        parse_document(obj.encode(), name="doc", suffix=".json")


def test_a_table_with_no_keys_is_a_deliberate_default_configuration() -> None:
    # Only a document with nothing in it is refused: `[policy]` says "defaults, on purpose".
    assert parse_document(b"[policy]\n", name="doc", suffix=".toml") == {"policy": {}}


# ------------------------------------------------------------------ one error type, key paths


def test_config_with_bad_data_raises_config_error_with_the_details() -> None:
    with pytest.raises(ConfigError) as info:
        Config(policy={"on_eol": "explode"}, routing={"max_attempts_per_target": 0})
    err = info.value
    assert isinstance(err, ValueError)
    text = str(err)
    assert "policy.on_eol" in text and "'explode'" in text and "routing.max_attempts_per_target" in text
    assert {tuple(d["loc"]) for d in err.details} == {("policy", "on_eol"), ("routing", "max_attempts_per_target")}
    with pytest.raises(ConfigError, match=r"Target\(\.\.\.\): model: .*'not a model'"):
        Target(model="not a model")
    with pytest.raises(ConfigError, match=r"Config.model_validate: aliases"):
        Config.model_validate({"aliases": 5})


@pytest.mark.parametrize(
    ("registry", "needles"),
    [
        ({"cache_dir": "/tmp/a\x00b"}, ["registry.cache_dir", "NUL"]),
        ({"cache_dir": "  "}, ["registry.cache_dir", "empty path"]),
        ({"base_models": {"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/x": "nonsense"}},
         ["registry.base_models.arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/x", "'nonsense'"]),
        ({"base_models": {"my-profile": "us.anthropic.claude-sonnet-4-6"}}, None),
        ({"overrides": [{"model": NOVA_LITE, "regions": ["US East"]}]}, ["registry.overrides.0.regions.0", "'US East'"]),
    ],
)
def test_registry_keys_are_validated_with_their_key_path(tmp_path: Path, registry: dict[str, Any],
                                                         needles: list[str] | None) -> None:
    if needles is None:
        assert load_config({"registry": registry}, environ={}).registry.base_models
        return
    with pytest.raises(ConfigError) as info:
        load_config({"registry": registry}, environ={})
    assert all(n in str(info.value) for n in needles), str(info.value)
    assert str(info.value).startswith("config= argument: ")


def test_shadow_log_with_a_nul_byte_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"BEDROCK_LIFECYCLE_SHADOW_LOG: .*NUL"):
        load_config(environ={"BEDROCK_LIFECYCLE_SHADOW_LOG": "/tmp/x\x00.jsonl"})


@pytest.mark.parametrize(
    ("where", "value"),
    [("eol", "0001-01-01"), ("eol", "9999-12-31"), ("legacy", "1899-12-31T23:59:59Z"), ("extended_access", "9001-01-01")],
)
def test_override_dates_outside_the_supported_range_are_rejected_naming_the_value(where: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config({"registry": {"overrides": [{"model": NOVA_LITE, where: value}]}}, environ={})
    text = str(info.value)
    assert f"registry.overrides.0.{where}" in text and value in text and "1970-01-01..9000-12-31" in text


def test_now_out_of_range_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"BEDROCK_LIFECYCLE_NOW: '9999-12-31T23:30:00Z' is outside"):
        load_config(environ={"BEDROCK_LIFECYCLE_NOW": "9999-12-31T23:30:00Z"})


def test_ramp_dates_and_toml_native_dates_are_range_checked(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'[aliases.chat]\ntargets = ["{NOVA_LITE}"]\n[[aliases.chat.ramp]]\nat = 0001-01-01\nweights = [1]\n')
    with pytest.raises(ConfigError, match=rf"{path}: aliases.chat.ramp.0.at: .*0001-01-01.* is outside"):
        load_config(environ={"BEDROCK_LIFECYCLE_CONFIG": str(path)})


@settings(max_examples=50)
@given(st.integers(1, 9999))
def test_every_year_is_accepted_or_rejected_never_an_overflow(year: int) -> None:
    doc = {"registry": {"overrides": [{"model": NOVA_LITE, "eol": f"{year:04d}-06-30"}]}, "now": f"{year:04d}-12-31"}
    try:
        cfg = load_config(doc, environ={})
    except ConfigError as exc:
        assert not 1970 <= year <= 9000 and "supported range" in str(exc)
    else:
        assert 1970 <= year <= 9000 and cfg.now is not None and cfg.now.year == year


# ------------------------------------------------------------------ client(config=...)


def test_client_config_takes_a_file_path(tmp_path: Path, local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in local_bedrock.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("BEDROCK_LIFECYCLE_CONFIG", raising=False)
    path = tmp_path / "models.toml"
    path.write_text(f'[aliases.chat]\ntargets = ["{NOVA_LITE}"]\n')
    for given_as in (str(path), path):
        c = bedrock_lifecycle.client(config=given_as, region_name="us-east-1", registry=StaticRegistry())
        meta = c.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"]["BedrockLifecycle"]
        assert meta["model_id"] == NOVA_LITE and meta["config_version"].startswith("file:")
        c.close()
    relative = os.path.relpath(path)
    c = bedrock_lifecycle.client(config=relative, region_name="us-east-1", registry=StaticRegistry())
    c.close()


def test_client_config_path_errors_name_the_argument(tmp_path: Path, local_bedrock: LocalBedrock) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=rf"config= file {missing}: cannot read"):
        bedrock_lifecycle.client(config=str(missing), region_name="us-east-1", environ=local_bedrock.env())
    bad = tmp_path / "bad.toml"
    bad.write_text('[policy]\non_eol = "explode"\n')
    with pytest.raises(ConfigError, match=rf"config= file {bad}: policy.on_eol: .*'explode'"):
        bedrock_lifecycle.client(config=bad, region_name="us-east-1", environ=local_bedrock.env())


@pytest.mark.parametrize("value", [42, ["models.toml"], b"models.toml", 1.5])
def test_client_config_of_another_type_says_what_it_accepts(value: Any, local_bedrock: LocalBedrock) -> None:
    with pytest.raises(TypeError, match=r"config= takes a bedrock_lifecycle.Config, a mapping .*path .*got"):
        bedrock_lifecycle.client(config=value, region_name="us-east-1", environ=local_bedrock.env())
