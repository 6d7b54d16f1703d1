"""Cost of one response's usage (``PriceTable.cost_of``), as the metrics path will call it.

Cases, each a cached (identifier, region) pair after the first call:
- ``price_of(...).cost(ints)``: the memoised lookup and the unrolled arithmetic only;
- ``cost_of(Converse usage)``: the same plus reading the four counts from a usage dict;
- ``cost_of(profile, cache tokens)``: an inference profile with cache reads and writes;
- ``resolve (no memo)``: what every call would pay without the memo (parse + layered lookup).

    python -m bench prices
"""

from __future__ import annotations

from bedrock_lifecycle.lifecycle.prices import PriceTable, bundled_prices, overrides_as_prices
from bench._util import compare, report

MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
PROFILE = "us.anthropic.claude-sonnet-4-6"


def main() -> None:
    table = PriceTable(overrides_as_prices({}), [], bundled_prices())
    usage = {"inputTokens": 812, "outputTokens": 144, "totalTokens": 956}
    cached = {"inputTokens": 40, "outputTokens": 144, "cacheReadInputTokens": 3000, "cacheWriteInputTokens": 512}
    table.cost_of(MODEL, "us-east-1", usage)
    table.cost_of(PROFILE, "us-east-1", cached)

    def no_memo() -> object:
        return table.resolve(MODEL, "us-east-1")

    medians = compare(
        {
            "price_of(...).cost(ints)": lambda: table.price_of(MODEL, "us-east-1").cost(812, 144),  # type: ignore[union-attr]
            "cost_of(Converse usage)": lambda: table.cost_of(MODEL, "us-east-1", usage),
            "cost_of(profile, cache tokens)": lambda: table.cost_of(PROFILE, "us-east-1", cached),
            "resolve (no memo)": no_memo,
        },
        number=20_000,
        repeat=7,
    )
    report("PriceTable: µs per call", medians, "cost_of(Converse usage)")


if __name__ == "__main__":
    main()
