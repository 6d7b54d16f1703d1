"""Routing: weighted rendezvous ordering, ramps, sticky keys, plans.

Statistical tests use fixed seeds (``random.Random(n)``, fixed key sets, derandomized
hypothesis) so they are deterministic; bounds are binomial at 4.5 sigma.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import math
import random
import threading
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.clock import to_ns
from bedrock_lifecycle.config import AliasConfig, Config, RampStep, SystemOverride, Target
from bedrock_lifecycle.core import routing
from bedrock_lifecycle.core.routing import (
    current_routing_key,
    order_targets,
    plan,
    plan_alias,
    plan_model,
    routing_key,
    weights_at,
)

UTC = dt.timezone.utc
A = "anthropic.claude-3-haiku-20240307-v1:0"
B = "anthropic.claude-haiku-4-5-20251001-v1:0"
C = "amazon.nova-lite-v1:0"
D = "amazon.nova-pro-v1:0"
E = "amazon.nova-micro-v1:0"
MODELS = [A, B, C, D, E]
NOW = dt.datetime(2026, 6, 1, tzinfo=UTC)
SIGMAS = 4.5

STAT = settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def targets(n: int) -> list[Target]:
    return [Target(model=m) for m in MODELS[:n]]


def within_binomial(count: int, n: int, p: float, sigmas: float = SIGMAS) -> bool:
    sd = math.sqrt(n * p * (1 - p))
    return abs(count - n * p) <= sigmas * sd + 1


def assert_split(firsts: Counter[int], weights: Sequence[float], n: int, *, among: Sequence[int] | None = None) -> None:
    """The share of first places per index follows the weights (renormalised over ``among``)."""
    idx = list(range(len(weights))) if among is None else list(among)
    total = sum(weights[i] for i in idx)
    assert sum(firsts.values()) == n
    for i in idx:
        p = weights[i] / total
        assert within_binomial(firsts[i], n, p), (i, firsts[i], n * p, dict(firsts))
    assert set(firsts) <= {i for i in idx if weights[i] > 0}


def draw_firsts(weights: Sequence[float], n: int, seed: int, *, removed: frozenset[int] = frozenset()) -> Counter[int]:
    rng = random.Random(seed)
    ts = targets(len(weights))
    c: Counter[int] = Counter()
    for _ in range(n):
        order = order_targets(ts, weights, rng=rng)
        c[next(i for i in order if i not in removed)] += 1
    return c


def keyed_firsts(weights: Sequence[float], keys: Sequence[str], *, removed: frozenset[int] = frozenset()) -> Counter[int]:
    ts = targets(len(weights))
    c: Counter[int] = Counter()
    for k in keys:
        order = order_targets(ts, weights, key=k)
        c[next(i for i in order if i not in removed)] += 1
    return c


KEYS = [f"user-{i}" for i in range(8000)]


# ------------------------------------------------------------------ the bound itself


def test_bound_rejects_a_split_that_ignores_weights() -> None:
    # The check used below must be able to fail: a uniform pick over 90/10 targets fails it.
    rng = random.Random(7)
    n = 8000
    c = Counter(rng.randrange(2) for _ in range(n))
    with pytest.raises(AssertionError):
        assert_split(c, [90, 10], n)
    # ... and a 2-point error on a 5% target at this n is caught too.
    c = Counter({0: int(n * 0.93), 1: n - int(n * 0.93)})
    with pytest.raises(AssertionError):
        assert_split(c, [95, 5], n)


# ------------------------------------------------------------------ split accuracy


@pytest.mark.parametrize(
    "weights",
    [[1, 1], [90, 10], [95, 5], [1, 2, 3], [0.5, 0.25, 0.25], [70, 20, 9, 1], [1, 1, 1, 1, 1]],
)
def test_random_split_follows_weights(weights: list[float]) -> None:
    n = 12000
    assert_split(draw_firsts(weights, n, seed=len(weights) * 1000 + int(weights[0])), weights, n)


@pytest.mark.parametrize("weights", [[90, 10], [1, 2, 3], [70, 20, 9, 1]])
def test_keyed_split_follows_weights(weights: list[float]) -> None:
    assert_split(keyed_firsts(weights, KEYS), weights, len(KEYS))


@pytest.mark.parametrize(
    ("weights", "removed"),
    [
        ([50, 30, 20], {0}),  # the primary cooling down: 30/20 -> 60/40
        ([50, 30, 20], {1}),
        ([70, 20, 9, 1], {0, 2}),  # 20 vs 1
        ([1, 1, 1, 1, 1], {1, 3}),
        ([10, 0, 5, 5], {2}),
    ],
)
def test_skipping_targets_renormalises_the_rest(weights: list[float], removed: set[int]) -> None:
    """What a cooldown or an EOL skip does: the next target in the order takes over, and
    the remaining targets keep their proportions (the weights hold after a skip)."""
    gone = frozenset(removed)
    among = [i for i in range(len(weights)) if i not in gone]
    n = 12000
    assert_split(draw_firsts(weights, n, seed=99, removed=gone), weights, n, among=among)
    assert_split(keyed_firsts(weights, KEYS, removed=gone), weights, len(KEYS), among=among)


def test_renormalised_split_matches_a_plan_without_the_removed_target() -> None:
    # Dropping a target from the config or skipping it in the order: same proportions.
    weights = [60, 30, 10]
    n = 12000
    sub = [30, 10]
    rng = random.Random(3)
    ts = targets(3)[1:]
    c: Counter[int] = Counter(order_targets(ts, sub, rng=rng)[0] + 1 for _ in range(n))
    assert_split(c, weights, n, among=[1, 2])


weight_lists = st.lists(
    st.one_of(st.just(0.0), st.floats(min_value=0.05, max_value=50.0)), min_size=2, max_size=5
).filter(lambda ws: sum(w > 0 for w in ws) >= 1)


@STAT
@given(weights=weight_lists, data=st.data())
def test_split_hypothesis(weights: list[float], data: st.DataObject) -> None:
    n = 4000
    positive = [i for i, w in enumerate(weights) if w > 0]
    removed = frozenset(data.draw(st.sets(st.sampled_from(positive), max_size=len(positive) - 1)))
    among = [i for i in range(len(weights)) if i not in removed]
    assert_split(draw_firsts(weights, n, seed=len(weights), removed=removed), weights, n, among=among)


@STAT
@given(weights=weight_lists)
def test_keyed_split_hypothesis(weights: list[float]) -> None:
    keys = KEYS[:3000]
    assert_split(keyed_firsts(weights, keys), weights, len(keys))


def test_order_is_a_permutation_of_the_positive_weights() -> None:
    ts = targets(5)
    w = [1.0, 0.0, 2.0, 0.0, 0.5]
    rng = random.Random(1)
    for _ in range(500):
        assert sorted(order_targets(ts, w, rng=rng)) == [0, 2, 4]
    for k in KEYS[:500]:
        assert sorted(order_targets(ts, w, key=k)) == [0, 2, 4]


def test_zero_weight_targets_never_appear() -> None:
    ts = targets(4)
    w = [0.0, 3.0, 0.0, 1.0]
    rng = random.Random(5)
    seen: set[int] = set()
    for i in range(5000):
        seen.update(order_targets(ts, w, rng=rng))
        seen.update(order_targets(ts, w, key=f"k{i}"))
    assert seen == {1, 3}
    alias = AliasConfig(targets=[Target(model=m, weight=x) for m, x in zip(MODELS, w, strict=False)])
    for i in range(300):
        p = plan_alias("chat", alias, NOW, key=f"k{i}") if i % 2 else plan_alias("chat", alias, NOW, rng=rng)
        assert {c.model for c in p.candidates} == {B, D}


def test_weights_and_targets_must_match_in_length() -> None:
    with pytest.raises(ValueError):
        order_targets(targets(3), [1.0, 1.0])
    with pytest.raises(ValueError):
        order_targets(targets(2), [1.0, 1.0, 1.0], key="k")


def test_an_extreme_hash_still_respects_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """u must stay strictly inside (0, 1): a hash of all ones once mapped to u == 1.0, a
    score of 0 whatever the weight, so the weights stopped deciding (ties went by index)."""

    class AllOnes:
        def __init__(self, data: bytes, digest_size: int) -> None:
            pass

        def digest(self) -> bytes:
            return b"\xff" * 8

    assert 0.0 < routing._unit("k", A) < 1.0
    monkeypatch.setattr(hashlib, "blake2b", AllOnes)  # the module routing hashes with
    assert 0.0 < routing._unit("k", C) < 1.0
    ts = [Target(model=A), Target(model=C)]
    # Both draw the largest u: the heavier target must win, wherever it is listed.
    assert order_targets(ts, [1.0, 1e9], key="k") == [1, 0]
    assert order_targets(ts, [1e9, 1.0], key="k") == [0, 1]


# ------------------------------------------------------------------ stickiness


def test_same_key_same_order_while_weights_unchanged() -> None:
    ts = targets(4)
    w = [40.0, 30.0, 20.0, 10.0]
    for k in KEYS[:1000]:
        first = order_targets(ts, w, key=k)
        # whatever rng is passed, a key decides
        assert order_targets(ts, w, key=k, rng=random.Random(1)) == first
        assert order_targets(ts, w, key=k, rng=random.Random(2)) == first
    # and the keyed choice does vary across keys (not one fixed order)
    assert len({tuple(order_targets(ts, w, key=k)) for k in KEYS[:1000]}) > 10


def test_keyed_order_is_stable_across_processes() -> None:
    """blake2b, not hash(): a key keeps its target across restarts and hosts."""
    import subprocess
    import sys

    code = (
        "from bedrock_lifecycle.core.routing import order_targets\n"
        "from bedrock_lifecycle.config import Target\n"
        f"ts=[Target(model=m) for m in {MODELS!r}]\n"
        "print([order_targets(ts,[1,2,3,4,5],key=f'u{i}')[0] for i in range(40)])\n"
    )
    here = [order_targets(targets(5), [1, 2, 3, 4, 5], key=f"u{i}")[0] for i in range(40)]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout
    assert out.strip() == str(here)


def test_equal_weight_targets_get_an_even_spread_of_keys() -> None:
    for n_targets in (2, 3, 5):
        ts = targets(n_targets)
        w = [1.0] * n_targets
        counts = Counter(order_targets(ts, w, key=k)[0] for k in KEYS)
        expected = len(KEYS) / n_targets
        chi2 = sum((counts[i] - expected) ** 2 / expected for i in range(n_targets))
        # df = n - 1 <= 4: chi2 > 30 has p < 1e-5
        assert chi2 < 30, (n_targets, counts)
    # the statistic notices a 53.75/46.25 split at this n
    skewed = Counter({0: 4300, 1: 3700})
    assert sum((skewed[i] - 4000) ** 2 / 4000 for i in range(2)) > 30


def test_same_model_twice_with_different_overrides_splits_by_weight() -> None:
    """An A/B test of two prompts on one model: both targets must get their share of keys.

    Hashing (key, model) alone gave both targets the same draw, so the heavier (or, at
    equal weights, the first) target took every key.
    """
    alias = AliasConfig(
        targets=[
            Target(model=A, weight=1, system=SystemOverride(text="prompt one")),
            Target(model=A, weight=1, system=SystemOverride(text="prompt two")),
            Target(model=B, weight=2),
        ]
    )
    c: Counter[int] = Counter()
    for k in KEYS[:4000]:
        first = plan_alias("chat", alias, NOW, key=k).candidates[0]
        assert first.target is not None
        c[alias.targets.index(first.target)] += 1
    assert_split(c, [1, 1, 2], 4000)
    # a repeat still yields one candidate per model
    p = plan_alias("chat", alias, NOW, key="someone")
    assert [x.model for x in p.candidates].count(A) == 1


# ------------------------------------------------------------------ monotone ramps


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    keys=st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=40),
    before=st.lists(st.floats(min_value=0.0, max_value=100.0), min_size=2, max_size=5),
    grow=st.floats(min_value=1.0, max_value=50.0, exclude_min=True),
    j=st.integers(min_value=0, max_value=4),
    shrink=st.floats(min_value=0.05, max_value=1.0),
)
def test_growing_a_target_keeps_its_keys(
    keys: list[str], before: list[float], grow: float, j: int, shrink: float
) -> None:
    """Raising one target's share never moves a key off it, and only ever moves keys onto it.

    The share rises when its weight is multiplied by ``grow`` and every other weight by
    ``shrink`` (a real ramp step such as 90/10 -> 50/50 does both).
    """
    j %= len(before)
    if before[j] == 0:
        before[j] = 1.0
    after = [w * grow if i == j else w * shrink for i, w in enumerate(before)]
    ts = targets(len(before))
    for k in keys:
        was = order_targets(ts, before, key=k)[0]
        now = order_targets(ts, after, key=k)[0]
        assert now in (was, j), (k, before, after, was, now)


def test_a_dated_ramp_only_moves_keys_onto_the_new_model() -> None:
    alias = AliasConfig(
        targets=[Target(model=A, weight=95), Target(model=B, weight=5)],
        ramp=[
            RampStep(at=dt.datetime(2026, 7, 1, tzinfo=UTC), weights=[75, 25]),
            RampStep(at=dt.datetime(2026, 7, 8, tzinfo=UTC), weights=[50, 50]),
            RampStep(at=dt.datetime(2026, 7, 15, tzinfo=UTC), weights=[10, 90]),
        ],
    )
    instants = [NOW] + [s.at for s in alias.ramp]
    on_new: set[str] = set()
    shares = []
    for t in instants:
        now_on_new = {k for k in KEYS[:4000] if plan_alias("chat", alias, t, key=k).candidates[0].model == B}
        assert on_new <= now_on_new  # nobody moved back to the old model
        on_new = now_on_new
        shares.append(len(on_new) / 4000)
    for share, p in zip(shares, [0.05, 0.25, 0.5, 0.9], strict=True):
        assert within_binomial(int(share * 4000), 4000, p)


# ------------------------------------------------------------------ weights_at


RAMPED = AliasConfig(
    targets=[Target(model=A, weight=1), Target(model=B, weight=0)],
    ramp=[
        RampStep(at=dt.datetime(2026, 7, 1, tzinfo=UTC), weights=[50, 50]),
        RampStep(at=dt.datetime(2026, 7, 15, 9, tzinfo=UTC), weights=[0, 100]),
    ],
)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=UTC), [1.0, 0.0]),  # before the first step
        (dt.datetime(2026, 7, 1, tzinfo=UTC), [50.0, 50.0]),  # at a step instant
        (dt.datetime(2026, 7, 10, tzinfo=UTC), [50.0, 50.0]),  # between
        (dt.datetime(2026, 7, 15, 8, 59, 59, tzinfo=UTC), [50.0, 50.0]),
        (dt.datetime(2026, 7, 15, 9, tzinfo=UTC), [0.0, 100.0]),  # at the last
        (dt.datetime(2030, 1, 1, tzinfo=UTC), [0.0, 100.0]),  # long after
        # another zone, same instant as the last step
        (dt.datetime(2026, 7, 15, 11, tzinfo=dt.timezone(dt.timedelta(hours=2))), [0.0, 100.0]),
    ],
)
def test_weights_at(now: dt.datetime, expected: list[float]) -> None:
    assert weights_at(RAMPED, now) == expected


def test_weights_at_without_ramp_and_copy_semantics() -> None:
    alias = AliasConfig(targets=[Target(model=A, weight=3), Target(model=B, weight=1)])
    assert weights_at(alias, NOW) == [3.0, 1.0]
    w = weights_at(RAMPED, dt.datetime(2026, 7, 2, tzinfo=UTC))
    w[0] = 999.0  # the caller's list is its own
    assert weights_at(RAMPED, dt.datetime(2026, 7, 2, tzinfo=UTC)) == [50.0, 50.0]


def test_plan_alias_uses_the_ramp_in_force() -> None:
    before = plan_alias("chat", RAMPED, dt.datetime(2026, 6, 1, tzinfo=UTC), key="x")
    assert [c.model for c in before.candidates] == [A]
    assert before.weights == (1.0, 0.0)
    after = plan_alias("chat", RAMPED, dt.datetime(2026, 8, 1, tzinfo=UTC), key="x")
    assert [c.model for c in after.candidates] == [B]
    assert after.weights == (0.0, 100.0)


# ------------------------------------------------------------------ routing_key


def test_routing_key_nests_and_restores() -> None:
    assert current_routing_key() is None
    with routing_key("alice"):
        assert current_routing_key() == "alice"
        with routing_key(42):
            assert current_routing_key() == "42"
            with routing_key(None):
                assert current_routing_key() is None
            assert current_routing_key() == "42"
        assert current_routing_key() == "alice"
    assert current_routing_key() is None


def test_routing_key_restored_on_exception() -> None:
    with pytest.raises(RuntimeError), routing_key("bob"):
        raise RuntimeError("boom")
    assert current_routing_key() is None


def test_routing_key_is_per_thread() -> None:
    n = 12
    barrier = threading.Barrier(n)
    seen: dict[int, list[str | None]] = {}
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            got = [current_routing_key()]
            with routing_key(f"user-{i}"):
                barrier.wait(timeout=10)  # every thread has set its key
                got.append(current_routing_key())
                barrier.wait(timeout=10)
                got.append(current_routing_key())
            got.append(current_routing_key())
            seen[i] = got
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with routing_key("main"):
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert current_routing_key() == "main"
    assert not errors
    for i in range(n):
        # a new thread starts with no key (not the parent's), keeps its own, restores None
        assert seen[i] == [None, f"user-{i}", f"user-{i}", None]


def test_routing_key_is_per_asyncio_task() -> None:
    async def handler(i: int) -> tuple[str | None, str | None]:
        with routing_key(f"session-{i}"):
            await asyncio.sleep(0)
            mid = current_routing_key()
            await asyncio.sleep(0.001 * (i % 3))
            return mid, current_routing_key()

    async def child() -> str | None:
        inherited = current_routing_key()
        with routing_key("child"):
            await asyncio.sleep(0)
        return inherited

    async def main() -> None:
        results = await asyncio.gather(*(handler(i) for i in range(20)))
        assert results == [(f"session-{i}", f"session-{i}") for i in range(20)]
        with routing_key("parent"):
            # a task copies the context at creation: it sees the parent's key...
            assert await asyncio.create_task(child()) == "parent"
            # ...and its own changes do not leak back
            assert current_routing_key() == "parent"
        assert current_routing_key() is None

    asyncio.run(main())


# ------------------------------------------------------------------ plans


def test_plan_alias_order_roles_and_no_duplicates() -> None:
    alias = AliasConfig(
        targets=[
            Target(model=A, weight=1, inference_config={"maxTokens": 10}),
            Target(model=B, weight=3),
            Target(model=C, weight=0),
        ],
        fallbacks=[D, A, E, D, B],
    )
    rng = random.Random(11)
    primaries: Counter[str] = Counter()
    for i in range(2000):
        p = plan_alias("chat", alias, NOW, rng=rng) if i % 2 else plan_alias("chat", alias, NOW, key=f"k{i}")
        models = [c.model for c in p.candidates]
        assert len(models) == len(set(models))
        assert sorted(models[:2]) == sorted([A, B])  # the weighted targets first
        assert models[2:] == [D, E]  # then the fallbacks, in order, minus repeats
        assert [c.role for c in p.candidates] == ["primary", "target", "fallback", "fallback"]
        by_model = {c.model: c for c in p.candidates}
        assert by_model[A].target is alias.targets[0]  # overrides travel with the target
        assert by_model[D].target is None
        assert p.requested == p.alias == "chat"
        assert p.weights == (1.0, 3.0, 0.0)
        primaries[models[0]] += 1
    assert within_binomial(primaries[B], 2000, 0.75)


def test_plan_alias_keyed_matches_order_targets() -> None:
    alias = AliasConfig(targets=[Target(model=m, weight=w) for m, w in zip(MODELS, [5, 1, 2, 0, 3], strict=True)])
    for k in KEYS[:300]:
        order = order_targets(alias.targets, weights_at(alias, NOW), key=k)
        assert [c.model for c in plan_alias("chat", alias, NOW, key=k).candidates] == [MODELS[i] for i in order]


def test_plan_model_without_chain() -> None:
    p = plan_model(Config(), A)
    assert p.requested == A and p.alias is None
    assert [(c.model, c.role, c.target) for c in p.candidates] == [(A, "primary", None)]


def test_plan_model_with_chain() -> None:
    cfg = Config(chains={A: [B, A, C, B]})
    p = plan_model(cfg, A)
    assert [(c.model, c.role) for c in p.candidates] == [(A, "primary"), (B, "fallback"), (C, "fallback")]
    assert all(c.target is None for c in p.candidates)
    # another model's chain does not apply
    assert [c.model for c in plan_model(cfg, B).candidates] == [B]


def test_plan_dispatches_aliases_and_model_ids() -> None:
    cfg = Config(
        aliases={"My-Chat": AliasConfig(targets=[Target(model=B)], fallbacks=[C])},
        chains={A: [D]},
    )
    for spelling in ("My-Chat", "my_chat", "MY-CHAT"):
        p = plan(cfg, spelling, NOW)
        assert p.alias == "My-Chat"
        assert [c.model for c in p.candidates] == [B, C]
    assert [c.model for c in plan(cfg, A, NOW).candidates] == [A, D]
    # a concrete ID is never taken for an alias
    assert plan(cfg, C, NOW).alias is None
    assert plan(cfg, "unknown", NOW).alias is None


def test_closest_alias() -> None:
    cfg = Config(aliases={"chat-prod": AliasConfig(targets=[Target(model=A)]), "summarise": AliasConfig(targets=[Target(model=B)])})
    assert routing.closest_alias(cfg, "chat_prd") == "chat-prod"
    assert routing.closest_alias(cfg, "zzzzzz") is None
    assert routing.alias_names(cfg) == ["chat-prod", "summarise"]


def test_client_compiled_alias_agrees_with_plan_alias_for_keys() -> None:
    """dropin's _CompiledAlias is a faster form of plan_alias: same order for every key."""
    from bedrock_lifecycle.core.planner import CompiledAlias as _CompiledAlias

    alias = AliasConfig(
        targets=[Target(model=m, weight=w) for m, w in zip(MODELS[:3], [5, 1, 2], strict=True)],
        fallbacks=[MODELS[3]],
        ramp=[{"at": "2026-01-01", "weights": [1, 1, 8]}],
    )
    compiled = _CompiledAlias("chat", alias)
    for when in (dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc), NOW):
        for k in KEYS[:200]:
            expected = [c.model for c in plan_alias("chat", alias, when, key=k).candidates]
            got = [c.model for c in compiled.plan(to_ns(when), k, random.Random(0)).candidates]
            assert got == expected, (when, k)
