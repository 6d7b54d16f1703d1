"""Fault-injection soak: thousands of calls through the routed client against the local
Bedrock with throttles, 5xx, timeouts and EOL answers injected across targets.

Reports calls served, calls failed with a documented error (a botocore ``ClientError``
carrying ``.attempts``), calls lost (anything else: must be 0), and the added latency of
routing (p50/p99 of the time the library spent outside the wire).
"""

from __future__ import annotations

import random
import statistics
import threading
import time
import warnings
from collections import Counter
from typing import Any

from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

TARGETS = ["amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0", "anthropic.claude-sonnet-4-6"]
FALLBACK = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "soak"}]}]
FAULTS = [
    ("ThrottlingException", 0.10),
    ("ServiceUnavailableException", 0.04),
    ("InternalServerException", 0.03),
    ("ModelTimeoutException", 0.02),
    ("ModelNotReadyException", 0.02),
]


def main(calls: int = 4000, threads: int = 8, seed: int = 1234) -> dict[str, Any]:
    import bedrock_lifecycle
    from bedrock_lifecycle.testing import LocalBedrock

    warnings.simplefilter("ignore")
    rng = random.Random(seed)
    config = {
        "aliases": {"chat": {"targets": [{"model": m, "weight": w} for m, w in zip(TARGETS, (70, 20, 10), strict=True)],
                             "fallbacks": [FALLBACK]}},
        "routing": {"max_attempts_per_target": 2, "backoff_initial_seconds": 0.001, "backoff_max_seconds": 0.005,
                    "cooldown_after_failures": 5, "cooldown_seconds": 0.05, "deadline_seconds": 5},
    }
    outcomes: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    added: list[float] = []
    lost: list[str] = []
    lock = threading.Lock()

    with LocalBedrock() as bedrock:
        client = bedrock_lifecycle.wrap(
            bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}, read_timeout=0.5)),
            config=config, environ={})
        # One target answers like an EOL model for the whole run (the service's own message).
        bedrock.eol(TARGETS[2])
        # Random faults: a script per call, drawn up front so the run is reproducible.
        plan: list[tuple[str, str] | None] = []
        for _ in range(calls * 2):
            r = rng.random()
            acc = 0.0
            pick = None
            for code, p in FAULTS:
                acc += p
                if r < acc:
                    pick = (rng.choice([*TARGETS[:2], FALLBACK]), code)
                    break
            plan.append(pick)
        timeouts = max(1, calls // 500)  # a few real read timeouts (server holds the answer)
        it = iter(plan)
        plan_lock = threading.Lock()

        def one() -> None:
            with plan_lock:
                fault = next(it, None)
            if fault is not None:
                model, code = fault
                bedrock.fail(model, code, times=1)
            t0 = time.perf_counter()
            try:
                r = client.converse(modelId="chat", messages=MESSAGES)
                wall = time.perf_counter() - t0
                wire = sum(a["duration_ms"] for a in r["ResponseMetadata"]["BedrockLifecycle"]["attempts"]) / 1000
                with lock:
                    outcomes["served"] += 1
                    added.append(max(0.0, wall - wire))
            except ClientError as exc:
                with lock:
                    if getattr(exc, "attempts", None):
                        outcomes["failed (documented)"] += 1
                        codes[exc.response["Error"]["Code"]] += 1
                    else:
                        lost.append(repr(exc))
            except Exception as exc:
                with lock:
                    lost.append(repr(exc))

        for _ in range(timeouts):
            bedrock.delay(TARGETS[0], 1.0, times=1)

        per = calls // threads

        def worker() -> None:
            for _ in range(per):
                one()

        t0 = time.perf_counter()
        ts = [threading.Thread(target=worker) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        elapsed = time.perf_counter() - t0
        wire_calls = bedrock.calls()

    total = per * threads
    added.sort()
    p50 = statistics.median(added) * 1e6 if added else 0.0
    p99 = added[int(len(added) * 0.99) - 1] * 1e6 if added else 0.0
    print(f"\n== fault-injection soak: {total} calls, {threads} threads, {elapsed:.1f} s, {wire_calls} requests on the wire")
    print(f"  served                     {outcomes['served']}")
    print(f"  failed with documented err {outcomes['failed (documented)']}  {dict(codes)}")
    print(f"  lost                       {len(lost)}")
    print(f"  routing added latency      p50 {p50:.0f} µs   p99 {p99:.0f} µs (includes backoff sleeps)")
    if lost:
        print("  lost examples:", lost[:3])
    assert outcomes["served"] + outcomes["failed (documented)"] + len(lost) == total
    return {"served": outcomes["served"], "failed": outcomes["failed (documented)"], "lost": len(lost),
            "p50_us": p50, "p99_us": p99}


if __name__ == "__main__":
    main()
