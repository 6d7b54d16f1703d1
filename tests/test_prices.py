"""Prices (issue 13.1): the bundled table, lookup through profiles and ARNs, cost with cache
tokens, precedence of overrides > synced > bundled, and the Price List API parser."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.lifecycle import bundled
from bedrock_lifecycle.lifecycle import prices as P

REPO = Path(__file__).resolve().parent.parent
LITE = "amazon.nova-lite-v1:0"
SONNET46 = "anthropic.claude-sonnet-4-6"


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CACHE_DIR", str(tmp_path / "cache"))
    P.reset()


def test_bundled_file_is_what_the_tool_builds() -> None:
    spec = importlib.util.spec_from_file_location("build_prices", REPO / "tools" / "build_prices.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_prices"] = mod
    spec.loader.exec_module(mod)
    assert mod.main(["--check"]) == 0


def test_every_bundled_entry_has_provenance_and_no_invented_zero() -> None:
    entries = P.bundled_prices()
    assert len(entries) >= 50
    catalogue = set(bundled.catalogue()) | {e.model_id for e in bundled.entries()}
    assert len({p.model_id for p in entries} & catalogue) >= 45
    for p in entries:
        assert p.provenance.startswith(("L1: ", "L2: ")) and "github.com" in p.provenance
        assert p.as_of == "2026-12-01"
        assert p.input_per_1k is not None and p.input_per_1k > 0, p.model_id
        embedding = "embed" in p.model_id
        assert (p.output_per_1k == 0.0) == embedding, p.model_id  # 0 only where nothing is output
    # Unknown is unknown: rerank and image models are not priced, nor an unknown ID.
    assert P.price_of("amazon.rerank-v1:0") is None
    assert P.price_of("stability.sd3-5-large-v1:0") is None
    assert P.cost_of("acme.unknown-model-v1:0", "us-east-1", {"inputTokens": 10}) is None


def test_lookup_through_profiles_and_arns() -> None:
    base = P.price_of(SONNET46, "us-east-1")
    geo = P.price_of("us." + SONNET46, "us-east-1")
    glob = P.price_of("global." + SONNET46, "us-east-1")
    assert base is not None and geo is not None and glob is not None
    assert geo.input_per_1k == pytest.approx(base.input_per_1k * 1.1)  # type: ignore[operator]
    assert glob.input_per_1k == base.input_per_1k == 0.003
    arn = f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{SONNET46}"
    assert P.price_of(arn) == P.price_of("eu." + SONNET46)
    fm_arn = f"arn:aws:bedrock:us-east-1::foundation-model/{LITE}"
    assert P.price_of(fm_arn) == P.price_of(LITE)
    # A geography the table does not list falls back to the foundation model's price.
    assert P.price_of("eu." + LITE) == P.price_of(LITE)
    # ":0" and no version are the same model (as in the lifecycle registry).
    assert P.price_of("amazon.titan-text-express-v1:0") == P.price_of("amazon.titan-text-express-v1")


def test_cost_uses_every_kind_of_token() -> None:
    haiku = "anthropic.claude-haiku-4-5-20251001-v1:0"  # 1 / 5 / 0.1 / 1.25 USD per 1M
    usage = {"inputTokens": 1000, "outputTokens": 2000, "cacheReadInputTokens": 10_000,
             "cacheWriteInputTokens": 4000, "totalTokens": 17_000}
    assert P.cost_of(haiku, "us-east-1", usage) == pytest.approx((1000 * 1 + 2000 * 5 + 10_000 * 0.1 + 4000 * 1.25) / 1e6)
    anthropic_keys = {"input_tokens": 1000, "output_tokens": 2000, "cache_read_input_tokens": 10_000,
                      "cache_creation_input_tokens": 4000}
    assert P.cost_of(haiku, None, anthropic_keys) == P.cost_of(haiku, "us-east-1", usage)
    # Nova lists no cache-write price: usage with cache writes has an unknown cost, not a low one.
    assert P.cost_of(LITE, None, {"inputTokens": 10, "cacheWriteInputTokens": 5}) is None
    assert P.cost_of(LITE, None, {"inputTokens": 10, "cacheWriteInputTokens": 0}) == pytest.approx(10 * 0.06 / 1e6)
    assert P.cost_of(LITE, None, {}) == 0.0
    assert P.cost_of(LITE, None, {"inputTokens": True, "outputTokens": "9"}) == 0.0  # bad values ignored


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 10**7))
def test_cost_is_linear_and_non_negative(i: int, o: int, r: int, w: int) -> None:
    p = P.price_of("anthropic.claude-opus-4-5-20251101-v1:0")
    assert p is not None
    c = p.cost(i, o, r, w)
    assert c is not None and c >= 0 and math.isfinite(c)
    assert c == pytest.approx(sum(p.cost(*(n if k == j else 0 for k, n in enumerate((i, o, r, w)))) or 0.0
                                  for j in range(4)))


def _write_cache(tmp_path: Path, entries: list[dict[str, Any]]) -> None:
    path = tmp_path / "cache" / P.PRICE_CACHE_FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema": P.CACHE_SCHEMA, "schema_version": 1, "synced_at": "2026-12-01T00:00:00Z",
                                "entries": entries}))


def test_precedence_overrides_then_synced_then_bundled(tmp_path: Path) -> None:
    _write_cache(tmp_path, [
        {"model_id": LITE, "regions": ["eu-west-1"], "input_per_1k": 0.0001, "output_per_1k": 0.0002,
         "cache_read_per_1k": None, "cache_write_per_1k": None, "as_of": "2026-12-01"},
    ])
    table = P.default_table()
    eu = table.price_of(LITE, "eu-west-1")
    assert eu is not None and eu.source == "price-list-api" and eu.input_per_1k == 0.0001
    us = table.price_of(LITE, "us-east-1")
    assert us is not None and us.source == "bundled"  # the synced entry is eu-west-1's only
    table = P.default_table(overrides={LITE: {"input_per_1k": 0.5, "output_per_1k": 1.0}})
    for region in ("eu-west-1", "us-east-1", None):
        got = table.price_of(LITE, region)
        assert got is not None and got.source == "config" and got.input_per_1k == 0.5
    assert table.cost_of("us." + LITE, "us-east-1", {"inputTokens": 1000}) == 0.5


def test_a_bad_cache_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "cache" / P.PRICE_CACHE_FILENAME
    path.parent.mkdir(parents=True)
    for junk in ("{", "[]", json.dumps({"schema": "other"}), json.dumps({"schema": P.CACHE_SCHEMA, "schema_version": 1,
                                                                        "entries": [{"model_id": LITE, "input_per_1k": -1}]})):
        path.write_text(junk)
        got = P.default_table().price_of(LITE)
        assert got is not None and got.source == "bundled"


def test_overrides_from_the_configuration() -> None:
    from bedrock_lifecycle.config import load_config
    from bedrock_lifecycle.errors import ConfigError

    cfg = load_config({"prices": {LITE: {"input_per_1k": 0.001, "output_per_1k": 0.002, "cache_read_per_1k": 0.0001}}})
    table = P.default_table(overrides=cfg.prices)
    assert table.cost_of(LITE, None, {"inputTokens": 1000, "cacheReadInputTokens": 1000}) == pytest.approx(0.0011)
    with pytest.raises(ConfigError, match="prices"):
        load_config({"prices": {"chat": {"input_per_1k": 1, "output_per_1k": 1}}})
    with pytest.raises(ConfigError, match="input_per_1k"):
        load_config({"prices": {LITE: {"input_per_1k": -1, "output_per_1k": 1}}})


def product(name: str, region: str, kind: str, usd: str, unit: str = "1K tokens", **extra: str) -> str:
    return json.dumps({
        "product": {"productFamily": "Amazon Bedrock", "attributes": {
            "model": name, "regionCode": region, "inferenceType": kind, "usagetype": f"X-{kind}", **extra}},
        "terms": {"OnDemand": {"T1": {"priceDimensions": {"D1": {"unit": unit, "pricePerUnit": {"USD": usd}}}}}},
    })


def test_price_list_products_become_per_region_prices() -> None:
    names, ids = P._lifecycle_names()
    index = P.name_index(names, ids)
    products = [
        product("Nova Lite", "us-east-1", "Input tokens", "0.00006"),
        product("Nova Lite", "us-east-1", "Output tokens", "0.00024"),
        product("Nova Lite", "us-east-1", "Cache read input tokens", "0.000015"),
        product("Nova Lite", "eu-west-1", "Input tokens", "0.078", unit="1M tokens"),
        product("Nova Lite", "eu-west-1", "Output tokens", "0.312", unit="1M tokens"),
        product("Nova Lite", "us-east-1", "Input tokens", "0.00003", usagetype="USE1-NovaLite-batch-input"),
        product("Claude 3.5 Sonnet v2", "us-west-2", "Input tokens", "0.003"),
        product("Claude 3.5 Sonnet v2", "us-west-2", "Output tokens", "0.015"),
        product("Totally New Model", "us-east-1", "Input tokens", "1"),
        "not json",
    ]
    prices, unmatched = P.prices_from_products(products, index, "2026-12-01")
    by_key = {(p.model_id, next(iter(p.regions or {""}))): p for p in prices}
    us = by_key[(LITE, "us-east-1")]
    assert (us.input_per_1k, us.output_per_1k, us.cache_read_per_1k, us.cache_write_per_1k) == (0.00006, 0.00024, 0.000015, None)
    eu = by_key[(LITE, "eu-west-1")]
    assert (eu.input_per_1k, eu.output_per_1k) == (0.000078, 0.000312)
    assert by_key[("anthropic.claude-3-5-sonnet-20241022-v2:0", "us-west-2")].output_per_1k == 0.015
    assert unmatched == ["Totally New Model"]
    table = P.PriceTable(prices)
    assert table.cost_of(LITE, "eu-west-1", {"inputTokens": 1000}) == pytest.approx(0.000078)


def test_cache_file_mode(tmp_path: Path) -> None:
    class Pages:
        def paginate(self, **kw: Any) -> list[dict[str, Any]]:
            assert kw["ServiceCode"] == "AmazonBedrock"
            return [{"PriceList": [product("Nova Lite", "us-east-1", "Input tokens", "0.00006")]},
                    {"PriceList": [product("Nova Lite", "us-east-1", "Output tokens", "0.00024")]}]

    class Client:
        def get_paginator(self, name: str) -> Pages:
            assert name == "get_products"
            return Pages()

    report = P.sync_prices(Client(), cache_dir=tmp_path / "c")
    assert report.written and report.error is None and report.models == 1 and report.products == 2
    path = tmp_path / "c" / P.PRICE_CACHE_FILENAME
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert P.default_table(cache_dir=tmp_path / "c").price_of(LITE, "us-east-1").source == "price-list-api"  # type: ignore[union-attr]


# ------------------------------------------------------------------ sync --prices over HTTP


def test_sync_prices_command_end_to_end(local_bedrock_env: Any, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from bedrock_lifecycle.cli import main

    bedrock = local_bedrock_env
    bedrock.add_price("Nova Lite", "us-east-1", "Input tokens", 0.00006)
    bedrock.add_price("Nova Lite", "us-east-1", "Output tokens", 0.00024)
    bedrock.add_price("Nova Lite", "eu-west-1", "Input tokens", 0.078, unit="1M tokens")
    bedrock.add_price("Nova Lite", "eu-west-1", "Output tokens", 0.312, unit="1M tokens")
    bedrock.add_price("Nova Lite", "us-east-1", "Input tokens", 0.00003, usagetype="USE1-NovaLite-batch-input")
    bedrock.add_price("Claude 3 Haiku", "us-east-1", "Input tokens", 0.00025)
    bedrock.add_price("Claude 3 Haiku", "us-east-1", "Output tokens", 0.00125)
    bedrock.add_price("Claude 3 Haiku", "us-east-1", "Cache read input tokens", 0.000025)
    for i in range(150):  # more than one page of GetProducts
        bedrock.add_price(f"Made Up Model {i}", "us-east-1", "Input tokens", 0.001)
    cache = tmp_path / "pc"
    assert main(["sync", "--prices", "--cache-dir", str(cache), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["products"] == 158 and report["models"] == 2 and report["regions"] == 2 and report["written"]
    assert len(report["unmatched"]) == 150
    assert bedrock.calls(operation="GetProducts") == 2
    path = cache / P.PRICE_CACHE_FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    table = P.default_table(cache_dir=cache)
    eu = table.price_of("eu." + LITE, "eu-west-1")
    assert eu is not None and eu.source == "price-list-api" and eu.input_per_1k == pytest.approx(0.000078)
    haiku = table.price_of("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1")
    assert haiku is not None and (haiku.input_per_1k, haiku.cache_read_per_1k) == (0.00025, 0.000025)
    assert table.price_of(LITE, "ap-south-1").source == "bundled"  # type: ignore[union-attr]

    # A failed read keeps the previous cache and exits 1 with one line.
    before = path.read_bytes()
    bedrock.fail_pricing("AccessDeniedException")
    assert main(["sync", "--prices", "--cache-dir", str(cache)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: AccessDeniedException") and "previous price cache" in err
    assert path.read_bytes() == before
    assert main(["sync", "--prices", "--region", "us-east-1"]) == 2
    assert "takes no --region" in capsys.readouterr().err


def test_empty_price_list_keeps_the_cache(local_bedrock_env: Any, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from bedrock_lifecycle.cli import main

    assert main(["sync", "--prices", "--cache-dir", str(tmp_path)]) == 1
    assert "no on-demand token price" in capsys.readouterr().err
    assert not (tmp_path / P.PRICE_CACHE_FILENAME).exists()
