"""What observability costs per call, next to plain boto3 in the same run.

1. Per event: the built-in ``Metrics`` subscriber, each exporter on its own, and building
   an ``AttemptEvent`` (the client's share, paid once any subscriber listens).
2. ``converse`` with botocore's Stubber (no network): plain boto3; wrapped with
   ``BEDROCK_LIFECYCLE_METRICS=off`` (no subscriber: events are not built); wrapped with
   the default built-in metrics; wrapped with metrics + a user hook + the ``log`` and
   ``emf`` exporters writing to a null stream.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from typing import Any

from bench._util import compare, report
from bench.bench_client import MESSAGES, MODEL, _raw, _stubbed

CONFIG = {"aliases": {"chat": {"targets": [MODEL]}}}


def bench_events(number: int = 20_000, repeat: int = 15) -> dict[str, float]:
    from bedrock_lifecycle.observe import exporters
    from bedrock_lifecycle.observe.events import AttemptEvent
    from bedrock_lifecycle.observe.metrics import Metrics

    null = open(os.devnull, "w")  # noqa: SIM115 - kept open for the run
    ev = AttemptEvent("chat", MODEL, "us-east-1", "Converse", "ok", None, 412.5, 120, 48,
                      stop_reason="end_turn", at=time.time())
    err = AttemptEvent("chat", MODEL, "us-east-1", "Converse", "error", "ThrottlingException", 3.1, at=time.time())
    m = Metrics()
    quiet_log = exporters.LogExporter(logging.getLogger("bench.quiet"))  # not enabled for INFO
    loud = logging.getLogger("bench.loud")
    loud.propagate = False
    loud.setLevel(logging.INFO)
    loud.addHandler(logging.StreamHandler(null))
    loud_log = exporters.LogExporter(loud)
    emf = exporters.EmfExporter(stream=null)

    def build() -> Any:
        return AttemptEvent("chat", MODEL, "us-east-1", "Converse", "ok", None, 412.5, 120, 48,
                            role="primary", fallback=False, canary=False, stop_reason="end_turn", at=1.0)

    cases = {
        "Metrics: ok event": lambda: m(ev),
        "Metrics: error event": lambda: m(err),
        "log exporter, logger not enabled": lambda: quiet_log(ev),
        "log exporter, INFO to a null stream": lambda: loud_log(ev),
        "emf exporter (caller's share)": lambda: emf(ev),
        "building an AttemptEvent (client)": build,
    }
    medians = compare(cases, number=number, repeat=repeat, warmup=1000)
    emf.close()
    report("per event: ns shown as µs", medians)
    return medians


def bench_stubber(number: int = 2000, repeat: int = 15) -> dict[str, float]:
    import bedrock_lifecycle
    from bedrock_lifecycle.observe import exporters

    null = open(os.devnull, "w")  # noqa: SIM115 - kept open for the run
    lg = logging.getLogger(exporters.LOGGER_NAME)
    lg.setLevel(logging.INFO)
    lg.propagate = False
    lg.addHandler(logging.StreamHandler(null))
    emf = exporters.get("emf")
    emf.stream = null  # type: ignore[attr-defined]

    plain = _raw()
    off = bedrock_lifecycle.wrap(_raw(), config=CONFIG, environ={"BEDROCK_LIFECYCLE_METRICS": "off"})
    default = bedrock_lifecycle.wrap(_raw(), config=CONFIG, environ={})
    hooked = bedrock_lifecycle.wrap(_raw(), config=CONFIG, environ={})
    with_log = bedrock_lifecycle.wrap(_raw(), config=CONFIG, environ={"BEDROCK_LIFECYCLE_METRICS": "log"})
    with_emf = bedrock_lifecycle.wrap(_raw(), config=CONFIG, environ={"BEDROCK_LIFECYCLE_METRICS": "emf"})
    full = bedrock_lifecycle.wrap(_raw(), config=CONFIG, environ={"BEDROCK_LIFECYCLE_METRICS": "log,emf"})
    hook_calls = [0]

    def hook(ev: Any) -> None:
        hook_calls[0] += 1

    bedrock_lifecycle.subscribe(hook, hooked)
    bedrock_lifecycle.subscribe(hook, full)
    clients = {
        "wrapped, metrics off (no events)": off,
        "wrapped, default metrics": default,
        "wrapped, metrics + a user hook": hooked,
        "wrapped, metrics + log (INFO, null)": with_log,
        "wrapped, metrics + emf (null)": with_emf,
        "wrapped, metrics+hook+log+emf (null)": full,
    }
    total = number * repeat + 200
    _stubbed(plain, total)
    for c in clients.values():
        _stubbed(c, total)

    def case(c: Any) -> Any:
        return lambda: c.converse(modelId="chat", messages=MESSAGES)

    cases = {"plain boto3": lambda: plain.converse(modelId=MODEL, messages=MESSAGES)}
    cases.update({name: case(c) for name, c in clients.items()})
    medians = compare(cases, number=number, repeat=repeat, warmup=100)
    emf.flush()  # type: ignore[attr-defined]
    report("converse with Stubber (no network): µs per call", medians, "plain boto3")
    base = medians["plain boto3"]
    for name, ns in medians.items():
        if name != "plain boto3":
            print(f"  added by {name:<38} {(ns - base) / 1000:6.2f} µs")
    print(f"  of which default metrics (events + Metrics) {(medians['wrapped, default metrics'] - medians['wrapped, metrics off (no events)']) / 1000:6.2f} µs")
    lg.propagate = True
    emf.stream = None  # type: ignore[attr-defined]
    return medians


def main() -> None:
    warnings.simplefilter("ignore")
    bench_events()
    bench_stubber()


if __name__ == "__main__":
    main()
