"""Built-in metrics: histogram accuracy and bounds, counters, thread safety, merging, and
exact accounting through the real client over HTTP."""

from __future__ import annotations

import math
import random
import sys
import threading
import time
from typing import Any

import pytest
from botocore.config import Config as BotoConfig
from hypothesis import given, settings
from hypothesis import strategies as st

import bedrock_lifecycle
from bedrock_lifecycle.api import runtime_of, wrap
from bedrock_lifecycle.observe import metrics
from bedrock_lifecycle.observe.events import GLOBAL_EVENTS, AttemptEvent
from bedrock_lifecycle.observe.metrics import (
    MAX_BUCKETS,
    RELATIVE_ACCURACY,
    Histogram,
    Metrics,
    merge_documents,
)
from bedrock_lifecycle.observe.names import NO_ALIAS
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import MESSAGES, NOVA_LITE, NOVA_MICRO, NOVA_PRO, RETIRING, StaticRegistry, at

TOL = 1e-9  # float slack at bucket boundaries


def ev(outcome: str = "ok", *, alias: str | None = "chat", model: str = NOVA_LITE, code: str | None = None,
       latency: float = 10.0, tin: int | None = None, tout: int | None = None, **kw: Any) -> AttemptEvent:
    return AttemptEvent(alias, model, "us-east-1", "Converse", outcome, code, latency, tin, tout,
                        at=kw.pop("at_", time.time()), **kw)


def exact(values: list[float], q: float) -> float:
    return sorted(values)[int(q * (len(values) - 1))]


def assert_close(est: float | None, want: float) -> None:
    assert est is not None
    assert abs(est - want) <= RELATIVE_ACCURACY * want + TOL, (est, want)


# ----------------------------------------------------------------------------- histogram


@pytest.mark.parametrize("dist", ["lognormal", "uniform", "bimodal", "constant"])
def test_percentiles_within_the_bucket_error_on_random_data(dist: str) -> None:
    rng = random.Random(dist)
    gen = {
        "lognormal": lambda: rng.lognormvariate(5, 1.5),
        "uniform": lambda: rng.uniform(0.5, 30_000),
        "bimodal": lambda: rng.gauss(40, 3) if rng.random() < 0.9 else rng.gauss(4000, 500),
        "constant": lambda: 123.456,
    }[dist]
    values = [max(0.01, gen()) for _ in range(20_000)]
    h = Histogram()
    for v in values:
        h.add(v)
    for q in (0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0):
        assert_close(h.quantile(q), exact(values, q))
    s = h.summary()
    assert s["count"] == len(values)
    assert s["min"] == round(min(values), 3) and s["max"] == round(max(values), 3)
    assert abs(s["mean"] - sum(values) / len(values)) < 1e-3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.002, max_value=5e6, allow_nan=False), min_size=1, max_size=300),
       st.floats(min_value=0.0, max_value=1.0))
def test_any_quantile_of_any_data_is_within_the_relative_error(values: list[float], q: float) -> None:
    h = Histogram()
    for v in values:
        h.add(v)
    assert_close(h.quantile(q), exact(values, q))


def test_sub_microsecond_and_huge_values_are_clamped_not_lost() -> None:
    h = Histogram()
    for v in (0.0, 0.0005, 5.0, 1e9):
        h.add(v)
    assert h.count == 4 and h.zero == 2
    assert h.quantile(0.0) == 0.0
    top = h.quantile(1.0)  # clamped into the last bucket (about 2.8 h): counted, not exact
    assert top is not None and top >= metrics.MAX_MS * (1 - RELATIVE_ACCURACY)
    assert Histogram().quantile(0.5) is None


def test_memory_is_bounded_whatever_the_values() -> None:
    rng = random.Random(7)
    h = Histogram()
    for _ in range(200_000):
        h.add(10 ** rng.uniform(-7, 10))  # 17 decades, beyond both clamps
    assert h.count == 200_000
    assert len(h.buckets) <= MAX_BUCKETS - 1
    assert MAX_BUCKETS < 1200  # about 10 KB per series at worst


def test_series_are_capped_and_the_rest_counted_in_overflow() -> None:
    m = Metrics(max_series=10)
    for i in range(50):
        m(ev(alias=f"a{i}"))
    snap = m.snapshot()
    assert len(m._series) == 11
    assert snap[metrics.OVERFLOW][metrics.OVERFLOW]["calls"] == 40
    assert sum(s["calls"] for models in snap.values() for s in models.values()) == 50


# ----------------------------------------------------------------------------- counters


def test_counters_by_outcome_code_and_flags() -> None:
    m = Metrics()
    m(ev("ok", latency=100, tin=10, tout=20))
    m(ev("ok", latency=200, tin=1, tout=2, canary=True))
    m(ev("error", code="ThrottlingException", latency=3))
    m(ev("error", code="ThrottlingException"))
    m(ev("error", code="ValidationException"))
    m(ev("error", code=None))
    m(ev("stream_error", code="ModelStreamErrorException"))
    m(ev("refused", code="ResourceNotFoundException"))
    m(ev("skipped", code="ResourceNotFoundException"))
    m(ev("ok", model=NOVA_MICRO, latency=50, tin=5, tout=6, fallback=True, role="fallback"))
    m(ev("ok", model=NOVA_PRO, latency=70, tin=7, tout=8, shadow=True, role="shadow"))
    m(ev("ok", alias=None, model=NOVA_PRO, latency=1))

    s = m.series("chat", NOVA_LITE)
    assert s is not None
    assert (s["calls"], s["ok"], s["errors"], s["stream_errors"]) == (6, 2, 5, 1)
    assert s["error_codes"] == {"ThrottlingException": 2, "ValidationException": 1, "Unknown": 1,
                                "ModelStreamErrorException": 1}
    assert (s["refused"], s["skipped"], s["canary"], s["fallbacks"], s["shadow"]) == (1, 1, 1, 0, 0)
    assert (s["input_tokens"], s["output_tokens"]) == (11, 22)
    assert s["latency_ms"]["count"] == 2  # successful attempts only
    assert s["latency_ms"]["min"] == 100 and s["latency_ms"]["max"] == 200

    fb = m.series("chat", NOVA_MICRO)
    assert fb is not None and fb["fallbacks"] == 1 and fb["input_tokens"] == 5
    sh = m.series("chat", NOVA_PRO, shadow=True)
    assert sh is not None and sh["shadow"] == 1 and sh["calls"] == 1
    assert m.series("chat", NOVA_PRO) is None  # a shadow copy never blends into a target's series

    snap = m.snapshot()
    assert set(snap["chat"]) == {NOVA_LITE, NOVA_MICRO, f"{NOVA_PRO} (shadow)"}
    assert snap[NO_ALIAS][NOVA_PRO]["calls"] == 1
    assert m.series(None, NOVA_PRO) == m.series(NO_ALIAS, NOVA_PRO)


def test_distinct_error_codes_are_bounded() -> None:
    m = Metrics()
    for i in range(200):
        m(ev("error", code=f"Code{i}"))
    s = m.series("chat", NOVA_LITE)
    assert s is not None and s["errors"] == 200
    assert len(s["error_codes"]) <= 65 and sum(s["error_codes"].values()) == 200


def test_sixteen_threads_exact_counts() -> None:
    m = Metrics()
    per_thread = 3000
    start = threading.Barrier(16)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible

    def work(t: int) -> None:
        start.wait()
        for i in range(per_thread):
            k = i % 4
            if k == 0:
                m(ev("ok", latency=1 + i % 97, tin=1, tout=2))
            elif k == 1:
                m(ev("error", code="ThrottlingException", fallback=True))
            elif k == 2:
                m(ev("ok", model=f"m{t % 4}.model-v1:0", latency=5, canary=True))
            else:
                m(ev("stream_error", code="ModelStreamErrorException"))

    try:
        threads = [threading.Thread(target=work, args=(t,)) for t in range(16)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        sys.setswitchinterval(switch)
    q = per_thread // 4
    s = m.series("chat", NOVA_LITE)
    assert s is not None
    assert s["calls"] == 16 * 2 * q and s["ok"] == 16 * q
    assert s["errors"] == 16 * 2 * q and s["stream_errors"] == 16 * q
    assert s["error_codes"] == {"ThrottlingException": 16 * q, "ModelStreamErrorException": 16 * q}
    assert s["fallbacks"] == 16 * q
    assert (s["input_tokens"], s["output_tokens"]) == (16 * q, 32 * q)
    assert s["latency_ms"]["count"] == 16 * q
    others = [m.series("chat", f"m{i}.model-v1:0") for i in range(4)]
    assert [o["calls"] if o else 0 for o in others] == [4 * q] * 4
    assert all(o is not None and o["canary"] == 4 * q for o in others)


def test_merged_documents_equal_one_process_fed_everything() -> None:
    rng = random.Random(3)
    a, b, both = Metrics(), Metrics(), Metrics()
    for i in range(5000):
        e = ev("ok" if rng.random() < 0.9 else "error", code="ThrottlingException",
               model=rng.choice([NOVA_LITE, NOVA_PRO]), latency=rng.lognormvariate(4, 1), tin=3, tout=4)
        (a if i % 3 else b)(e)
        both(e)
    merged = merge_documents([a.document(), b.document()])
    want = both.snapshot()
    for snap in (merged, want):
        for models in snap.values():
            for s in models.values():
                s.pop("last_at")
                s["latency_ms"].pop("mean")  # float sums in another order
    assert merged == want


def test_per_event_cost_is_small() -> None:
    m = Metrics()
    e = ev("ok", latency=12.5, tin=3, tout=4)
    n = 20_000
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            m(e)
        best = min(best, (time.perf_counter() - t0) / n)
    # Measured about 0.7 µs; the bound only catches an accidental slow path.
    assert best < 100e-6, f"{best * 1e6:.2f} µs per event"  # generous: machine load must not fail it


# ----------------------------------------------------------------------------- through the client




def make(bedrock: LocalBedrock, cfg: dict[str, Any], environ: dict[str, str] | None = None) -> Any:
    raw = bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}))
    return wrap(raw, config=cfg, registry=StaticRegistry(RETIRING), clock=lambda: at("2026-05-01"),
                environ=environ or {}, sleep=lambda s: None)


def test_counts_match_the_server_exactly_with_injected_throttles(bedrock: LocalBedrock) -> None:
    cfg = {"aliases": {"m_chat": {"targets": [{"model": NOVA_LITE, "weight": 3}, {"model": NOVA_PRO, "weight": 1}],
                                  "fallbacks": [NOVA_MICRO]}},
           "routing": {"max_attempts_per_target": 2, "cooldown_after_failures": 1000}}
    c = make(bedrock, cfg)
    for model in (NOVA_LITE, NOVA_PRO, NOVA_MICRO):
        bedrock.reply(model, "hi", input_tokens=7, output_tokens=11)
    bedrock.fail(NOVA_LITE, "ThrottlingException", times=23)
    bedrock.fail(NOVA_PRO, "ServiceUnavailableException", times=5)
    n, failed = 120, 0
    for _ in range(n):
        try:
            c.converse(modelId="m_chat", messages=MESSAGES)
        except c.exceptions.ClientError:
            failed += 1
    snap = bedrock_lifecycle.observe.metrics.snapshot()["m_chat"]
    for model in (NOVA_LITE, NOVA_PRO, NOVA_MICRO):
        assert snap.get(model, {}).get("calls", 0) == bedrock.calls(model), model
        codes: dict[str, int] = {}
        for r in bedrock.requests:
            if r.model_id == model and r.error_code:
                codes[r.error_code] = codes.get(r.error_code, 0) + 1
        assert snap.get(model, {}).get("error_codes", {}) == codes, model
    assert snap[NOVA_LITE]["error_codes"] == {"ThrottlingException": 23}
    assert snap[NOVA_PRO]["error_codes"] == {"ServiceUnavailableException": 5}
    assert sum(s["errors"] for s in snap.values()) == 28
    served = sum(s["ok"] for s in snap.values())
    assert served == n - failed
    assert served > 0 and failed < n
    assert all(s["input_tokens"] == 7 * s["ok"] and s["output_tokens"] == 11 * s["ok"] for s in snap.values())
    assert snap.get(NOVA_MICRO, {}).get("fallbacks", 0) == snap.get(NOVA_MICRO, {}).get("calls", 0)
    # Every attempt on the non-baseline target is a canary attempt, fallback or not.
    assert snap[NOVA_PRO]["canary"] == snap[NOVA_PRO]["calls"] and snap[NOVA_LITE]["canary"] == 0
    assert sum(s["latency_ms"]["count"] for s in snap.values()) == served


def test_stream_error_counts_the_call_once_and_the_error(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"m_stream": {"targets": [NOVA_LITE]}}})
    bedrock.stream_error(NOVA_LITE, "throttlingException", after_events=2, times=1)
    with pytest.raises(c.exceptions.ThrottlingException):
        for _ in c.converse_stream(modelId="m_stream", messages=MESSAGES)["stream"]:
            pass
    s = metrics.series("m_stream", NOVA_LITE)
    assert s is not None
    assert s["calls"] == bedrock.calls(NOVA_LITE) == 1
    assert (s["ok"], s["errors"], s["stream_errors"]) == (1, 1, 1)
    assert s["error_codes"] == {"ThrottlingException": 1}


def test_refusals_are_counted_but_never_as_calls(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"m_old": {"targets": ["anthropic.claude-3-haiku-20240307-v1:0"]}}})
    runtime_of(c).version.clock = lambda: at("2026-10-01")  # past the model's EOL
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.converse(modelId="m_old", messages=MESSAGES)
    s = metrics.series("m_old", "anthropic.claude-3-haiku-20240307-v1:0")
    assert s is not None and s["refused"] == 1 and s["calls"] == 0 == bedrock.calls()


def test_no_double_counting_with_a_global_hook_and_a_second_wrap(bedrock: LocalBedrock) -> None:
    seen: list[AttemptEvent] = []
    unsubscribe = GLOBAL_EVENTS.subscribe(seen.append)
    try:
        c = make(bedrock, {"aliases": {"m_once": {"targets": [NOVA_LITE]}}})
        c = make(bedrock, {"aliases": {"m_once": {"targets": [NOVA_LITE]}}})  # two clients
        metrics.attach(runtime_of(c), {})  # attach again: idempotent
        for _ in range(7):
            c.converse(modelId="m_once", messages=MESSAGES)
    finally:
        unsubscribe()
    s = metrics.series("m_once", NOVA_LITE)
    assert s is not None and s["calls"] == 7 == len(seen) == bedrock.calls(NOVA_LITE)


def test_metrics_are_on_by_default_and_off_builds_no_events(bedrock: LocalBedrock) -> None:
    on = make(bedrock, {"aliases": {"m_on": {"targets": [NOVA_LITE]}}})
    # The built-in metrics take the attempt list directly: still no events are built.
    assert runtime_of(on).plugins["metrics"] is not None and "events" not in runtime_of(on).plugins
    off = make(bedrock, {"aliases": {"m_off": {"targets": [NOVA_LITE]}}},
               environ={"BEDROCK_LIFECYCLE_METRICS": " OFF "})
    assert "events" not in runtime_of(off).plugins  # nothing listens: events are not even built
    assert runtime_of(off).plugins["metrics"] is None and not runtime_of(off).observers
    off.converse(modelId="m_off", messages=MESSAGES)
    on.converse(modelId="m_on", messages=MESSAGES)
    assert metrics.series("m_off", NOVA_LITE) is None
    assert metrics.series("m_on", NOVA_LITE) is not None


def test_shadow_copies_are_their_own_series(bedrock: LocalBedrock) -> None:
    from bedrock_lifecycle.migrate.shadow import mirror_of

    c = make(bedrock, {"aliases": {"m_shadow": {"targets": [NOVA_LITE],
                                                "shadow": {"model": NOVA_PRO, "sample": 1.0}}}})
    for _ in range(5):
        c.converse(modelId="m_shadow", messages=MESSAGES)
    mirror = mirror_of(c)
    assert mirror is not None and mirror.drain(10)
    sh = metrics.series("m_shadow", NOVA_PRO, shadow=True)
    assert sh is not None and sh["calls"] == sh["shadow"] == 5 == bedrock.calls(NOVA_PRO)
    s = metrics.series("m_shadow", NOVA_LITE)
    assert s is not None and s["calls"] == 5 and s["shadow"] == 0
    mirror.close(1)


def test_rollbacks_reach_status_through_the_snapshot_files(tmp_path: Any, capsys: Any, monkeypatch: Any) -> None:
    import json as _json

    from bedrock_lifecycle.cli import main as cli

    monkeypatch.setenv("BEDROCK_LIFECYCLE_CACHE_DIR", str(tmp_path))
    for k in ("BEDROCK_LIFECYCLE_CONFIG", "BEDROCK_LIFECYCLE_METRICS"):
        monkeypatch.delenv(k, raising=False)
    entry = {"alias": "chat", "model": NOVA_PRO, "reason": "error rate 30% vs 0%", "at": "2026-11-25T12:00:00+00:00"}
    monkeypatch.setattr(metrics, "ROLLBACKS", [entry])
    directory = tmp_path / "metrics"
    directory.mkdir()
    doc = metrics.METRICS.document()
    (directory / f"{doc['pid']}.json").write_text(_json.dumps(doc))
    assert cli(["status", "--json"]) == 0
    out = _json.loads(capsys.readouterr().out)
    assert out["metrics"]["rollbacks"][0]["model"] == NOVA_PRO


def test_the_metrics_queue_holds_no_payloads_and_builds_no_record(bedrock: LocalBedrock) -> None:
    """The built-in metrics are a collector: the flow queues a payload-free Summary per call
    (the caller's prompt and the response body are never held until the batch), and with
    no other observer no CallRecord is built at all."""
    from bedrock_lifecycle.core import flow
    from bedrock_lifecycle.core.observer import Summary

    c = make(bedrock, {"aliases": {"m_payload": {"targets": [NOVA_LITE]}}})
    st = runtime_of(c)
    assert st.collector is st.plugins["metrics"] and st.observers.for_calls == ()
    built: list[Any] = []
    real_new = flow._new

    def spy(cls: Any, values: Any) -> Any:
        built.append(cls)
        return real_new(cls, values)

    metrics.METRICS.apply()  # start from an empty queue
    flow._new = spy  # type: ignore[assignment]
    try:
        messages = [{"role": "user", "content": [{"text": "secret prompt 4711"}]}]
        r = c.converse(modelId="m_payload", messages=messages)
    finally:
        flow._new = real_new  # type: ignore[assignment]
    assert built == []  # no CallRecord (nor anything else) built through a constructor
    queued = list(metrics.METRICS.pending)
    assert len(queued) == 1 and len(queued[0]) == len(Summary._fields)
    s = Summary(*queued[0])
    attempt = r["ResponseMetadata"]["BedrockLifecycle"]["attempts"][0]
    assert (s.alias, s.model, s.role, s.ms, s.attempts) == ("m_payload", NOVA_LITE, "primary", attempt["duration_ms"], None)
    assert s.usage == r["usage"] and s.version is st.version and s.version.region == "us-east-1"
    assert all(field is not messages and field is not r and "secret prompt" not in repr(field) for field in s)
    assert metrics.series("m_payload", NOVA_LITE)["ok"] == 1  # type: ignore[index]


def test_an_observer_that_does_not_take_call_records_is_not_called_per_call(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"m_kinds": {"targets": [NOVA_LITE]}}})
    seen: list[str] = []

    class Rare:
        kinds = frozenset({"shadow"})

        def on_call(self, record: Any) -> None:
            seen.append(record.kind)

    class Every:
        def on_call(self, record: Any) -> None:
            seen.append("every:" + record.kind)

    st = runtime_of(c)
    rare, every = Rare(), Every()
    st.observers.add(rare)
    st.observers.add(every)
    assert st.observers.for_calls == (every,)
    c.converse(modelId="m_kinds", messages=MESSAGES)
    assert seen == ["every:call"]
    st.observers.remove(every)
    assert st.observers.items == (st.plugins["metrics"], rare) and st.observers.for_calls == ()


def test_a_collector_that_fails_never_breaks_the_call(bedrock: LocalBedrock, caplog: pytest.LogCaptureFixture) -> None:
    """The flow flushes the collector on the caller's thread; if that raises, the call
    still returns its response and the error is logged."""
    from collections import deque

    class Broken:
        batch = 1

        def __init__(self) -> None:
            self.queue: deque[Any] = deque()

        def flush(self) -> None:
            self.queue.clear()
            raise RuntimeError("collector bug")

    c = make(bedrock, {"aliases": {"m_broken": {"targets": [NOVA_LITE]}}})
    runtime_of(c).collector = Broken()
    bedrock.reply(NOVA_LITE, "still here")
    with caplog.at_level("ERROR", logger="bedrock_lifecycle"):
        r = c.converse(modelId="m_broken", messages=MESSAGES)
    assert r["output"]["message"]["content"][0]["text"] == "still here"
    assert "collector" in caplog.text and "collector bug" in caplog.text


# ----------------------------------------------------------------------------- pricing in the batch

_FULL, _OTHER, _HALF, _NONE = "acme.full-v1:0", "acme.other-v1:0", "acme.half-v1:0", "acme.none-v1:0"


def _tables() -> list[Any]:
    from bedrock_lifecycle.lifecycle.prices import Price, PriceTable

    full = Price(_FULL, 0.25, 1.5, cache_read_per_1k=0.025, regions=frozenset({"us-east-1"}))
    full_eu = Price(_FULL, 0.3, 1.8, regions=frozenset({"eu-west-1"}))  # no cache-read price
    half = Price(_HALF, 0.5, None)  # output price unknown
    return [PriceTable([full, full_eu, half, Price(_OTHER, 0.1, 0.2)]), PriceTable([Price(_FULL, 1.0, 2.0)])]


class _Version:
    def __init__(self, table: Any, region: str, baselines: dict[str, str]) -> None:
        self.prices, self.region, self.baselines = table, region, baselines


_usage = st.one_of(
    st.none(),
    st.fixed_dictionaries({"inputTokens": st.integers(0, 10**6), "outputTokens": st.integers(0, 10**6)}),
    st.fixed_dictionaries({"inputTokens": st.integers(0, 10**4), "outputTokens": st.integers(0, 10**4),
                           "cacheReadInputTokens": st.integers(0, 10**4)}),
    st.fixed_dictionaries({"inputTokens": st.none(), "outputTokens": st.integers(0, 10)}),
)


@settings(max_examples=300, deadline=None)
@given(calls=st.lists(st.tuples(st.sampled_from([_FULL, _OTHER, _HALF, _NONE]), st.sampled_from(["chat", None]),
                                st.integers(0, 2), st.sampled_from(["us-east-1", "eu-west-1"]), _usage),
                      max_size=60),
       batch=st.integers(1, 20), max_series=st.sampled_from([1, 1000]))
def test_batch_pricing_equals_pricing_each_call(calls: list[Any], batch: int, max_series: int) -> None:
    """Plain token counts are priced once per batch and series (the price is linear in
    tokens); cost and ``unpriced`` equal pricing every call on its own, whatever the mix of
    models, regions, price tables (a reloaded version), cache tokens, unknown rates, batch
    sizes and the overflow series (which mixes models)."""
    tables = [*_tables(), None]  # a version without a price table: every call unpriced
    m = Metrics(max_series=max_series, batch=batch)
    want_cost: dict[tuple[str | None, str], float] = {}
    want_unpriced: dict[tuple[str | None, str], int] = {}
    stored: list[tuple[str | None, str]] = []
    want_in: dict[tuple[str | None, str], int] = {}
    for model, alias, t, region, usage in calls:
        v = _Version(tables[t], region, {})
        m.pending.append((alias, model, "primary", 5.0, None, usage, 1_700_000_000 * 10**9, v))
        if len(m.pending) >= batch:
            m.apply()
        key = (alias, model)
        if key not in stored:  # the first max_series series are stored; the rest overflow
            if len(stored) < max_series:
                stored.append(key)
            else:
                key = ("(overflow)", "(overflow)")
        table = tables[t]
        cost = table.cost_of(model, region, usage) if usage and table is not None else None
        if usage and isinstance(usage.get("inputTokens"), int):
            want_in[key] = want_in.get(key, 0) + usage["inputTokens"]
        if cost is None:
            want_unpriced[key] = want_unpriced.get(key, 0) + 1
            want_cost.setdefault(key, 0.0)
        else:
            want_cost[key] = want_cost.get(key, 0.0) + cost
            want_unpriced.setdefault(key, 0)
    m.apply()
    for (alias, model), cost in want_cost.items():
        s = m.series(alias, model)
        assert s is not None
        assert s["unpriced"] == want_unpriced[(alias, model)]
        assert s["input_tokens"] == want_in.get((alias, model), 0)  # counted whether priced or not
        priced = s["ok"] - s["unpriced"]
        if priced:
            assert s["estimated_cost_usd"] == pytest.approx(round(cost, 6), rel=1e-9, abs=2e-6)
        else:
            assert s["estimated_cost_usd"] is None


def test_a_failing_item_leaves_the_batch_priced() -> None:
    """Token counts summed before an item that fails are still priced (the batch settles
    in any case), so no cost is lost with the failed item."""
    table = _tables()[1]
    m = Metrics(batch=100)
    m.pending.append(("chat", _FULL, "primary", 5.0, None, {"inputTokens": 1000, "outputTokens": 500},
                      1_700_000_000 * 10**9, _Version(table, "us-east-1", {})))
    m.pending.append(("chat", _FULL, "primary", 5.0, None, None, 0, object()))  # no version: fails
    with pytest.raises(AttributeError):
        m.apply()
    s = m.series("chat", _FULL)
    assert s is not None and s["ok"] == 1 and s["estimated_cost_usd"] == pytest.approx(1.0 + 1.0)
