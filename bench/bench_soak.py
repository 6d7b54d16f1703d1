"""Fault-injection soak: many calls from 16 threads through a routed alias against the local
Bedrock (in its own process) with about 30 % of calls injecting a fault of every kind.

``python -m bench soak`` runs 5,000 calls (CI-sized); ``--full`` runs 100,000; ``--calls N``
and ``--threads N`` set them. Faults are scripted into the server as the run goes, each on
the next request to any model (``"*"``): throttles, 5xx, not-ready, EOL answers (the
service's own message), read timeouts (the server holds the answer past the client's read
timeout), connection resets (RST, no answer) and mid-stream errors (on ConverseStream
calls, a quarter of the calls). One target also answers like an EOL model throughout.

Every request carries its call's ID in a header, so the server's record can be checked
against what the client says it did. Reported:

- served; failed with a documented error (an exception carrying ``.attempts``), by code;
- lost: a call that neither returned nor raised a documented error (or never finished);
- duplicate sends: requests the server saw beyond those in the call's ``attempts``;
- attempts mismatches: calls whose attempts on the wire (models, in order) differ from
  the server's record of that call;
- p50/p99 of served calls' wall time, and of the library's own time (wall minus wire);
- RSS of this process at start (client built) and end.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import resource
import sys
import threading
import time
import warnings
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config as BotoConfig

from bench._util import Controlled, controlled_server

TARGETS = ["amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0", "anthropic.claude-sonnet-4-6"]
FALLBACK = "amazon.nova-micro-v1:0"
MODELS = [*TARGETS, FALLBACK]
MESSAGES = [{"role": "user", "content": [{"text": "soak"}]}]
HEADER = "x-soak-call"
READ_TIMEOUT = 0.5
STREAM_SHARE = 0.25
SHORT, FULL = 5_000, 100_000

# (kind, share of calls that inject it). About 30 % of calls inject one fault.
FAULTS: list[tuple[str, float]] = [
    ("throttle", 0.08),
    ("5xx", 0.06),
    ("not-ready", 0.03),
    ("eol-answer", 0.03),
    ("read-timeout", 0.02),
    ("connection-reset", 0.04),
    ("mid-stream", 0.04),
]


def inject(server: Controlled, kind: str, rng: random.Random) -> None:
    from bedrock_lifecycle.testing.wire import EOL_MESSAGE

    if kind == "throttle":
        server.send("fail", "*", "ThrottlingException")
    elif kind == "5xx":
        server.send("fail", "*", rng.choice(["InternalServerException", "ServiceUnavailableException"]))
    elif kind == "not-ready":
        server.send("fail", "*", "ModelNotReadyException")
    elif kind == "eol-answer":
        server.send("fail", "*", "ResourceNotFoundException", message=EOL_MESSAGE)
    elif kind == "read-timeout":
        server.send("delay", "*", READ_TIMEOUT * 1.6, times=1)
    elif kind == "connection-reset":
        server.send("reset_connection", "*")
    elif kind == "mid-stream":
        server.send("stream_error", "*", rng.choice(["modelStreamErrorException", "throttlingException"]),
                    after_events=2)
    else:  # pragma: no cover
        raise ValueError(kind)


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    attempt_codes: Counter[str] = field(default_factory=Counter)  # every failed attempt, client's view
    lost: list[str] = field(default_factory=list)
    # Compact, so the RSS at the end is the library's more than this bookkeeping's:
    wall: array[float] = field(default_factory=lambda: array("d"))  # served calls, seconds
    own: array[float] = field(default_factory=lambda: array("d"))  # served: wall minus time on the wire
    sent: list[bytes | None] = field(default_factory=list)  # by call number: models on the wire (MODELS indices)
    lock: threading.Lock = field(default_factory=threading.Lock)


def rss_mb() -> float:
    """Resident set size now (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _index(model: Any) -> int:
    return MODELS.index(model) if model in MODELS else 255


def _wire(attempts: Any) -> bytes:
    return bytes(_index(a.get("model")) for a in attempts or () if a.get("outcome") in ("ok", "error"))


def _bookkeeping_mb(tally: Tally) -> float:
    sizes = sys.getsizeof(tally.sent) + sum(sys.getsizeof(b) for b in tally.sent if b is not None)
    return (sizes + tally.wall.buffer_info()[1] * 16) / 2**20


def _count_codes(tally: Tally, attempts: Any) -> None:  # holds tally.lock
    for a in attempts or ():
        if a.get("error_code"):
            tally.attempt_codes[a["error_code"]] += 1


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def run(calls: int = SHORT, threads: int = 16, seed: int = 1234, quiet: bool = False) -> dict[str, Any]:
    """Run the soak; returns its figures (see the module docstring)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifecycle warnings about the EOL target, once per model
        result = _run(calls, threads, seed)
    if not quiet:
        report(result)
    return result


def _run(calls: int, threads: int, seed: int) -> dict[str, Any]:
    import boto3

    import bedrock_lifecycle

    config = {
        "aliases": {"chat": {"targets": [{"model": m, "weight": w} for m, w in zip(TARGETS, (70, 20, 10), strict=True)],
                             "fallbacks": [FALLBACK]}},
        "routing": {"max_attempts_per_target": 2, "backoff_initial_seconds": 0.001, "backoff_max_seconds": 0.005,
                    "cooldown_after_failures": 5, "cooldown_seconds": 0.05, "deadline_seconds": 5},
    }
    tally = Tally()
    local = threading.local()
    ids = itertools.count()
    tally.sent = [None] * calls
    in_flight: dict[int, tuple[str, float]] = {}

    def tag(request: Any, **_: Any) -> None:
        request.headers[HEADER] = getattr(local, "call", "")

    with controlled_server() as server:
        raw = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=server.url,
                           aws_access_key_id="soak", aws_secret_access_key="soak",
                           config=BotoConfig(retries={"total_max_attempts": 1}, read_timeout=READ_TIMEOUT,
                                             connect_timeout=2, max_pool_connections=threads * 2))
        raw.meta.events.register("before-sign.bedrock-runtime", tag)
        client = bedrock_lifecycle.wrap(raw, config=config, environ={})
        server.call("eol", TARGETS[2])  # answers like an EOL model for the whole run
        gc.collect()
        rss_start = rss_mb()

        def one(rng: random.Random) -> None:
            n = next(ids)
            call = local.call = str(n)
            r = rng.random()
            acc = 0.0
            for kind, share in FAULTS:
                acc += share
                if r < acc:
                    inject(server, kind, rng)
                    with tally.lock:
                        tally.injected[kind] += 1
                    break
            stream = rng.random() < STREAM_SHARE
            in_flight[threading.get_ident()] = (call, time.monotonic())
            t0 = time.perf_counter()
            try:
                if stream:
                    resp = client.converse_stream(modelId="chat", messages=MESSAGES)
                    for _ in resp["stream"]:
                        pass
                else:
                    resp = client.converse(modelId="chat", messages=MESSAGES)
                wall = time.perf_counter() - t0
                attempts = resp["ResponseMetadata"]["BedrockLifecycle"]["attempts"]
                wire = sum(a["duration_ms"] or 0.0 for a in attempts) / 1000.0
                with tally.lock:
                    tally.outcomes["served"] += 1
                    tally.wall.append(wall)
                    tally.own.append(max(0.0, wall - wire))
                    tally.sent[n] = _wire(attempts)
                    _count_codes(tally, attempts)
            except Exception as exc:
                attempts = getattr(exc, "attempts", None)
                with tally.lock:
                    if isinstance(attempts, list):
                        tally.outcomes["failed"] += 1
                        resp_err = getattr(exc, "response", None)
                        code = (resp_err or {}).get("Error", {}).get("Code") if isinstance(resp_err, dict) else None
                        tally.codes[code or type(exc).__name__] += 1
                        tally.sent[n] = _wire(attempts)
                        _count_codes(tally, attempts)
                    else:
                        tally.lost.append(f"{call}: {exc!r}")
            finally:
                in_flight.pop(threading.get_ident(), None)
                local.call = ""

        share = [calls // threads + (1 if i < calls % threads else 0) for i in range(threads)]

        def worker(n: int, wseed: int) -> None:
            rng = random.Random(wseed)
            for _ in range(n):
                one(rng)

        t0 = time.perf_counter()
        ts = [threading.Thread(target=worker, args=(n, seed * 1000 + i), daemon=True) for i, n in enumerate(share)]
        for t in ts:
            t.start()
        limit = time.monotonic() + max(120.0, calls * 0.05)  # a watchdog, far above any real run
        for t in ts:
            t.join(max(0.0, limit - time.monotonic()))
        elapsed = time.perf_counter() - t0
        hung = [f"{call}: still running after {time.monotonic() - started:.0f} s"
                for call, started in list(in_flight.values())]
        gc.collect()
        rss_end = rss_mb()
        bookkeeping = _bookkeeping_mb(tally)
        records = server.records(HEADER)

    # The server's record, per call, against the client's attempts.
    seen: dict[int, bytearray] = {}
    untagged = 0
    for call_id, model, _op, _status, _code in records:
        if not call_id:
            untagged += 1
            continue
        seen.setdefault(int(str(call_id)), bytearray()).append(_index(model))
    answered = Counter(str(code) for _c, model, _o, _s, code in records if code and model != TARGETS[2])
    eol_target = sum(1 for _c, model, *_ in records if model == TARGETS[2])
    duplicates = mismatches = 0
    for n, client in enumerate(tally.sent):
        client_side, server_side = client or b"", bytes(seen.pop(n, b""))
        duplicates += max(0, len(server_side) - len(client_side))
        mismatches += client_side != server_side
    duplicates += sum(len(extra) for extra in seen.values())  # requests of no call we made
    # Calls that never ended (hung, or their thread died) are lost too.
    unaccounted = calls - tally.outcomes["served"] - tally.outcomes["failed"] - len(tally.lost)
    lost = tally.lost + hung + [f"{unaccounted - len(hung)} calls never run"] * (unaccounted > len(hung))
    result = {
        "calls": calls, "threads": threads, "seconds": round(elapsed, 1), "requests": len(records),
        "faulted_requests": sum(answered.values()), "answered": dict(answered),  # not the EOL target's
        "eol_target_requests": eol_target, "attempt_codes": dict(tally.attempt_codes),
        "injected": dict(tally.injected), "served": tally.outcomes["served"],
        "failed": tally.outcomes["failed"], "failed_by_code": dict(tally.codes),
        "lost": len(tally.lost) + unaccounted,
        "duplicate_sends": duplicates, "attempts_mismatches": mismatches, "untagged_requests": untagged,
        "p50_ms": _percentile(tally.wall, 0.50) * 1000, "p99_ms": _percentile(tally.wall, 0.99) * 1000,
        "own_p50_us": _percentile(tally.own, 0.50) * 1e6, "own_p99_us": _percentile(tally.own, 0.99) * 1e6,
        "rss_start_mb": round(rss_start, 1), "rss_end_mb": round(rss_end, 1),
        "bookkeeping_mb": round(bookkeeping, 1), "lost_examples": lost[:5],
    }
    return result


def report(r: dict[str, Any]) -> None:
    injected = sum(r["injected"].values())
    print(f"\n== fault-injection soak: {r['calls']:,} calls, {r['threads']} threads, {r['seconds']} s, "
          f"{r['requests']:,} requests on the wire")
    print(f"  faults injected             {injected:,} ({injected / max(1, r['calls']) * 100:.0f} % of calls)  "
          f"{dict(sorted(r['injected'].items()))}")
    print(f"  server's fault answers      {r['faulted_requests']:,}  {dict(sorted(r['answered'].items()))}")
    print(f"  EOL target's answers        {r['eol_target_requests']:,} (it answers like an EOL model throughout)")
    print(f"  failed attempts (client)    {dict(sorted(r['attempt_codes'].items()))}")
    print(f"  served                      {r['served']:,}")
    print(f"  failed, documented error    {r['failed']:,}  {dict(sorted(r['failed_by_code'].items()))}")
    print(f"  lost                        {r['lost']}")
    print(f"  duplicate sends             {r['duplicate_sends']}")
    print(f"  attempts mismatches         {r['attempts_mismatches']}  (untagged requests {r['untagged_requests']})")
    print(f"  served latency              p50 {r['p50_ms']:.1f} ms   p99 {r['p99_ms']:.1f} ms (retries, backoff, "
          "timeouts included)")
    print(f"  library's own time          p50 {r['own_p50_us']:.0f} µs   p99 {r['own_p99_us']:.0f} µs")
    print(f"  RSS                         {r['rss_start_mb']:.1f} MB at start, {r['rss_end_mb']:.1f} MB at end "
          f"(of which this benchmark's own records ≈ {r['bookkeeping_mb']:.1f} MB)")
    for example in r["lost_examples"]:
        print("  lost:", example)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="bench soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--full", action="store_true", help=f"{FULL:,} calls (default {SHORT:,})")
    p.add_argument("--calls", type=int, help="number of calls (overrides --full)")
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--seed", type=int, default=1234)
    args = p.parse_args(argv if argv is not None else [])
    calls = args.calls if args.calls is not None else FULL if args.full else SHORT
    if calls < 1 or args.threads < 1:
        p.error(f"--calls and --threads must be at least 1, got {calls} and {args.threads}")
    result = run(calls, args.threads, args.seed)
    if result["lost"] or result["duplicate_sends"] or result["attempts_mismatches"]:
        sys.exit(1)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
