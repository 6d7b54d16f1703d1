"""Timing helpers shared by the benchmarks: interleaved runs, medians, ratios."""

from __future__ import annotations

import contextlib
import gc
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator


def per_call_ns(fn: Callable[[], object], *, number: int) -> float:
    """Median-friendly sample: mean ns per call over ``number`` calls."""
    gc_was = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for _ in range(number):
            fn()
        return (time.perf_counter_ns() - t0) / number
    finally:
        if gc_was:
            gc.enable()


def compare(
    cases: dict[str, Callable[[], object]], *, number: int, repeat: int, warmup: int = 50
) -> dict[str, float]:
    """Median ns per call for each case, sampled round-robin so drift hits all cases alike."""
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, fn in cases.items():
            samples[name].append(per_call_ns(fn, number=number))
    return {name: statistics.median(vals) for name, vals in samples.items()}


def report(title: str, medians: dict[str, float], baseline: str | None = None) -> None:
    print(f"\n== {title}")
    base = medians.get(baseline) if baseline else None
    for name, ns in medians.items():
        ratio = f"  ratio {ns / base:.3f}" if base else ""
        print(f"  {name:<40} {ns / 1000:10.2f} µs{ratio}")


@contextlib.contextmanager
def server_process(script: str | None = None) -> Iterator[str]:
    """A local Bedrock in its own process; yields its endpoint URL.

    In-process, server and client threads would share one GIL and the contention noise
    would swamp the microseconds measured. ``script`` (Python source printing the URL as
    the last word of its first line) scripts the server; default: the plain CLI server.
    """
    argv = ["-c", script] if script else ["-m", "bedrock_lifecycle.testing", "--port", "0"]
    proc = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.rsplit(" ", 1)[-1].strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"local Bedrock did not start: {line!r}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
