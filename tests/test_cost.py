"""Cost on the call path's observers, in `status` and `check`, and extended-access price awareness.

Cost is computed from the usage each response reports (cache tokens included) and the
version's price table ([prices] over synced over bundled); an unknown price is unknown,
never 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import bedrock_lifecycle
from bedrock_lifecycle.api import wrap
from bedrock_lifecycle.cli import main
from bedrock_lifecycle.errors import describe
from bedrock_lifecycle.lifecycle.prices import price_of
from bedrock_lifecycle.lifecycle.registry import Registry
from bedrock_lifecycle.observe import metrics
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import MESSAGES, NOVA_LITE, at

SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # Legacy 2026-10-08, extended access 2027-01-08
UNPRICED = "acme.model-9-v1:0"


def make(bedrock: LocalBedrock, config: dict[str, Any]) -> Any:
    return wrap(bedrock.runtime_client(), config=config, clock=lambda: at("2026-05-01"), environ={})


def test_events_and_metrics_carry_the_estimated_cost(bedrock: LocalBedrock) -> None:
    bedrock.reply(NOVA_LITE, usage={"inputTokens": 1000, "outputTokens": 500, "cacheReadInputTokens": 2000})
    c = make(bedrock, {"aliases": {"chat": {"targets": [NOVA_LITE]}}})
    seen: list[Any] = []
    bedrock_lifecycle.subscribe(seen.append, client=c)
    c.converse(modelId="chat", messages=MESSAGES)
    p = price_of(NOVA_LITE, "us-east-1")
    assert p is not None and p.input_per_1k and p.output_per_1k
    expected = p.cost(1000, 500, 2000, 0)
    assert seen[-1].cost_usd == pytest.approx(expected) and expected > 0
    s = metrics.series("chat", NOVA_LITE)
    assert s is not None and s["estimated_cost_usd"] == pytest.approx(expected, rel=1e-4) and s["unpriced"] == 0


def test_config_prices_win_and_unknown_is_never_zero(bedrock: LocalBedrock) -> None:
    bedrock.reply(NOVA_LITE, usage={"inputTokens": 1000, "outputTokens": 1000})
    c = make(bedrock, {"aliases": {"chat": {"targets": [NOVA_LITE]}, "other": {"targets": [UNPRICED]}},
                       "prices": {NOVA_LITE: {"input_per_1k": 1.0, "output_per_1k": 2.0}}})
    c.converse(modelId="chat", messages=MESSAGES)
    c.converse(modelId="other", messages=MESSAGES)
    lite, acme = metrics.series("chat", NOVA_LITE), metrics.series("other", UNPRICED)
    assert lite is not None and lite["estimated_cost_usd"] == pytest.approx(3.0)
    assert acme is not None and acme["estimated_cost_usd"] is None and acme["unpriced"] == 1


def test_the_warning_says_prices_may_change_and_who_keeps_their_terms() -> None:
    status = Registry.default().lookup(SONNET_45, "us-east-1", at("2026-12-01"))
    text = describe(status)
    assert "On-demand prices may change from 2027-01-08" in text
    assert "provisioned throughput and private pricing keep their terms" in text


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for k in list(__import__("os").environ):
        if k.startswith("BEDROCK_LIFECYCLE_"):
            monkeypatch.delenv(k)
    cfg = tmp_path / "models.toml"
    cfg.write_text(f'[aliases.chat]\ntargets = [{{ model = "{NOVA_LITE}", weight = 80 }}, '
                   f'{{ model = "anthropic.claude-sonnet-4-6", weight = 20 }}]\n')
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(cfg))
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    return cfg


def test_check_fails_on_a_coming_price_change_only_when_asked(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.write_text(f'[aliases.chat]\ntargets = ["{SONNET_45}"]\n[policy]\non_legacy = "ignore"\n')
    # Legacy fails the gate anyway; the price-change reason is added only with the flag.
    assert main(["check", "--at", "2026-12-01", "--json"]) == 1
    plain = json.loads(capsys.readouterr().out)
    assert not any("extended access" in p["reason"] for p in plain["problems"])
    assert main(["check", "--at", "2026-12-01", "--json", "--fail-on-price-change"]) == 1
    flagged = json.loads(capsys.readouterr().out)
    assert any("enters public extended access on 2027-01-08" in p["reason"] for p in flagged["problems"])


def test_status_names_the_price_change_and_the_traffic_share(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli_env.write_text(f'[aliases.chat]\ntargets = [{{ model = "{SONNET_45}", weight = 25 }}, '
                       f'{{ model = "anthropic.claude-sonnet-4-6", weight = 75 }}]\n')
    assert main(["status", "--at", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("Price change:"))
    assert SONNET_45 in line and "2027-01-08" in line and "25% of the alias's traffic" in line
