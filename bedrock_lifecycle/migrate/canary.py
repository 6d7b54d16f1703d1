"""Automated canary analysis: roll a canary back when live traffic says it is worse.

``[aliases.NAME.analysis]`` compares every non-baseline target of the alias (a *canary*)
with the *baseline*, the alias's first target, on the client's own attempt events:

- per (alias, model) a rolling window of the last ``max(2 * min_calls, 200)`` attempts
  (at most 10 000): O(1) per event, bounded memory;
- an attempt is an *error* when its outcome is ``error`` or ``stream_error``, whatever
  the code: a canary that rejects requests the baseline accepts (a ``ValidationException``
  for a parameter it lacks), throttles, or times out is worse for the caller, whether or
  not the call then fell back. Lifecycle refusals and skips are not attempts on the
  wire and are ignored; shadow copies too. A stream that fails mid-way counts its
  opening attempt (ok) and the stream error;
- latency is that of successful attempts only (for streams, the time to the first event);
- the decision is the pure function :func:`judge` of the two windows' :class:`Stats`.

A canary is judged on each of its errors (error rate only: O(1)) and every few of its
attempts (error rate and p95 latency). When :func:`judge` says roll back:
``set_weight(alias, canary, 0)`` (traffic returns to the other targets; when no other
target would have a weight left at some ramp step, the baseline is given weight 1 so
calls still have somewhere to go), a :class:`~bedrock_lifecycle.errors.CanaryRollbackWarning`
is issued once, logged on ``bedrock_lifecycle``, and a dict ``{alias, model, baseline,
reason, at, stats, in_cooldown}`` is appended to ``runtime.rollbacks``. Undo with
:func:`restore` (drops the override: the configured weights and ramp apply again).

Cooldowns and analysis do not hide each other: a canary whose circuit is open takes
(almost) no traffic, so it would never reach ``min_calls``. While the canary's cooldown
state is not ``closed`` it is judged on the error rate of the calls seen so far, below
``min_calls``: the circuit opening (``cooldown_after_failures`` consecutive failures)
is the evidence that the sample means something. Latency always needs ``min_calls``.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import logging
import math
import threading
import warnings
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bedrock_lifecycle.config import AliasConfig, AnalysisConfig, alias_key
from bedrock_lifecycle.core.observer import CallRecord, notify
from bedrock_lifecycle.core.state import ClientState
from bedrock_lifecycle.core.sync import state_of
from bedrock_lifecycle.errors import CanaryRollbackWarning, caller_stacklevel

log = logging.getLogger("bedrock_lifecycle")

MIN_WINDOW = 200
MAX_WINDOW = 10_000
JUDGE_EVERY = 25  # full judgement (with p95) at most every this many canary attempts
_MAX_KEYS = 4096
_EPS = 1e-9  # boundaries are "not worse": 0.10 - 0.05 must not exceed 0.05 by rounding


# ------------------------------------------------------------------------ pure decision


@dataclass(frozen=True, slots=True)
class Stats:
    """One model's recent attempts: how many, how many failed, p95 latency of the
    successful ones (None: not computed or no successful attempt)."""

    calls: int
    errors: int
    p95_ms: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    rollback: bool
    reason: str


def judge(baseline: Stats, canary: Stats, cfg: AnalysisConfig, *, in_cooldown: bool = False) -> Verdict:
    """Whether ``canary`` is worse than ``baseline`` beyond ``cfg``'s thresholds.

    - Nothing is decided before the canary has ``min_calls`` attempts, except that a
      canary in cooldown (``in_cooldown``) is judged on its error rate with what it has.
    - Error rate: roll back when ``canary rate - baseline rate > max_error_rate_increase``
      (strictly). A baseline without attempts counts as 0 % errors.
    - Latency: roll back when ``canary p95 / baseline p95 > max_p95_latency_ratio``
      (strictly), only when both have ``min_calls`` attempts and a positive p95.
    """
    if not cfg.enabled:
        return Verdict(False, "analysis disabled")
    if canary.calls <= 0:
        return Verdict(False, "no canary attempts yet")
    b_rate, c_rate = baseline.error_rate, canary.error_rate
    increase = c_rate - b_rate
    enough = canary.calls >= cfg.min_calls
    if (enough or in_cooldown) and increase > cfg.max_error_rate_increase + _EPS:
        note = "" if enough else f"; canary in cooldown, judged below min_calls={cfg.min_calls}"
        return Verdict(
            True,
            f"error rate {c_rate:.1%} ({canary.errors}/{canary.calls}) vs baseline {b_rate:.1%} "
            f"({baseline.errors}/{baseline.calls}): +{increase * 100:.1f} points > allowed "
            f"+{cfg.max_error_rate_increase * 100:.1f}{note}",
        )
    if not enough:
        return Verdict(False, f"waiting for data: {canary.calls}/{cfg.min_calls} canary attempts")
    if (
        baseline.calls >= cfg.min_calls
        and canary.p95_ms is not None
        and baseline.p95_ms is not None
        and baseline.p95_ms > 0
    ):
        ratio = canary.p95_ms / baseline.p95_ms
        if ratio > cfg.max_p95_latency_ratio + _EPS:
            return Verdict(
                True,
                f"p95 latency {canary.p95_ms:.1f} ms vs baseline {baseline.p95_ms:.1f} ms: "
                f"x{ratio:.2f} > allowed x{cfg.max_p95_latency_ratio:.2f}",
            )
    return Verdict(False, f"healthy: error rate {c_rate:.1%} vs baseline {b_rate:.1%}")


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 3)


# --------------------------------------------------------------------- rolling windows


class _Window:
    """The last ``size`` attempts of one (alias, model): a running error count and the
    successful attempts' latencies."""

    __slots__ = ("errors", "latencies", "outcomes", "since_judge")

    def __init__(self, size: int) -> None:
        self.outcomes: deque[bool] = deque(maxlen=size)  # True: error
        self.latencies: deque[float] = deque(maxlen=size)
        self.errors = 0
        self.since_judge = 0

    def add(self, error: bool, latency_ms: float) -> None:
        outcomes = self.outcomes
        if len(outcomes) == outcomes.maxlen and outcomes[0]:
            self.errors -= 1  # the oldest attempt leaves the window
        outcomes.append(error)
        if error:
            self.errors += 1
        else:
            self.latencies.append(latency_ms)


@dataclass(frozen=True, slots=True)
class _Watched:
    """An alias under analysis, prepared once per configuration version."""

    name: str
    key: str
    alias: AliasConfig
    cfg: AnalysisConfig  # min_calls capped at the window size
    baseline: str
    canaries: frozenset[str]
    window: int


def _watched(state: Any) -> dict[str, _Watched]:
    out: dict[str, _Watched] = {}
    for key, (name, alias) in state.version.planner.aliases.items():
        cfg = alias.analysis
        if cfg is None or not cfg.enabled:
            continue
        baseline = alias.targets[0].model
        canaries = frozenset(t.model for t in alias.targets) - {baseline}
        if not canaries:
            continue
        window = min(max(2 * cfg.min_calls, MIN_WINDOW), MAX_WINDOW)
        if cfg.min_calls > window:
            cfg = cfg.model_copy(update={"min_calls": window})
        out[key] = _Watched(name, key, alias, cfg, baseline, canaries, window)
    return out


# ---------------------------------------------------------------------------- analyzer


class CanaryAnalyzer:
    """Subscriber to one client's attempt events (``analysis_of(client)``).

    ``snapshot()`` gives the current :class:`Stats` per alias and model (for ``status``);
    rollbacks are in ``runtime.rollbacks``.
    """

    def __init__(self, state: Any, *, judge_every: int = JUDGE_EVERY) -> None:
        self._state = state
        self.judge_every = judge_every
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}
        self._rolled: set[tuple[str, str]] = set()
        self._forced_baseline: dict[str, str] = {}  # alias key -> baseline given weight 1 by us
        self._cache: tuple[Any, dict[str, _Watched]] = (None, {})
        self._unsubscribe: Any = None

    def start(self) -> None:
        self._state.observers.add(self)

    def stop(self) -> None:
        self._state.observers.remove(self)

    def _aliases(self, rt: Any) -> dict[str, _Watched]:
        cached, watched = self._cache
        if cached is not rt.version:  # a new configuration version
            watched = _watched(rt)
            self._cache = (rt.version, watched)
        return watched

    # ------------------------------------------------------------ per event: O(1)

    def on_call(self, record: CallRecord) -> None:
        if record.alias is None or record.kind not in ("call", "stream_error"):
            return
        for a in record.attempts:
            self.observe(record.alias, a["model"], a["outcome"], a["duration_ms"] or 0.0)

    def observe(self, alias: str, model: str, outcome: str, latency_ms: float) -> None:
        """One attempt of a call to ``alias``."""
        if outcome == "refused" or outcome == "skipped":
            return
        rt = self._state
        w = self._aliases(rt).get(alias_key(alias))
        if w is None:
            return
        is_canary = model in w.canaries
        if not is_canary and model != w.baseline:
            return  # a fallback: not part of the comparison
        error = outcome != "ok"
        k = (w.key, model)
        due = False
        with self._lock:
            if k in self._rolled:
                if rt.weight_overrides.get(w.key, {}).get(model) == 0.0:
                    return  # rolled back: the tail of calls already in flight
                self._rolled.discard(k)  # weight raised again by hand: judge afresh
                self._windows.pop(k, None)
            win = self._windows.get(k)
            if win is None:
                if len(self._windows) >= _MAX_KEYS:
                    self._windows.pop(next(iter(self._windows)))
                win = self._windows[k] = _Window(w.window)
            win.add(error, latency_ms)
            if is_canary:
                win.since_judge += 1
                full = win.since_judge >= self.judge_every or len(win.outcomes) == w.cfg.min_calls
                if full:
                    win.since_judge = 0
                due = error or full
        if due:
            self._judge(rt, w, model, full)

    # ------------------------------------------------------------ judgement

    def _stats(self, k: tuple[str, str], full: bool) -> Stats:
        with self._lock:
            win = self._windows.get(k)
            if win is None:
                return Stats(0, 0, None)
            calls, errors = len(win.outcomes), win.errors
            latencies = list(win.latencies) if full else None
        return Stats(calls, errors, p95(latencies) if latencies is not None else None)  # sorted outside the lock

    def _judge(self, rt: Any, w: _Watched, model: str, full: bool) -> None:
        in_cooldown = rt.cooldowns.state(model) != "closed"
        canary = self._stats((w.key, model), full)
        baseline = self._stats((w.key, w.baseline), full)
        verdict = judge(baseline, canary, w.cfg, in_cooldown=in_cooldown)
        if not verdict.rollback:
            if full and canary.calls >= w.cfg.min_calls and w.cfg.gate_ramp and w.alias.ramp:
                self._advance_gate(rt, w, verdict)
            return
        k = (w.key, model)
        with self._lock:
            if k in self._rolled:
                return  # another thread got there first: one rollback, one warning
            self._rolled.add(k)
            self._windows.pop(k, None)  # judged afresh if it is ever rolled forward
        self._rollback(rt, w, model, verdict, baseline, canary, in_cooldown)

    def _advance_gate(self, rt: Any, w: _Watched, verdict: Verdict) -> None:
        """Healthy on min_calls at the current step: allow the next ramp step (its date
        still decides when it starts). The canaries' windows restart at the new weights."""
        gates = rt.ramp_gates
        with self._lock:
            current = gates.get(w.key, 0)
            if current >= len(w.alias.ramp):
                return
            by_date = bisect.bisect_right([s.at for s in w.alias.ramp], rt.version.clock())
            if by_date <= current:
                return  # the next step's date has not come: nothing to allow yet
            gates[w.key] = current + 1
            for m in w.canaries:
                self._windows.pop((w.key, m), None)
        log.info("bedrock-lifecycle canary analysis: alias %r ramp advances to step %d (%s)",
                 w.name, current + 1, verdict.reason)

    def _rollback(
        self, rt: Any, w: _Watched, model: str, verdict: Verdict, baseline: Stats, canary: Stats, in_cooldown: bool
    ) -> None:
        forced = False
        if _leaves_nothing(rt, w, model):
            rt.set_weight(w.name, w.baseline, 1.0)  # first: never a moment with every weight 0
            forced = True
            with self._lock:
                self._forced_baseline[w.key] = w.baseline
        rt.set_weight(w.name, model, 0.0)
        entry = {
            "alias": w.name,
            "model": model,
            "baseline": w.baseline,
            "reason": verdict.reason,
            "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "stats": {"baseline": asdict(baseline), "canary": asdict(canary)},
            "in_cooldown": in_cooldown,
            "baseline_weight_forced": forced,
        }
        rt.rollbacks.append(entry)
        # Observers hear of it (the built-in metrics keep it for `status`'s snapshot files).
        notify(rt.observers.items, CallRecord("rollback", "", w.name, w.name, model, [], None, entry,
                                              rt.region, w.baseline))
        text = (
            f"canary {model} of alias {w.name!r} rolled back to weight 0 "
            f"(traffic returns to {w.baseline}): {verdict.reason}"
        )
        log.warning("bedrock-lifecycle canary analysis: %s", text)
        warning = CanaryRollbackWarning(text)
        warning.rollback = entry  # type: ignore[attr-defined]
        warnings.warn(warning, stacklevel=caller_stacklevel())

    # ------------------------------------------------------------ inspection

    def snapshot(self) -> dict[str, dict[str, Stats]]:
        """Current window statistics: {alias name: {model: Stats}}."""
        rt = self._state
        out: dict[str, dict[str, Stats]] = {}
        for w in self._aliases(rt).values():
            models = [w.baseline, *sorted(w.canaries)]
            out[w.name] = {m: self._stats((w.key, m), True) for m in models}
        return out

    def forget(self, alias: str, model: str) -> str | None:
        """Drop a model's window and rollback mark; returns the baseline this analyzer had
        forced to weight 1 for the alias, if any (for :func:`restore`)."""
        key = alias_key(alias)
        with self._lock:
            self._windows.pop((key, model), None)
            self._rolled.discard((key, model))
            return self._forced_baseline.pop(key, None)


def _leaves_nothing(rt: Any, w: _Watched, model: str) -> bool:
    """Whether zeroing ``model`` leaves some weight set (now or at a ramp step) with no
    positive weight: the compiled alias would have no target to draw."""
    overrides = rt.weight_overrides.get(w.key, {})
    targets = w.alias.targets
    steps = [[t.weight for t in targets], *[list(s.weights) for s in w.alias.ramp]]
    for weights in steps:
        live = [
            overrides.get(t.model, wt)
            for t, wt in zip(targets, weights, strict=True)
            if t.model != model
        ]
        if not any(x > 0 for x in live):
            return True
    return False




# -------------------------------------------------------------------------- attaching


def _wanted(state: ClientState) -> bool:
    # Only when an alias enables analysis with a canary; a reloaded version that does gets
    # the analyzer then (api.reconfigure attaches features again).
    return bool(_watched(state))


def attach(state: ClientState, environ: Mapping[str, str]) -> None:
    """Give a client its canary analyzer (idempotent). It observes the client's calls
    only when an alias has analysis enabled and a canary (or the configuration can be
    reloaded): otherwise it costs nothing per call."""
    analyzer = state.plugins.get("canary")
    if analyzer is None:
        analyzer = CanaryAnalyzer(state)
        state.plugins["canary"] = analyzer
    if _wanted(state):
        analyzer.start()


def analysis_of(client: Any) -> CanaryAnalyzer | None:
    """The canary analyzer of a wrapped client (None before attach)."""
    return state_of(client).plugins.get("canary")


def restore(client: Any, alias: str, model: str) -> None:
    """Undo a rollback: drop the run-time weight override of ``model`` (and of the
    baseline, when the rollback had to give it weight 1), so the configured weights and
    ramp apply again, and judge the canary afresh. ``client`` may be a wrapped client or
    its state."""
    st = client if isinstance(client, ClientState) else state_of(client)
    if st.version.alias(alias) is None:
        raise ValueError(f"no alias {alias!r}")
    analyzer = st.plugins.get("canary")
    forced = analyzer.forget(alias, model) if analyzer is not None else None
    for m in {model} | ({forced} if forced else set()):
        st.clear_weight(alias, m)


__all__ = ["CanaryAnalyzer", "Stats", "Verdict", "analysis_of", "attach", "judge", "p95", "restore"]
