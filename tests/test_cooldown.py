"""Cooldowns: a per-model circuit breaker (closed -> open -> one half-open probe)."""

from __future__ import annotations

import random
import sys
import threading

from bedrock_lifecycle.core.cooldown import Cooldowns


class Clock:
    def __init__(self) -> None:
        self.t = 500.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.t

    def advance(self, s: float) -> None:
        with self._lock:
            self.t += s


def make(failures: int = 3, seconds: float = 30.0, maxsize: int = 4096) -> tuple[Cooldowns, Clock]:
    clock = Clock()
    return Cooldowns(failures=failures, seconds=seconds, maxsize=maxsize, monotonic=clock), clock


def order(cd: Cooldowns, models: list[str]) -> list[str]:
    return cd.order(models, models)


def test_opens_after_n_consecutive_failures() -> None:
    cd, _ = make(failures=3)
    assert not cd.any_open() and not cd.tracked
    cd.failure("a")
    cd.failure("a")
    assert cd.state("a") == "closed" and not cd.any_open() and cd.tracked
    assert order(cd, ["a", "b"]) == ["a", "b"]
    cd.failure("a")
    assert cd.state("a") == "open" and cd.any_open()
    assert order(cd, ["a", "b"]) == ["b", "a"]
    assert cd.state("b") == "closed"


def test_failures_of_other_models_do_not_add_up() -> None:
    cd, _ = make(failures=2)
    cd.failure("a")
    cd.failure("b")
    assert cd.state("a") == cd.state("b") == "closed"


def test_success_resets_the_count() -> None:
    cd, _ = make(failures=3)
    cd.failure("a")
    cd.failure("a")
    cd.success("a")
    assert not cd.tracked
    cd.failure("a")
    cd.failure("a")
    assert cd.state("a") == "closed"
    cd.failure("a")
    assert cd.state("a") == "open"


def test_success_closes_an_open_circuit() -> None:
    cd, _ = make(failures=1)
    cd.failure("a")
    assert cd.any_open()
    cd.success("a")
    assert cd.state("a") == "closed" and not cd.any_open()
    cd.success("never-failed")  # harmless
    assert not cd.any_open()


def test_stays_open_for_the_cooldown_then_half_open() -> None:
    cd, clock = make(failures=1, seconds=30)
    cd.failure("a")
    clock.advance(29.9)
    assert cd.state("a") == "open"
    assert order(cd, ["a", "b"]) == ["b", "a"]
    clock.advance(0.1)
    assert cd.state("a") == "half_open"


def test_half_open_gives_exactly_one_probe_across_threads() -> None:
    cd, clock = make(failures=1, seconds=10)
    cd.failure("a")
    clock.advance(10)
    n = 16
    barrier = threading.Barrier(n)
    firsts: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait(timeout=10)
        got = order(cd, ["a", "b"])
        with lock:
            firsts.append(got[0])

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(firsts) == n
    assert firsts.count("a") == 1  # the probe
    assert firsts.count("b") == n - 1  # everyone else still avoids "a"


def test_probe_success_closes() -> None:
    cd, clock = make(failures=1, seconds=10)
    cd.failure("a")
    clock.advance(10)
    assert order(cd, ["a", "b"]) == ["a", "b"]  # the probe
    cd.success("a")
    assert cd.state("a") == "closed" and not cd.any_open()
    assert order(cd, ["a", "b"]) == ["a", "b"]
    assert order(cd, ["a", "b"]) == ["a", "b"]


def test_probe_failure_reopens_for_a_full_cooldown() -> None:
    cd, clock = make(failures=3, seconds=10)
    for _ in range(3):
        cd.failure("a")
    clock.advance(12)
    assert order(cd, ["a", "b"]) == ["a", "b"]  # the probe
    cd.failure("a")  # one failure is enough in half-open
    assert cd.state("a") == "open"
    clock.advance(9.9)
    assert order(cd, ["a", "b"]) == ["b", "a"]
    clock.advance(0.1)
    assert order(cd, ["a", "b"]) == ["a", "b"]  # a new probe


def test_a_probe_that_never_reports_back_expires() -> None:
    """The probe candidate was ordered but never called (an earlier candidate served the
    call, or a policy refusal or the caller's own error ended it): the model must not be
    kept out of rotation for ever."""
    cd, clock = make(failures=1, seconds=10)
    cd.failure("a")
    clock.advance(10)
    assert order(cd, ["b", "a"]) == ["b", "a"]  # "a" got the probe slot, "b" served the call
    assert order(cd, ["a", "b"]) == ["b", "a"]  # probe outstanding: nobody else probes
    clock.advance(9)
    assert order(cd, ["a", "b"]) == ["b", "a"]
    clock.advance(1)
    assert order(cd, ["a", "b"]) == ["a", "b"]  # lease over: a new probe


def test_zero_second_cooldown_still_single_probe() -> None:
    cd, _ = make(failures=1, seconds=0)
    cd.failure("a")
    assert cd.state("a") == "half_open"
    assert order(cd, ["a", "b"]) == ["a", "b"]
    assert order(cd, ["a", "b"]) == ["b", "a"]
    cd.success("a")
    assert order(cd, ["a", "b"]) == ["a", "b"]


def test_order_keeps_ready_in_order_and_cooling_last_by_last_failure() -> None:
    cd, clock = make(failures=1, seconds=60)
    cd.failure("d")
    clock.advance(1)
    cd.failure("b")
    clock.advance(1)
    cd.failure("x")  # not in the list: irrelevant
    models = ["a", "b", "c", "d", "e"]
    # d failed before b: d is "least recently failed", so it comes first among the cooling
    assert order(cd, models) == ["a", "c", "e", "d", "b"]
    assert order(cd, ["e", "d", "c", "b", "a"]) == ["e", "c", "a", "d", "b"]


def test_order_when_everything_is_cooling() -> None:
    cd, clock = make(failures=1, seconds=60)
    for m in ["c", "a", "b"]:
        cd.failure(m)
        clock.advance(1)
    assert order(cd, ["a", "b", "c"]) == ["c", "a", "b"]
    # a later failure moves a model to the back
    cd.failure("c")
    assert order(cd, ["a", "b", "c"]) == ["a", "b", "c"]


def test_order_carries_items() -> None:
    cd, _ = make(failures=1)
    cd.failure("m1")
    items = [object(), object(), object()]
    assert cd.order(["m1", "m2", "m3"], items) == [items[1], items[2], items[0]]


def test_order_keeps_a_weighted_order_among_ready_models() -> None:
    # Weights are not lost after a cooldown: whatever order the router chose for the
    # ready models is kept exactly, only cooling ones move.
    cd, _ = make(failures=1)
    cd.failure("c")
    rng = random.Random(4)
    for _ in range(200):
        models = ["a", "b", "c", "d", "e"]
        rng.shuffle(models)
        got = order(cd, models)
        assert got == [m for m in models if m != "c"] + ["c"]


def test_memory_is_bounded() -> None:
    cd, _ = make(failures=2, maxsize=8)
    for i in range(1000):
        cd.failure(f"model-{i}")
    assert len(cd._circuits) <= 8


def test_open_count_follows_evictions() -> None:
    """Evicting an open circuit must close it in the count too, or any_open() stays
    true for ever and every call pays for ordering."""
    cd, _ = make(failures=1, maxsize=4)
    for i in range(10):
        cd.failure(f"model-{i}")
    assert cd.any_open()
    assert cd.open_count == sum(c.opened_at is not None for c in cd._circuits.values()) == 4
    for i in range(10):
        cd.success(f"model-{i}")
    assert not cd.any_open() and not cd.tracked


def test_thread_safety_under_concurrent_failure_and_success() -> None:
    cd, clock = make(failures=2, seconds=0.5, maxsize=6)
    models = [f"m{i}" for i in range(9)]
    errors: list[BaseException] = []
    n = 8
    barrier = threading.Barrier(n)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait(timeout=10)
            for _ in range(1500):
                m = rng.choice(models)
                r = rng.random()
                if r < 0.45:
                    cd.failure(m)
                elif r < 0.7:
                    cd.success(m)
                elif r < 0.9:
                    got = cd.order(models, models)
                    assert sorted(got) == sorted(models)
                else:
                    assert cd.state(m) in ("closed", "open", "half_open")
                if rng.random() < 0.01:
                    clock.advance(0.1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors[:3]
    circuits = list(cd._circuits.values())
    assert len(circuits) <= 6
    assert cd.open_count == sum(c.opened_at is not None for c in circuits)
    assert all(c.consecutive >= 1 for c in circuits)
    for m in models:
        cd.success(m)
    assert not cd.any_open() and cd.open_count == 0
