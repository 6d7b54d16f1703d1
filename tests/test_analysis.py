"""Canary analysis: the pure judgement, and rollback end to end over HTTP."""

from __future__ import annotations

import random
import threading
import warnings
from typing import Any
from urllib.parse import quote

import pytest
from botocore.config import Config as BotoConfig

from bedrock_lifecycle.api import runtime_of, wrap
from bedrock_lifecycle.config import AnalysisConfig
from bedrock_lifecycle.core.flow import META_KEY
from bedrock_lifecycle.errors import CanaryRollbackWarning, ModelLifecycleWarning
from bedrock_lifecycle.migrate.canary import Stats, _Window, analysis_of, judge, p95, restore
from bedrock_lifecycle.migrate.shadow import mirror_of
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import MESSAGES, NOVA_LITE, NOVA_MICRO, NOVA_PRO, StaticRegistry, at

BASE = NOVA_LITE
CANARY = NOVA_PRO
FALLBACK = NOVA_MICRO
CFG = AnalysisConfig(min_calls=50, max_error_rate_increase=0.05, max_p95_latency_ratio=1.5)


# ------------------------------------------------------------------------------ judge


def test_judge_waits_for_min_calls() -> None:
    v = judge(Stats(100, 0, 10.0), Stats(49, 49, None), CFG)
    assert not v.rollback and "49/50" in v.reason
    v = judge(Stats(100, 0, 10.0), Stats(50, 50, None), CFG)
    assert v.rollback and "100.0%" in v.reason and "+5.0" in v.reason


def test_judge_error_rate_boundary_is_not_worse() -> None:
    assert not judge(Stats(100, 5), Stats(100, 10), CFG).rollback  # +5 points == allowed
    assert judge(Stats(100, 5), Stats(100, 11), CFG).rollback
    assert not judge(Stats(100, 20), Stats(100, 10), CFG).rollback  # canary better


def test_judge_baseline_without_calls_or_errors() -> None:
    assert not judge(Stats(0, 0), Stats(100, 5), CFG).rollback  # 0 % baseline, +5 exactly
    assert judge(Stats(0, 0), Stats(100, 6), CFG).rollback
    assert not judge(Stats(200, 0, 5.0), Stats(60, 0, 5.0), CFG).rollback
    strict = CFG.model_copy(update={"max_error_rate_increase": 0.0})
    assert judge(Stats(200, 0), Stats(60, 1), strict).rollback
    assert not judge(Stats(200, 0), Stats(60, 0), strict).rollback


def test_judge_no_division_by_zero() -> None:
    assert not judge(Stats(0, 0), Stats(0, 0), CFG).rollback
    assert not judge(Stats(100, 0, 0.0), Stats(100, 0, 50.0), CFG).rollback  # baseline p95 0
    assert not judge(Stats(100, 0, None), Stats(100, 0, 50.0), CFG).rollback
    assert not judge(Stats(100, 100, None), Stats(100, 100, None), CFG).rollback  # both all errors
    assert Stats(0, 0).error_rate == 0.0


def test_judge_latency_ratio() -> None:
    assert not judge(Stats(100, 0, 100.0), Stats(100, 0, 150.0), CFG).rollback  # x1.5 == allowed
    v = judge(Stats(100, 0, 100.0), Stats(100, 0, 151.0), CFG)
    assert v.rollback and "p95 latency 151.0 ms vs baseline 100.0 ms" in v.reason
    # Too few baseline calls for its p95 to mean anything.
    assert not judge(Stats(49, 0, 100.0), Stats(100, 0, 900.0), CFG).rollback
    assert not judge(Stats(100, 0, 100.0), Stats(40, 0, 900.0), CFG).rollback


def test_judge_in_cooldown_below_min_calls() -> None:
    v = judge(Stats(100, 0, 10.0), Stats(6, 6, None), CFG, in_cooldown=True)
    assert v.rollback and "cooldown" in v.reason
    # Latency still needs min_calls; an error rate within bounds stays.
    assert not judge(Stats(100, 0, 10.0), Stats(6, 0, 900.0), CFG, in_cooldown=True).rollback
    assert not judge(Stats(100, 10, 10.0), Stats(10, 1, None), CFG, in_cooldown=True).rollback


def test_judge_disabled() -> None:
    off = CFG.model_copy(update={"enabled": False})
    assert not judge(Stats(100, 0), Stats(100, 100), off).rollback


def test_p95_nearest_rank_and_window_bound() -> None:
    assert p95([]) is None
    assert p95([5.0]) == 5.0
    assert p95([float(i) for i in range(1, 101)]) == 95.0
    w = _Window(200)
    for _ in range(300):
        w.add(True, 0.0)
    assert (len(w.outcomes), w.errors, len(w.latencies)) == (200, 200, 0)
    for _ in range(150):
        w.add(False, 3.0)
    assert (len(w.outcomes), w.errors, len(w.latencies)) == (200, 50, 150)
    for _ in range(1000):
        w.add(False, 3.0)
    assert (w.errors, len(w.latencies)) == (0, 200)


# ---------------------------------------------------------------------- end to end




def alias_cfg(analysis: dict[str, Any] | None = None, weights: tuple[float, float] = (50, 50),
              routing: dict[str, Any] | None = None, **alias: Any) -> dict[str, Any]:
    return {
        "routing": {"cooldown_after_failures": 1000, **(routing or {})},
        "aliases": {
            "chat": {
                "targets": [{"model": BASE, "weight": weights[0]}, {"model": CANARY, "weight": weights[1]}],
                "fallbacks": [FALLBACK],
                # Latency is judged only where a test scripts it: localhost timings are noise.
                "analysis": {"min_calls": 10, "max_p95_latency_ratio": 1000.0, **(analysis or {})},
                **alias,
            }
        },
    }


def make(bedrock: LocalBedrock, cfg: dict[str, Any], seed: int = 7) -> Any:
    raw = bedrock.runtime_client(config=BotoConfig(retries={"total_max_attempts": 1}))
    return wrap(raw, config=cfg, registry=StaticRegistry(), clock=lambda: at("2026-05-01"),
                environ={}, sleep=lambda s: None, rng=random.Random(seed))


def scripted_latency(client: Any, by_model: dict[str, float]) -> None:
    """Durations through the client's clock, not the machine's: each request advances a
    fake monotonic clock by its model's scripted latency (botocore's before-send event
    fires between the call flow's two clock readings), so load on the machine changes
    nothing."""
    fake = {"t": 1000.0}
    runtime_of(client).monotonic = lambda: fake["t"]

    def advance(request: Any, **_: Any) -> None:
        for model, seconds in by_model.items():
            if quote(model, safe="") in request.url:
                fake["t"] += seconds

    client.meta.events.register("before-send.bedrock-runtime.Converse", advance)


def calls(client: Any, n: int) -> list[str]:
    return [client.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"][META_KEY]["model_id"]
            for _ in range(n)]


def rollback_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, CanaryRollbackWarning)]


def test_failing_canary_is_rolled_back_once(bedrock: LocalBedrock) -> None:
    bedrock.fail(CANARY, "InternalServerException", times=None)
    c = make(bedrock, alias_cfg())
    rt = runtime_of(c)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        served = calls(c, 60)
        assert set(served) == {BASE}  # the caller never saw the canary's failures
        assert rt.weight_overrides == {"chat": {CANARY: 0.0}}
        reached = bedrock.calls(model_id=CANARY)
        assert 10 <= reached <= 12  # rolled back as soon as min_calls failed attempts were seen
        calls(c, 40)
        assert bedrock.calls(model_id=CANARY) == reached  # never reached again
    (text,) = rollback_warnings(caught)
    assert CANARY in text and "'chat'" in text and "error rate 100.0%" in text and BASE in text
    assert issubclass(CanaryRollbackWarning, ModelLifecycleWarning)
    assert next(w for w in caught if issubclass(w.category, CanaryRollbackWarning)).filename == __file__
    (entry,) = rt.rollbacks
    assert (entry["alias"], entry["model"], entry["baseline"]) == ("chat", CANARY, BASE)
    assert "error rate" in entry["reason"] and entry["at"]
    assert entry["stats"]["canary"]["errors"] == entry["stats"]["canary"]["calls"] >= 10
    assert entry["in_cooldown"] is False


def test_rollback_is_logged(bedrock: LocalBedrock, caplog: pytest.LogCaptureFixture) -> None:
    bedrock.fail(CANARY, "InternalServerException", times=None)
    c = make(bedrock, alias_cfg())
    with caplog.at_level("WARNING", logger="bedrock_lifecycle"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calls(c, 60)
    assert [r for r in caplog.records if "rolled back" in r.getMessage() and CANARY in r.getMessage()]


def test_slow_canary_is_rolled_back_on_p95(bedrock: LocalBedrock) -> None:
    c = make(bedrock, alias_cfg({"max_p95_latency_ratio": 2.0}))
    scripted_latency(c, {BASE: 0.005, CANARY: 0.06})
    rt = runtime_of(c)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calls(c, 50)
        reached = bedrock.calls(model_id=CANARY)
        calls(c, 20)
        assert bedrock.calls(model_id=CANARY) == reached
    assert rt.weight_overrides == {"chat": {CANARY: 0.0}}
    (text,) = rollback_warnings(caught)
    assert "p95 latency" in text
    assert "p95 latency" in rt.rollbacks[0]["reason"]


def test_healthy_canary_stays(bedrock: LocalBedrock) -> None:
    c = make(bedrock, alias_cfg({"min_calls": 20, "max_p95_latency_ratio": 3.0}))
    scripted_latency(c, {BASE: 0.01, CANARY: 0.01})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        served = calls(c, 120)
    assert rollback_warnings(caught) == []
    assert runtime_of(c).rollbacks == [] and runtime_of(c).weight_overrides == {}
    assert served.count(CANARY) > 30
    analyzer = analysis_of(c)
    assert analyzer is not None
    snap = analyzer.snapshot()["chat"]
    assert snap[CANARY].calls == served.count(CANARY) and snap[CANARY].errors == 0
    assert snap[BASE].p95_ms is not None and snap[CANARY].p95_ms is not None


def test_canary_in_cooldown_is_still_rolled_back(bedrock: LocalBedrock) -> None:
    bedrock.fail(CANARY, "InternalServerException", times=None)
    cfg = alias_cfg({"min_calls": 100}, routing={"cooldown_after_failures": 2, "cooldown_seconds": 600})
    c = make(bedrock, cfg)
    rt = runtime_of(c)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calls(c, 40)
    assert rt.cooldowns.state(CANARY) == "open"
    assert rt.weight_overrides == {"chat": {CANARY: 0.0}}  # kept out by the cooldown, and judged
    (entry,) = rt.rollbacks
    assert entry["in_cooldown"] is True and "cooldown" in entry["reason"]
    assert entry["stats"]["canary"]["calls"] < 100
    assert len(rollback_warnings(caught)) == 1
    # After the cooldown the canary would get a probe; rolled back, it gets none.
    reached = bedrock.calls(model_id=CANARY)
    rt.cooldowns.success(CANARY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calls(c, 20)
    assert bedrock.calls(model_id=CANARY) == reached


def test_concurrent_callers_roll_back_exactly_once(bedrock: LocalBedrock) -> None:
    bedrock.fail(CANARY, "InternalServerException", times=None)
    c = make(bedrock, alias_cfg())
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            calls(c, 25)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert len(rollback_warnings(caught)) == 1
    assert len(runtime_of(c).rollbacks) == 1


def test_restore_undoes_a_rollback(bedrock: LocalBedrock) -> None:
    bedrock.fail(CANARY, "InternalServerException", times=None)
    c = make(bedrock, alias_cfg())
    rt = runtime_of(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calls(c, 60)
    assert rt.weight_overrides == {"chat": {CANARY: 0.0}}
    bedrock.reset()  # the canary is fixed
    restore(c, "chat", CANARY)
    assert rt.weight_overrides == {}
    served = calls(c, 40)
    assert CANARY in served
    assert len(rt.rollbacks) == 1  # judged afresh: healthy now


def test_full_ramp_rollback_gives_traffic_back_to_the_baseline(bedrock: LocalBedrock) -> None:
    bedrock.fail(CANARY, "InternalServerException", times=None)
    c = make(bedrock, alias_cfg(weights=(0, 100), ramp=[{"at": "2026-01-01", "weights": [0, 100]}]))
    rt = runtime_of(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calls(c, 10)
    (entry,) = rt.rollbacks
    assert entry["baseline_weight_forced"] is True
    assert rt.weight_overrides == {"chat": {BASE: 1.0, CANARY: 0.0}}
    assert set(calls(c, 10)) == {BASE}
    restore(c, "chat", CANARY)
    assert rt.weight_overrides == {}


def test_shadow_copies_do_not_count(bedrock: LocalBedrock) -> None:
    bedrock.fail(CANARY, "InternalServerException", times=None)
    cfg = alias_cfg(weights=(100, 0), shadow={"model": CANARY, "sample": 1.0})
    c = make(bedrock, cfg)
    m = mirror_of(c)
    assert m is not None
    try:
        calls(c, 30)
        assert m.drain(10)
        assert m.stats()["errors"] == 30
    finally:
        m.close(timeout=1)
    assert runtime_of(c).rollbacks == []
    analyzer = analysis_of(c)
    assert analyzer is not None
    assert analyzer.snapshot()["chat"][CANARY].calls == 0


def test_no_analysis_no_subscription(bedrock: LocalBedrock) -> None:
    c = make(bedrock, {"aliases": {"chat": {"targets": [BASE, CANARY]}}})
    analyzer = analysis_of(c)
    assert analyzer is not None and analyzer._unsubscribe is None
    disabled = make(bedrock, alias_cfg({"enabled": False}))
    analyzer = analysis_of(disabled)
    assert analyzer is not None and analyzer._unsubscribe is None


def test_gated_ramp_advances_only_while_the_canary_is_healthy(local_bedrock: Any) -> None:
    cfg = {"aliases": {"chat": {
        "targets": [{"model": NOVA_LITE, "weight": 90}, {"model": NOVA_PRO, "weight": 10}],
        "ramp": [{"at": "2026-01-01", "weights": [50, 50]}, {"at": "2026-02-01", "weights": [0, 100]}],
        "analysis": {"min_calls": 20, "gate_ramp": True, "max_p95_latency_ratio": 1000.0}}}}
    c = wrap(local_bedrock.runtime_client(), config=cfg, registry=StaticRegistry(),
             clock=lambda: at("2026-03-01"), environ={})
    gates = runtime_of(c).ramp_gates

    def served() -> str:
        return str(c.converse(modelId="chat", messages=MESSAGES)["ResponseMetadata"]["BedrockLifecycle"]["model_id"])

    # Both dates have passed, but the ramp starts at the base weights until the canary proves itself.
    first = [served() for _ in range(60)]
    assert first.count(NOVA_LITE) > first.count(NOVA_PRO)
    for _ in range(600):
        served()
        if gates.get("chat") == 2:
            break
    assert gates.get("chat") == 2
    assert {served() for _ in range(20)} == {NOVA_PRO}


def test_gated_ramp_holds_and_rolls_back_a_failing_canary(local_bedrock: Any) -> None:
    cfg = {"aliases": {"chat": {
        "targets": [{"model": NOVA_LITE, "weight": 50}, {"model": NOVA_PRO, "weight": 50}],
        "fallbacks": [NOVA_MICRO],
        "ramp": [{"at": "2026-01-01", "weights": [0, 100]}],
        "analysis": {"min_calls": 20, "gate_ramp": True, "max_p95_latency_ratio": 1000.0}}},
        "routing": {"max_attempts_per_target": 1}}
    c = wrap(local_bedrock.runtime_client(), config=cfg, registry=StaticRegistry(),
             clock=lambda: at("2026-03-01"), environ={})
    local_bedrock.fail(NOVA_PRO, "InternalServerException", times=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(200):
            c.converse(modelId="chat", messages=MESSAGES)
    rt = runtime_of(c)
    assert rt.ramp_gates.get("chat", 0) == 0  # never advanced to [0, 100]
    assert [r["model"] for r in rt.rollbacks] == [NOVA_PRO]
