"""Extreme dates and clocks never raise OverflowError (issue 14, item 4)."""

from __future__ import annotations

import datetime as dt
import os
import warnings
from pathlib import Path
from typing import Any

import pytest

import bedrock_lifecycle
from bedrock_lifecycle.clock import InstantError, env_clock, parse_instant
from bedrock_lifecycle.core.policy import Policy, decide
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.lifecycle.model import LifecycleEntry, State
from bedrock_lifecycle.lifecycle.registry import Registry

UTC = dt.timezone.utc
MSG = [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.mark.parametrize("value", ["9999-12-31T23:30:00Z", "0001-01-01", "9999-12-31T23:30:00-01:00", "1899-12-31"])
def test_out_of_range_instants_are_refused_naming_the_value(value: str) -> None:
    with pytest.raises(InstantError, match=r"BEDROCK_LIFECYCLE_NOW: .*outside the supported range"):
        env_clock({"BEDROCK_LIFECYCLE_NOW": value})
    assert parse_instant("2026-10-14", field="x") == dt.datetime(2026, 10, 14, tzinfo=UTC)


def test_entries_built_in_code_are_clamped_no_overflow() -> None:
    e = LifecycleEntry("x.m-v1:0", eol=dt.datetime(1, 1, 1, tzinfo=UTC), launch=dt.datetime.max.replace(tzinfo=UTC))
    s = Registry([e]).lookup("x.m-v1:0", "us-east-1", dt.datetime.max)
    assert s.state is State.EOL
    assert decide(s, Policy(warn_before_eol_days=3650)).reason == "eol"
    s.to_json()  # earliest_eol and friends compute without overflow


@pytest.mark.parametrize(
    ("env", "toml", "needle"),
    [
        ({"BEDROCK_LIFECYCLE_NOW": "9999-12-31T23:30:00Z"}, "", r"'9999-12-31T23:30:00Z' is outside the supported range"),
        ({}, 'eol = "0001-01-01"', r"registry\.overrides\.0\.eol: .*'0001-01-01' is outside the supported range"),
        ({}, "eol = 0001-01-01", r"registry\.overrides\.0\.eol: .*0001-01-01.* is outside the supported range"),
    ],
)
def test_client_refuses_with_a_config_error_not_overflow(
    local_bedrock: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], toml: str, needle: str
) -> None:
    for k in list(os.environ):
        if k.startswith("BEDROCK_LIFECYCLE_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CACHE_DIR", str(tmp_path / "cache"))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    if toml:
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'[[registry.overrides]]\nmodel = "anthropic.claude-sonnet-4-6"\n{toml}\n')
        monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(cfg))
    with warnings.catch_warnings(), pytest.raises(ConfigError, match=needle):
        warnings.simplefilter("ignore")
        c = bedrock_lifecycle.client("bedrock-runtime", region_name="us-east-1", endpoint_url=local_bedrock.endpoint_url)
        c.converse(modelId="anthropic.claude-sonnet-4-6", messages=MSG)
