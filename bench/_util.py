"""Helpers shared by the benchmarks: interleaved timing runs, medians, ratios, and the local
Bedrock in its own process (plain, or scripted over a pipe)."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
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


def _url_of(proc: subprocess.Popen[str]) -> str:
    """The endpoint a started local Bedrock prints as the last word of its first line."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = line.rsplit(" ", 1)[-1].strip()
    if not url.startswith("http://"):
        raise RuntimeError(f"local Bedrock did not start: {line!r}")
    return url


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
        yield _url_of(proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


_CONTROLLED = r"""
import json, sys, threading
from bedrock_lifecycle.testing import LocalBedrock

b = LocalBedrock(record=RECORD).start()
print("local Bedrock at", b.endpoint_url, flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    op, args, kwargs = cmd["op"], cmd.get("args", []), cmd.get("kwargs", {})
    if op == "records":  # (header value, model, operation, status, error code) per request
        name = kwargs["header"]
        rows = [[r.headers.get(name), r.model_id, r.operation, r.status, r.error_code] for r in b.requests]
        with open(kwargs["path"], "w") as f:
            json.dump(rows, f)
        result = len(rows)
    else:
        result = getattr(b, op)(*args, **kwargs)
    if cmd.get("reply"):
        print(json.dumps(result), flush=True)
"""


class Controlled:
    """A local Bedrock in its own process, scripted over a pipe (:func:`controlled_server`)."""

    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc = proc
        self.url = url
        self._lock = threading.Lock()

    def send(self, op: str, *args: object, **kwargs: object) -> None:
        """Call ``LocalBedrock.<op>(*args, **kwargs)`` in the server process, without waiting."""
        self._write({"op": op, "args": args, "kwargs": kwargs})

    def call(self, op: str, *args: object, **kwargs: object) -> object:
        """The same, waiting for the result (JSON)."""
        with self._lock:
            self._write_locked({"op": op, "args": args, "kwargs": kwargs, "reply": True})
            assert self.proc.stdout is not None
            return json.loads(self.proc.stdout.readline())

    def records(self, header: str) -> list[list[object]]:
        """Every request the server saw: [header value, model, operation, status, error code]."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "records.json")
            self.call("records", header=header, path=path)
            with open(path) as f:
                rows: list[list[object]] = json.load(f)
        return rows

    def _write(self, cmd: dict[str, object]) -> None:
        with self._lock:
            self._write_locked(cmd)

    def _write_locked(self, cmd: dict[str, object]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()


@contextlib.contextmanager
def controlled_server(*, record: bool = True) -> Iterator[Controlled]:
    """Like :func:`server_process`, with a pipe to script the server while it runs (faults
    injected by the process under test land in the server's queues) and to read its request
    record back."""
    script = _CONTROLLED.replace("RECORD", repr(record))
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        yield Controlled(proc, _url_of(proc))
    finally:
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()  # the server's loop ends
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=10)
