"""Shadow traffic's cost to the caller: p50 latency with and without a slow shadow model.

The local Bedrock runs in its own process (as in bench_client: in-process, server and
client threads would share one GIL), scripted through its Python API because
``python -m bedrock_lifecycle.testing`` has no delay option: the shadow model answers
after 50 ms. Two primaries: one that answers at once (the worst case: the call is all
client CPU, so any GIL contention from the shadow workers shows), and one that takes
20 ms (closer to a real model, still far faster than one).

Cases are measured in interleaved blocks so drift hits them alike; p50 and p90 are over
every call. At sample = 1.0 the shadow pool (4 workers, 64 queued) cannot keep up with a
50 ms shadow at these call rates: it sheds copies, which is the design (the counts are
printed).
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from bench._util import server_process

FAST = "amazon.nova-lite-v1:0"
SLOW = "amazon.nova-micro-v1:0"
SHADOW = "amazon.nova-pro-v1:0"
SHADOW_DELAY = 0.05
SLOW_LATENCY = 0.02
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]

_SERVER = f"""
import threading
from bedrock_lifecycle.testing.server import LocalBedrock
b = LocalBedrock(record=False)
b.delay({SHADOW!r}, {SHADOW_DELAY})
b.reply({SLOW!r}, latency={SLOW_LATENCY})
b.start()
print(b.endpoint_url, flush=True)
threading.Event().wait()
"""


def _config(shadow: bool) -> dict[str, Any]:
    extra = {"shadow": {"model": SHADOW, "sample": 1.0}} if shadow else {}
    return {"aliases": {"fast": {"targets": [FAST], **extra}, "slow": {"targets": [SLOW], **extra}}}


def _client(url: str, shadow: bool) -> Any:
    import bedrock_lifecycle

    raw = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=url,
                       aws_access_key_id="bench", aws_secret_access_key="bench",
                       config=BotoConfig(retries={"total_max_attempts": 1}))
    return bedrock_lifecycle.wrap(raw, config=_config(shadow), environ={})


def _measure(cases: dict[str, Callable[[], object]], *, block: int, rounds: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for fn in cases.values():
        for _ in range(20):
            fn()
    for _ in range(rounds):
        for name, fn in cases.items():
            out = samples[name]
            for _ in range(block):
                t0 = time.perf_counter()
                fn()
                out.append(time.perf_counter() - t0)
    return samples


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0


def bench_shadow(block: int = 50, rounds: int = 20) -> dict[str, float]:
    from bedrock_lifecycle.migrate.shadow import mirror_of

    results: dict[str, float] = {}
    with server_process(_SERVER) as url:
        plain, shadowed = _client(url, False), _client(url, True)
        for alias, label in (("fast", "primary answers at once"), ("slow", f"primary takes {SLOW_LATENCY * 1000:.0f} ms")):
            m = mirror_of(shadowed)
            assert m is not None
            before = m.stats()
            cases: dict[str, Callable[[], object]] = {
                "no shadow": lambda a=alias: plain.converse(modelId=a, messages=MESSAGES),  # type: ignore[misc]
                f"shadow sample=1.0 ({SHADOW_DELAY * 1000:.0f} ms shadow)":
                    lambda a=alias: shadowed.converse(modelId=a, messages=MESSAGES),  # type: ignore[misc]
            }
            samples = _measure(cases, block=block, rounds=rounds)
            after = m.stats()
            print(f"\n== caller latency over HTTP, {label}: {block * rounds} calls per case (ms)")
            base = statistics.median(samples["no shadow"]) * 1000.0
            for name, vals in samples.items():
                p50 = statistics.median(vals) * 1000.0
                print(f"  {name:<36} p50 {p50:7.3f}  p90 {_pct(vals, 0.9):7.3f}  p50 ratio {p50 / base:.3f}")
                results[f"{alias}: {name}"] = p50
            shadow_p50 = results[f"{alias}: shadow sample=1.0 ({SHADOW_DELAY * 1000:.0f} ms shadow)"]
            verdict = "within" if shadow_p50 <= base * 1.05 else "OVER"
            print(f"  caller p50 with shadow {verdict} 5 % of no shadow ({(shadow_p50 / base - 1) * 100:+.1f} %)")
            print(f"  shadow copies: sampled {after['sampled'] - before['sampled']}, "
                  f"sent {after['sent'] - before['sent']}, dropped (pool full) {after['dropped'] - before['dropped']}")
            m.drain(5)
        m = mirror_of(shadowed)
        assert m is not None
        m.close(timeout=2)
    return results


def main() -> None:
    warnings.simplefilter("ignore")
    bench_shadow()


if __name__ == "__main__":
    main()
