#!/usr/bin/env python3
"""Build ``bedrock_lifecycle/lifecycle/data/prices.json``: the bundled on-demand price table.

    python3 tools/build_prices.py            # rewrite the file
    python3 tools/build_prices.py --check    # exit 1 when the file is not what this builds

The prices below were transcribed by hand from the public sources in ``SOURCES`` (USD per
1,000,000 tokens, as those sources print them); this script converts them to USD per 1,000
tokens, attaches the source and as-of date to every entry and reports the coverage of the
bundled lifecycle catalogue. A price a source does not give is ``None`` (unknown), never 0.
Only token prices are kept: image, video and per-request prices (rerank, image generation)
are out of scope, so those models stay unpriced.

Keys are model IDs or cross-region inference profile IDs (``us.``, ``eu.``, ``global.`` ...):
for the newer Claude models AWS charges a geographic profile 10 % more than the ``global.``
one, and the sources list those profiles separately. ``regions`` restricts an entry to the
source regions it was published for (None: every region the source does not list apart).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bedrock_lifecycle" / "lifecycle" / "data" / "prices.json"
LIFECYCLE = ROOT / "bedrock_lifecycle" / "lifecycle" / "data" / "lifecycle.json"
BUILD_DATE = "2026-12-01"

SOURCES = {
    "L1": {
        "document": "aws.amazon.com/bedrock/pricing (on-demand token prices)",
        "copy": (
            "LiteLLM's model_prices_and_context_window.json (github.com/BerriAI/litellm) at commit "
            "e1d16f51d14849c1b3decf17cd81a3bcb4863dca, in a generated copy of that file (Apache-2.0); "
            "read 2026-12-01"
        ),
        "url": "https://github.com/BerriAI/litellm/blob/e1d16f51d14849c1b3decf17cd81a3bcb4863dca/model_prices_and_context_window.json",
        "as_of": "2026-12-01",
    },
    "L2": {
        "document": "aws.amazon.com/bedrock/pricing (on-demand token prices)",
        "copy": "LiteLLM's model_prices_and_context_window.json, Cohere-on-Bedrock rows (an earlier commit's diff); read 2026-12-01",
        "url": "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json",
        "as_of": "2026-12-01",
    },
}

# model or profile ID -> (input, output, cache read, cache write) in USD per 1M tokens, source
_CLAUDE_GEOS = ("us", "eu", "au", "jp")
PER_MILLION: dict[str, tuple[tuple[float | None, float | None, float | None, float | None], str]] = {
    # AI21 Labs
    "ai21.j2-mid-v1": ((12.5, 12.5, None, None), "L1"),
    "ai21.j2-ultra-v1": ((18.8, 18.8, None, None), "L1"),
    "ai21.jamba-1-5-large-v1:0": ((2.0, 8.0, None, None), "L1"),
    "ai21.jamba-1-5-mini-v1:0": ((0.2, 0.4, None, None), "L1"),
    "ai21.jamba-instruct-v1:0": ((0.5, 0.7, None, None), "L1"),
    # Writer
    "writer.palmyra-x4-v1:0": ((2.5, 10.0, None, None), "L1"),
    "us.writer.palmyra-x4-v1:0": ((2.5, 10.0, None, None), "L1"),
    "writer.palmyra-x5-v1:0": ((0.6, 6.0, None, None), "L1"),
    "us.writer.palmyra-x5-v1:0": ((0.6, 6.0, None, None), "L1"),
    "writer.palmyra-vision-7b": ((0.15, 0.6, None, None), "L1"),
    # Amazon Nova (cache reads are billed; cache writes are not listed: unknown)
    "amazon.nova-micro-v1:0": ((0.035, 0.14, 0.00875, None), "L1"),
    "apac.amazon.nova-micro-v1:0": ((0.037, 0.148, 0.00925, None), "L1"),
    "amazon.nova-lite-v1:0": ((0.06, 0.24, 0.015, None), "L1"),
    "apac.amazon.nova-lite-v1:0": ((0.063, 0.252, 0.01575, None), "L1"),
    "amazon.nova-pro-v1:0": ((0.8, 3.2, 0.2, None), "L1"),
    "apac.amazon.nova-pro-v1:0": ((0.84, 3.36, 0.21, None), "L1"),
    "amazon.nova-2-lite-v1:0": ((0.3, 2.5, 0.075, None), "L1"),
    "amazon.nova-2-pro-preview-20251202-v1:0": ((1.25, 10.0, 0.3125, None), "L1"),
    "amazon.nova-2-sonic-v1:0": ((0.33, 2.75, None, None), "L1"),
    "amazon.nova-2-multimodal-embeddings-v1:0": ((0.135, 0.0, None, None), "L1"),
    # Amazon Titan (embedding models have no output tokens: 0 is the published price)
    "amazon.titan-text-express-v1": ((1.3, 1.7, None, None), "L1"),
    "amazon.titan-text-lite-v1": ((0.3, 0.4, None, None), "L1"),
    "amazon.titan-text-premier-v1:0": ((0.5, 1.5, None, None), "L1"),
    "amazon.titan-embed-text-v1": ((0.1, 0.0, None, None), "L1"),
    "amazon.titan-embed-g1-text-02": ((0.1, 0.0, None, None), "L1"),
    "amazon.titan-embed-text-v2:0": ((0.02, 0.0, None, None), "L1"),
    # Anthropic
    "anthropic.claude-v1": ((8.0, 24.0, None, None), "L1"),
    "anthropic.claude-v2:1": ((8.0, 24.0, None, None), "L1"),
    "anthropic.claude-instant-v1": ((0.8, 2.4, None, None), "L1"),
    "anthropic.claude-3-opus-20240229-v1:0": ((15.0, 75.0, 1.5, 18.75), "L1"),
    "anthropic.claude-3-5-haiku-20241022-v1:0": ((0.8, 4.0, 0.08, 1.0), "L1"),
    "anthropic.claude-3-5-sonnet-20240620-v1:0": ((3.0, 15.0, 0.3, 3.75), "L1"),
    "anthropic.claude-3-5-sonnet-20241022-v2:0": ((3.0, 15.0, 0.3, 3.75), "L1"),
    "anthropic.claude-3-7-sonnet-20240620-v1:0": ((3.6, 18.0, 0.36, 4.5), "L1"),
    "anthropic.claude-3-7-sonnet-20250219-v1:0": ((3.0, 15.0, 0.3, 3.75), "L1"),
    "anthropic.claude-sonnet-4-20250514-v1:0": ((3.0, 15.0, 0.3, 3.75), "L1"),
    "apac.anthropic.claude-sonnet-4-20250514-v1:0": ((3.0, 15.0, 0.3, 3.75), "L1"),
    "anthropic.claude-opus-4-20250514-v1:0": ((15.0, 75.0, 1.5, 18.75), "L1"),
    "anthropic.claude-opus-4-1-20250805-v1:0": ((15.0, 75.0, 1.5, 18.75), "L1"),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": ((3.0, 15.0, 0.3, 3.75), "L1"),
    "au.anthropic.claude-sonnet-4-5-20250929-v1:0": ((3.3, 16.5, 0.33, 4.125), "L1"),
    "anthropic.claude-haiku-4-5-20251001-v1:0": ((1.0, 5.0, 0.1, 1.25), "L1"),
    "apac.anthropic.claude-haiku-4-5-20251001-v1:0": ((1.1, 5.5, 0.11, 1.375), "L1"),
    "anthropic.claude-opus-4-5-20251101-v1:0": ((5.0, 25.0, 0.5, 6.25), "L1"),
    "anthropic.claude-mythos-preview": ((27.5, 137.5, 2.75, 34.375), "L1"),
    # Cohere
    "cohere.command-text-v14": ((1.5, 2.0, None, None), "L2"),
    "cohere.command-light-text-v14": ((0.3, 0.6, None, None), "L2"),
    "cohere.command-r-v1:0": ((0.5, 1.5, None, None), "L2"),
    "cohere.command-r-plus-v1:0": ((3.0, 15.0, None, None), "L2"),
    "cohere.embed-english-v3": ((0.1, 0.0, None, None), "L2"),
}

# The newer Claude models: the base ID and global. at one price, the geographic profiles
# (us., eu., au., jp.) 10 % more; the source lists every one of them.
_GLOBAL_AND_GEO: dict[str, tuple[float, float, float, float]] = {
    "anthropic.claude-sonnet-4-6": (3.0, 15.0, 0.3, 3.75),
    "anthropic.claude-opus-4-6-v1": (5.0, 25.0, 0.5, 6.25),
    "anthropic.claude-opus-4-7": (5.0, 25.0, 0.5, 6.25),
    "anthropic.claude-opus-4-8": (5.0, 25.0, 0.5, 6.25),
    "anthropic.claude-opus-5": (5.0, 25.0, 0.5, 6.25),
    "anthropic.claude-opus-5-5": (4.0, 20.0, 0.2, 5.0),
    "anthropic.claude-sonnet-5": (2.0, 10.0, 0.2, 2.5),
    "anthropic.claude-fable-5": (10.0, 50.0, 1.0, 12.5),
    "anthropic.claude-fable-5-1": (10.0, 50.0, 0.25, 12.5),
}
# Geographic profiles the source does not list for a model (absent = unknown, not assumed).
_GEO_MISSING = {
    "anthropic.claude-opus-4-6-v1": {"jp"},
    "anthropic.claude-fable-5": {"au", "jp"},
    "anthropic.claude-fable-5-1": {"au", "jp"},
}


def _expand() -> dict[str, tuple[tuple[float | None, float | None, float | None, float | None], str]]:
    out = dict(PER_MILLION)
    for base, prices in _GLOBAL_AND_GEO.items():
        out[base] = (prices, "L1")
        out[f"global.{base}"] = (prices, "L1")
        for geo in _CLAUDE_GEOS:
            if geo in _GEO_MISSING.get(base, set()):
                continue
            out[f"{geo}.{base}"] = (tuple(round(p * 1.1, 6) for p in prices), "L1")  # type: ignore[assignment]
    return out


def _per_1k(v: float | None) -> float | None:
    return None if v is None else round(v / 1000.0, 9)


def build() -> dict[str, object]:
    entries = []
    for model_id, (prices, source) in sorted(_expand().items()):
        inp, out, cread, cwrite = prices
        entries.append({
            "model_id": model_id,
            "regions": None,
            "input_per_1k": _per_1k(inp),
            "output_per_1k": _per_1k(out),
            "cache_read_per_1k": _per_1k(cread),
            "cache_write_per_1k": _per_1k(cwrite),
            "source": source,
            "as_of": SOURCES[source]["as_of"],
        })
    return {
        "schema": "bedrock-lifecycle-prices",
        "schema_version": 1,
        "build_date": BUILD_DATE,
        "generator": "tools/build_prices.py",
        "currency": "USD",
        "unit": "per 1000 tokens, on-demand",
        "sources": SOURCES,
        "entries": entries,
    }


def coverage(doc: dict[str, object]) -> tuple[int, int, dict[str, int]]:
    """(catalogue models priced, catalogue size, priced by source)."""
    life = json.loads(LIFECYCLE.read_text())
    catalogue = set(life["catalogue"]) | {e["model_id"] for e in life["entries"]}
    priced: dict[str, str] = {}
    for e in doc["entries"]:  # type: ignore[attr-defined]
        if e["model_id"] in catalogue:
            priced[e["model_id"]] = e["source"]
    by_source: dict[str, int] = {}
    for s in priced.values():
        by_source[s] = by_source.get(s, 0) + 1
    return len(priced), len(catalogue), by_source


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail when the bundled file differs")
    args = ap.parse_args(argv)
    doc = build()
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    n, total, by_source = coverage(doc)
    if args.check:
        if OUT.read_text() != text:
            print(f"{OUT} is out of date: run python3 tools/build_prices.py", file=sys.stderr)
            return 1
    else:
        OUT.write_text(text)
    print(f"{len(doc['entries'])} price entries; catalogue models priced: {n} of {total} "  # type: ignore[arg-type]
          f"({', '.join(f'{k}: {v}' for k, v in sorted(by_source.items()))})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
