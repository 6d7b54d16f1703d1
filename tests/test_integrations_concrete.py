"""concrete_model(): the model an alias stands for, for frameworks' capability lookups."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bedrock_lifecycle
from bedrock_lifecycle import concrete_model
from bedrock_lifecycle.config import load_config
from bedrock_lifecycle.core import routing
from bedrock_lifecycle.testing import LocalBedrock

UTC = dt.timezone.utc
LITE, MICRO, PRO = "amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0", "amazon.nova-pro-v1:0"
RAMP = {
    "aliases": {
        "chat": {
            "targets": [{"model": LITE, "weight": 1}, {"model": PRO, "weight": 0}],
            "fallbacks": [MICRO],
            "ramp": [
                {"at": "2026-01-01T00:00:00Z", "weights": [50, 50]},
                {"at": "2026-02-01T00:00:00Z", "weights": [10, 90]},
            ],
        }
    }
}


def _client(bedrock: LocalBedrock, config: object) -> object:
    return bedrock_lifecycle.wrap(bedrock.runtime_client(), config=config, environ={})


def test_the_heaviest_target_in_force_with_ties_to_the_first_listed(bedrock: LocalBedrock) -> None:
    c = _client(bedrock, RAMP)
    assert concrete_model("chat", c, now=dt.datetime(2025, 12, 1, tzinfo=UTC)) == LITE
    assert concrete_model("chat", c, now=dt.datetime(2026, 1, 15, tzinfo=UTC)) == LITE  # 50/50
    assert concrete_model("CHAT", c, now=dt.datetime(2026, 3, 1, tzinfo=UTC)) == PRO


def test_a_concrete_id_passes_through_and_a_bad_one_is_named(bedrock: LocalBedrock) -> None:
    c = _client(bedrock, RAMP)
    assert concrete_model(MICRO, c) == MICRO
    with pytest.raises(bedrock_lifecycle.ModelIdError, match=r"amazon\.:"):
        concrete_model("amazon.:", c)


def test_an_unknown_alias_names_the_closest(bedrock: LocalBedrock) -> None:
    c = _client(bedrock, RAMP)
    with pytest.raises(ValueError, match=r"'chta' is not an alias \(aliases: chat\); did you mean 'chat'\?"):
        concrete_model("chta", c)


def test_the_configuration_in_force_on_the_client_after_a_reconfigure(bedrock: LocalBedrock) -> None:
    c = _client(bedrock, RAMP)
    bedrock_lifecycle.reconfigure(c, load_config({"aliases": {"chat": {"targets": [MICRO]}}}))  # type: ignore[arg-type]
    assert concrete_model("chat", c) == MICRO


def test_without_a_client_the_environment_names_the_configuration(tmp_path: Path) -> None:
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"aliases": {"chat": {"targets": [PRO]}}}))
    assert concrete_model("chat", environ={"BEDROCK_LIFECYCLE_CONFIG": str(path)}) == PRO


@given(key=st.text(min_size=1, max_size=20), day=st.integers(min_value=0, max_value=120))
def test_with_a_key_it_is_the_target_that_key_sticks_to(key: str, day: int) -> None:
    cfg = load_config(RAMP)
    now = dt.datetime(2025, 12, 1, tzinfo=UTC) + dt.timedelta(days=day)
    found = routing.find_alias(cfg, "chat")
    assert found is not None
    expected = routing.plan_alias(found[0], found[1], now, key).candidates[0].model
    assert concrete_model("chat", config=RAMP, key=key, now=now) == expected
    assert concrete_model("chat", config=cfg, key=key, now=now) == expected
