"""The async client's cost next to plain aiobotocore, measured side by side in one run.

1. ``converse`` one at a time over HTTP to the local Bedrock (its own process): plain
   aiobotocore vs the lifecycle client (model ID, alias) from a config file.
2. 1,000 concurrent calls on one event loop: throughput of each.

Run: ``python3 dev.py bench async``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import warnings
from typing import Any

from bench._util import report, server_process

MODEL = "anthropic.claude-sonnet-4-6"
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]


async def _clients(url: str) -> tuple[Any, Any, list[Any]]:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    import bedrock_lifecycle

    kw = dict(region_name="us-east-1", endpoint_url=url, aws_access_key_id="bench", aws_secret_access_key="bench",
              config=AioConfig(retries={"total_max_attempts": 1}, max_pool_connections=100))
    ctxs = [get_session().create_client("bedrock-runtime", **kw) for _ in range(2)]
    plain, raw = [await c.__aenter__() for c in ctxs]
    path = os.path.join(tempfile.mkdtemp(), "models.toml")
    with open(path, "w") as f:
        f.write(f'[aliases.chat]\ntargets = ["{MODEL}"]\nfallbacks = ["amazon.nova-lite-v1:0"]\n')
    wrapped = bedrock_lifecycle.wrap(raw, environ={"BEDROCK_LIFECYCLE_CONFIG": path})  # the documented path
    return plain, wrapped, ctxs


async def _sequential(cases: dict[str, Any], number: int, repeat: int) -> dict[str, float]:
    for fn in cases.values():
        for _ in range(20):
            await fn()
    samples: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeat):
        for name, fn in cases.items():
            t0 = time.perf_counter_ns()
            for _ in range(number):
                await fn()
            samples[name].append((time.perf_counter_ns() - t0) / number)
    return {k: statistics.median(v) for k, v in samples.items()}


async def _concurrent(fn: Any, n: int) -> float:
    """Calls per second for ``n`` calls started at once."""
    t0 = time.perf_counter()
    await asyncio.gather(*(fn() for _ in range(n)))
    return n / (time.perf_counter() - t0)


async def run(number: int = 50, repeat: int = 15, concurrent: int = 1000, rounds: int = 5) -> None:
    with server_process() as url:
        plain, wrapped, ctxs = await _clients(url)
        try:
            cases = {
                "plain aiobotocore": lambda: plain.converse(modelId=MODEL, messages=MESSAGES),
                "lifecycle (model ID)": lambda: wrapped.converse(modelId=MODEL, messages=MESSAGES),
                "lifecycle (alias)": lambda: wrapped.converse(modelId="chat", messages=MESSAGES),
            }
            medians = await _sequential(cases, number, repeat)
            report("async converse over HTTP to the local Bedrock (separate process): µs per call",
                   medians, "plain aiobotocore")
            tp: dict[str, list[float]] = {"plain aiobotocore": [], "lifecycle (alias)": []}
            for _ in range(rounds):  # interleaved rounds, medians
                tp["plain aiobotocore"].append(await _concurrent(cases["plain aiobotocore"], concurrent))
                tp["lifecycle (alias)"].append(await _concurrent(cases["lifecycle (alias)"], concurrent))
            base = statistics.median(tp["plain aiobotocore"])
            print(f"\n== {concurrent} concurrent calls on one event loop: calls per second (median of {rounds})")
            for name, values in tp.items():
                m = statistics.median(values)
                print(f"  {name:<40} {m:10.0f} /s  throughput ratio {m / base:.3f}")
        finally:
            for c in ctxs:
                await c.__aexit__(None, None, None)


def main() -> None:
    warnings.simplefilter("ignore")
    asyncio.run(run())


if __name__ == "__main__":
    main()
