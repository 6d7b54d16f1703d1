"""The drop-in client, ``bedrock_lifecycle.client()`` and ``wrap()``.

A real botocore ``bedrock-runtime`` client whose model-carrying operations resolve
aliases, apply the lifecycle policy, retry and fall back. (The module is not called
``client`` so that ``bedrock_lifecycle.client`` stays the function.)

Mechanism: the client's class is swapped for a subclass that overrides
``_make_api_call`` (the one method every operation goes through). The object stays a
real ``BaseClient``: same methods, ``exceptions``, ``meta``, waiters, paginators, and
botocore's ``Stubber`` sees the resolved ``modelId``. Operations without a model pass
straight through.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import functools
import logging
import math
import os
import random
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.client import BaseClient
from botocore.config import Config as BotoConfig
from botocore.eventstream import EventStream
from botocore.exceptions import ClientError, EventStreamError

from bedrock_lifecycle.clock import Clock
from bedrock_lifecycle.config import AliasConfig, Config, alias_key
from bedrock_lifecycle.core import routing
from bedrock_lifecycle.core.classify import Classifier, Disposition, error_code
from bedrock_lifecycle.core.cooldown import Cooldowns
from bedrock_lifecycle.core.operations import OperationInfo, model_operations
from bedrock_lifecycle.core.policy import Action, Decision, Policy, decide
from bedrock_lifecycle.core.retry import RetryRunner, _peek
from bedrock_lifecycle.errors import (
    REFUSAL_FOR_STATE,
    ConfigError,
    ModelApproachingEOLWarning,
    ModelExtendedAccessWarning,
    ModelLegacyWarning,
    ModelLifecycleError,
    ModelLifecycleWarning,
    UnknownModelError,
    bind_to_client,
    caller_stacklevel,
    describe,
)
from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.lifecycle.model import LifecycleStatus, State
from bedrock_lifecycle.observe.events import GLOBAL_EVENTS, AttemptEvent, EventBus, usage_of

log = logging.getLogger("bedrock_lifecycle")
log.addHandler(logging.NullHandler())  # a library never prints through logging's last resort

META_KEY = "BedrockLifecycle"
_STATE_ATTR = "_bedrock_lifecycle"

_WARNING_CLASS: dict[str, type[ModelLifecycleWarning]] = {
    "legacy": ModelLegacyWarning,
    "extended_access": ModelExtendedAccessWarning,
    "approaching_eol": ModelApproachingEOLWarning,
    "eol": ModelLifecycleWarning,
}
_DECISION_TTL = _dt.timedelta(hours=1)
_routing_key_var = routing._routing_key  # read directly on the hot path
_RELOAD_SECONDS = 3600.0
_METRICS_BATCH = 128  # as bedrock_lifecycle.observe.metrics.Metrics.batch


def _unset_send(operation: str, params: dict[str, Any]) -> Any:
    raise RuntimeError("runtime is not attached to a client yet")


def build_registry(config: Config, client: BaseClient | None = None) -> Any:
    """The registry a configuration asks for: bundled data, the sync cache, the user's
    overrides and base-model map, and (opt-in) control-plane resolution of ARNs."""
    from bedrock_lifecycle.lifecycle.registry import Registry

    resolver = None
    if config.registry.resolve_via_api:
        from bedrock_lifecycle.lifecycle.resolver import ControlPlaneResolver

        resolver = ControlPlaneResolver()  # the default boto3 session, in the model's region
    return Registry.default(
        cache_dir=config.registry.cache_dir,
        overrides=[o.to_entry() for o in config.registry.overrides],
        base_model_map=config.registry.base_models or None,
        resolver=resolver,
    )

_warned: set[tuple[str, str, str]] = set()
_warned_lock = threading.Lock()


def _warn_once(decision: Decision) -> None:
    """One warning per (model, region, reason) per process, also logged."""
    s = decision.status
    key = (s.model_id, s.region or "", decision.reason)
    if key in _warned:
        return
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    text = describe(s)
    log.warning("%s", text)
    category = _WARNING_CLASS.get(decision.reason, ModelLifecycleWarning)
    w = category(text)
    w.status = s
    warnings.warn(w, stacklevel=caller_stacklevel())


def reset_warnings() -> None:
    """Forget which warnings were shown (tests, long-running REPLs)."""
    with _warned_lock:
        _warned.clear()


class Shared:
    """What outlives a configuration version: the registry, cooldowns, event subscribers,
    hooks, run-time weight overrides and rollbacks. A new configuration version gets a
    new :class:`Runtime` over the same ``Shared``."""

    def __init__(self, client: BaseClient, registry: Any, owns_registry: bool, sleep: Callable[[float], None],
                 rng: random.Random, owns_retries: bool) -> None:
        self.client_ref = weakref.ref(client)
        self.registry = registry
        self.owns_registry = owns_registry
        self.sleep = sleep
        self.rng = rng
        self.owns_retries = owns_retries
        self.cooldowns = Cooldowns()
        self.events = EventBus()
        # (operation, caller's params, plan, serving model, response): shadow traffic etc.
        self.on_success: list[Callable[[str, dict[str, Any], routing.Plan, str, Any], None]] = []
        # The wrapped client's own _make_api_call, bypassing aliases and policy (shadow copies).
        self.send_direct: Callable[[str, dict[str, Any]], Any] = _unset_send
        # Run-time weight changes (canary rollback): alias key -> {model: weight}.
        self.weight_overrides: dict[str, dict[str, float]] = {}
        self.generation = 0  # bumped by every weight override: compiled aliases rebuild
        self.rollbacks: list[dict[str, Any]] = []
        # alias key -> highest step index in force (0: the targets' own weights, i: ramp
        # step i-1) for ramps gated on canary health; absent: dates alone decide.
        self.ramp_gates: dict[str, int] = {}
        self.lock = threading.Lock()
        self.next_reload = time.monotonic() + _RELOAD_SECONDS
        # The built-in metrics' fast path (one tuple per call) and their event entry point.
        self.metrics_sink: Callable[[tuple[Any, ...]], None] | None = None
        self.metrics_event: Callable[[AttemptEvent], None] | None = None
        self.metrics_queue: Any = None  # the built-in metrics' pending deque (hot path appends)
        self.metrics_apply: Callable[[], None] | None = None
        self.reloader: Any = None  # sources.Reloader when the configuration has a source


class Runtime:
    """One configuration version's call algorithm and caches, used by every thread.

    Immutable in its configuration: a new version builds a new Runtime (see
    :func:`reconfigure`) and the client's reference is swapped in one assignment, so a
    request never sees half of an old and half of a new configuration.
    """

    def __init__(
        self,
        client: BaseClient,
        config: Config,
        *,
        registry: Any = None,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        owns_retries: bool = True,
        shared: Shared | None = None,
    ) -> None:
        self.config = config
        self.region: str = client.meta.region_name or ""
        if shared is None:
            owns = registry is None
            if registry is None:
                registry = build_registry(config, client)
            shared = Shared(client, registry, owns, sleep, rng or random.Random(), owns_retries)
        self.shared = shared
        self.registry = shared.registry
        # Config's ``now`` (from BEDROCK_LIFECYCLE_NOW) pins the clock for rehearsals.
        if clock is None:
            pinned = config.now
            # functools.partial of a C function: no Python frame on the hot path.
            clock = (lambda: pinned) if pinned is not None else functools.partial(_dt.datetime.now, _dt.timezone.utc)
        self.clock: Clock = clock
        self.rng = shared.rng
        self.model_ops: dict[str, OperationInfo] = model_operations(client.meta.service_model)
        self.policy = Policy(**config.policy.model_dump())
        self.aliases: dict[str, tuple[str, AliasConfig]] = {
            alias_key(n): (n, a) for n, a in config.aliases.items()
        }
        # alias name -> its first target (the baseline canary analysis compares against)
        self._baselines = {n: a.targets[0].model for n, a in config.aliases.items() if a.targets}
        self.classifier = Classifier.configured(
            config.routing.fallback_on, config.routing.never_fallback_on
        )
        self.cooldowns = shared.cooldowns
        self.cooldowns.failures = config.routing.cooldown_after_failures
        self.cooldowns.seconds = config.routing.cooldown_seconds
        self.retry = RetryRunner(config.routing, sleep=shared.sleep, owns_retries=shared.owns_retries)
        self._decisions: dict[str, tuple[_dt.datetime, _dt.datetime, Decision]] = {}
        self._concrete_plans: dict[str, routing.Plan] = {}
        self._compiled: dict[str, _CompiledAlias] = {}  # by modelId as the caller spells it
        self._generation = shared.generation
        self.events = shared.events
        self.on_success = shared.on_success
        self.rollbacks = shared.rollbacks

    @property
    def send_direct(self) -> Callable[[str, dict[str, Any]], Any]:
        return self.shared.send_direct

    @property
    def weight_overrides(self) -> dict[str, dict[str, float]]:
        return self.shared.weight_overrides

    def current(self) -> Runtime:
        """The runtime in force on this client now (a later configuration version may
        have replaced this one); hooks holding a runtime should read config through it."""
        client = self.shared.client_ref()
        rt = client.__dict__.get(_STATE_ATTR) if client is not None else None
        return rt if isinstance(rt, Runtime) else self

    # ------------------------------------------------------------------ planning

    def plan(self, model_id: str, now: _dt.datetime) -> routing.Plan:
        if "." not in model_id and ":" not in model_id:
            if self._generation != self.shared.generation:  # a weight override happened
                self._compiled = {}
                self._generation = self.shared.generation
            compiled = self._compiled.get(model_id)
            if compiled is None:
                found = self.aliases.get(alias_key(model_id))
                if found is not None:
                    compiled = _CompiledAlias(found[0], found[1], self.weight_overrides.get(alias_key(model_id)),
                                              self.shared.ramp_gates)
                    if len(self._compiled) < 1024:
                        self._compiled[model_id] = compiled
            if compiled is not None:
                return compiled.plan(now, _routing_key_var.get(), self.rng)
        p = self._concrete_plans.get(model_id)
        if p is None:
            parse_model_id(model_id)  # raises ModelIdError; cached plans are valid IDs
            p = routing.plan_model(self.config, model_id)
            if len(self._concrete_plans) < 4096:
                self._concrete_plans[model_id] = p
        return p

    def lookup(self, model_id: str, now: _dt.datetime) -> LifecycleStatus:
        return self.registry.lookup(model_id, self.region, now)  # type: ignore[no-any-return]

    def decision(self, model_id: str, now: _dt.datetime) -> Decision:
        """The policy decision for a model, cached until the next date that could change it.

        A decision only changes at the model's legacy, extended-access, EOL and
        warn-before-EOL instants, so the hot path is a dict hit and two comparisons.
        The cache also expires hourly so refreshed registry data is picked up.
        """
        hit = self._decisions.get(model_id)
        if hit is not None and hit[0] <= now < hit[1]:
            return hit[2]
        if self.shared.owns_registry and time.monotonic() >= self.shared.next_reload:
            self._reload_registry()
        status = self.lookup(model_id, now)
        d = decide(status, self.policy)
        marks = [status.legacy_date, status.extended_access_date, status.eol_date]
        if status.eol_date is not None:
            marks.append(status.eol_date - _dt.timedelta(days=self.policy.warn_before_eol_days))
        lo, hi = _dt.datetime.min.replace(tzinfo=_dt.timezone.utc), now + _DECISION_TTL
        for m in marks:
            if m is None:
                continue
            if m <= now:
                lo = max(lo, m)
            else:
                hi = min(hi, m)
        if len(self._decisions) > 4096:
            self._decisions.clear()
        self._decisions[model_id] = (lo, hi, d)
        return d

    def _reload_registry(self) -> None:
        self.shared.next_reload = time.monotonic() + _RELOAD_SECONDS
        try:
            self.registry.load_cache(self.config.registry.cache_dir)
        except Exception as exc:  # a bad cache never breaks a request
            log.warning("could not re-read the lifecycle sync cache: %s", exc)
            return
        self._decisions.clear()

    def invalidate(self) -> None:
        """Forget cached decisions (after the registry or the configuration changed)."""
        self._decisions.clear()
        self._concrete_plans.clear()
        self._compiled.clear()

    def check_startup(self) -> None:
        """Report at creation, not at the first request, a configured target past EOL."""
        now = self.clock()
        problems = []
        for name, alias in self.config.aliases.items():
            models = [t.model for t in alias.targets] + list(alias.fallbacks)
            states = {m: self.lookup(m, now) for m in models}
            live = [m for m, s in states.items() if s.state is not State.EOL]
            for s in states.values():
                if s.state is State.EOL and not live:
                    problems.append(f"alias {name!r}: {describe(s)} No other target or fallback is live")
        for model, chain in self.config.chains.items():
            states = {m: self.lookup(m, now) for m in [model, *chain]}
            if all(s.state is State.EOL for s in states.values()):
                problems.append(f"chain for {model!r}: every model is past EOL in {self.region}")
        if problems:
            raise ConfigError("; ".join(problems))

    # ------------------------------------------------------------------ the call

    def call(self, client: BaseClient, send: Callable[[str, dict[str, Any]], Any], operation: str, params: dict[str, Any]) -> Any:
        info = self.model_ops[operation]
        requested = params.get("modelId")
        if not isinstance(requested, str):
            return send(operation, params)  # let botocore report the missing/bad parameter
        now = self.clock()
        p = self._concrete_plans.get(requested)  # inlined: the commonest case, a known model ID
        if p is None:
            try:
                p = self.plan(requested, now)
            except ModelIdError as exc:
                raise self._unknown_model(client, operation, requested, exc) from None
        if p.alias is not None and info.family_members and self._family_mismatch(p, params, info):
            raise bind_to_client(UnknownModelError, client)(
                f"alias {p.alias!r} mixes model families "
                f"({', '.join(self.aliases[alias_key(p.alias)][1].mixed_families())}); "
                f"{operation} sends a family-specific body. Use Converse, or give the targets a body_adapter",
                operation,
                requested,
            )
        candidates = p.candidates
        cooldowns = self.cooldowns
        if cooldowns._open and len(candidates) > 1:
            candidates = cooldowns.order([c.model for c in candidates], candidates)  # type: ignore[assignment]
        # Fast path: the first candidate is allowed and answers at the first try.
        first = candidates[0]
        hit = self._decisions.get(first.model)  # inlined decision() cache hit
        decision = hit[2] if hit is not None and hit[0] <= now < hit[1] else self.decision(first.model, now)
        if decision.action is Action.WARN:
            _warn_once(decision)
        elif decision.action is not Action.ALLOW:
            return self._slow(client, send, operation, params, info, p, candidates, now, None)
        call_params = params if first.target is None and first.model == requested else self._apply_target(params, first, info)
        t0 = time.monotonic()
        try:
            response = send(operation, call_params)
            if info.stream_member is not None:
                _peek(response, info.stream_member)
        except Exception as exc:
            failure = (exc, t0, time.monotonic() - t0)
            return self._slow(client, send, operation, params, info, p, candidates, now, failure)
        if cooldowns.tracked:
            cooldowns.success(first.model)
        attempts = [{"model": first.model, "outcome": "ok", "error_code": None, "message": None,
                     "duration_ms": (time.monotonic() - t0) * 1000.0, "role": first.role}]
        if not self.retry.owns_retries:  # a wrapped client whose botocore retried: say so
            retried = response.get("ResponseMetadata", {}).get("RetryAttempts") if isinstance(response, dict) else None
            if retried:
                attempts[0]["botocore_attempts"] = 1 + int(retried)
        return self._finish(client, response, p, first.model, attempts, info, operation, params)

    def _slow(
        self,
        client: BaseClient,
        send: Callable[[str, dict[str, Any]], Any],
        operation: str,
        params: dict[str, Any],
        info: OperationInfo,
        p: routing.Plan,
        candidates: Sequence[routing.Candidate],
        now: _dt.datetime,
        failure: tuple[BaseException, float, float] | None,
    ) -> Any:
        """Every candidate in turn: policy, retries, fallback. ``failure`` is the fast
        path's failed first attempt on ``candidates[0]``, continued here."""
        attempts: list[dict[str, Any]] = []
        deadline = self.retry.deadline(start=failure[1] if failure else None)
        last_exc: BaseException | None = None
        refusal: ModelLifecycleError | None = None
        n = len(candidates)
        for idx, cand in enumerate(candidates):
            if idx > 0 or failure is None:
                decision = self.decision(cand.model, now)
                action = decision.action
                if action is Action.WARN:
                    _warn_once(decision)
                elif action is not Action.ALLOW:
                    err = self._refusal(client, operation, decision, p)
                    # A refusal stops the call only before anything was sent; once a target
                    # has failed on the wire, that failure is the story and this is skipped.
                    refuse = action is Action.REFUSE and last_exc is None
                    attempts.append(_attempt(cand.model, "refused" if refuse else "skipped", err, 0.0, cand.role))
                    if refuse:
                        err.attempts = attempts
                        _note(err, attempts)
                        self._record(p, operation, attempts, None)
                        raise err
                    refusal = refusal or err
                    continue
            call_params = self._apply_target(params, cand, info)
            outcome = self.retry.run(
                send,
                operation,
                call_params,
                classify=self._classify,
                deadline=deadline,
                stream_member=info.stream_member,
                first_failure=(failure[0], failure[2]) if (idx == 0 and failure) else None,
            )
            for a in outcome.attempts:
                attempts.append(_attempt(cand.model, a.outcome, a.error, a.duration, cand.role))
            if outcome.error is None:
                if self.cooldowns.tracked:
                    self.cooldowns.success(cand.model)
                return self._finish(client, outcome.response, p, cand.model, attempts, info, operation, params)
            last_exc = outcome.error
            if outcome.disposition is Disposition.FATAL:
                break
            self.cooldowns.failure(cand.model)
            if (deadline is not None and time.monotonic() >= deadline) or idx == n - 1:
                break
        self._record(p, operation, attempts, None)
        if last_exc is None:
            assert refusal is not None
            refusal.attempts = attempts
            _note(refusal, attempts)
            raise refusal
        _attach(last_exc, attempts)
        raise last_exc

    def _order_by_health(self, candidates: tuple[routing.Candidate, ...]) -> Sequence[routing.Candidate]:
        if len(candidates) == 1 or not self.cooldowns.any_open():
            return candidates  # type: ignore[return-value]
        return self.cooldowns.order([c.model for c in candidates], candidates)

    def _classify(self, exc: BaseException) -> Disposition:
        code, message = error_code(exc)
        if isinstance(exc, ModelLifecycleError):
            return Disposition.FALLBACK
        return self.classifier.classify(code, message)

    def _unknown_model(self, client: BaseClient, operation: str, model_id: str, exc: Exception) -> ClientError:
        names = sorted(n for n, _ in self.aliases.values())
        close = routing.closest_alias(self.config, model_id)
        hint = f" Did you mean {close!r}?" if close else ""
        known = ", ".join(repr(n) for n in names) if names else "none configured"
        err: ClientError = bind_to_client(UnknownModelError, client)(
            f"{exc}. It is not a configured alias either (aliases: {known}).{hint}",
            operation,
            model_id,
        )
        return err

    def _family_mismatch(self, p: routing.Plan, params: dict[str, Any], info: OperationInfo) -> bool:
        found = self.aliases.get(alias_key(p.alias or ""))
        if found is None or not found[1].mixed_families():
            return False
        if info.name == "CountTokens":
            return "invokeModel" in (params.get("input") or {})
        return True

    def _refusal(self, client: BaseClient, operation: str, decision: Decision, p: routing.Plan) -> ModelLifecycleError:
        status = decision.status
        cls = REFUSAL_FOR_STATE.get(status.state, ModelLifecycleError)
        why = describe(status)
        via = f" (alias {p.alias!r})" if p.alias else ""
        policy_word = {"eol": "on_eol", "legacy": "on_legacy", "extended_access": "on_extended_access"}.get(decision.reason, "")
        msg = f"Refused by bedrock-lifecycle before sending{via}: {why}"
        if decision.reason != "eol":
            msg += f" (policy {policy_word} = {getattr(self.policy, policy_word, '')!r})"
        err: ModelLifecycleError = bind_to_client(cls, client)(msg, operation, status)
        return err

    def _apply_target(self, params: dict[str, Any], cand: routing.Candidate, info: OperationInfo) -> dict[str, Any]:
        t = cand.target
        if t is None and params["modelId"] == cand.model:
            return params  # a concrete model ID as the caller sent it: nothing to change
        out = dict(params)
        out["modelId"] = cand.model
        if t is None:
            return out
        if "messages" in out or info.name.startswith("Converse"):
            if t.inference_config:
                out["inferenceConfig"] = {**(params.get("inferenceConfig") or {}), **t.inference_config}
            if t.additional_model_request_fields:
                out["additionalModelRequestFields"] = {
                    **(params.get("additionalModelRequestFields") or {}),
                    **t.additional_model_request_fields,
                }
            if t.system is not None:
                block = [{"text": t.system.text}]
                current = list(params.get("system") or [])
                out["system"] = (
                    block if t.system.mode == "replace"
                    else block + current if t.system.mode == "prepend"
                    else current + block
                )
        if t.body_adapter and info.family_members:
            adapter = self.config.adapter(t.body_adapter)  # resolved when the version was validated
            for m in info.family_members:
                if m in out:
                    out[m] = adapter(out[m], cand.model)
        return out

    def _finish(
        self,
        client: BaseClient,
        response: Any,
        p: routing.Plan,
        model: str,
        attempts: list[dict[str, Any]],
        info: OperationInfo,
        operation: str,
        params: dict[str, Any],
    ) -> Any:
        meta = {
            "alias": p.alias,
            "requested": p.requested,
            "model_id": model,
            "attempts": attempts,
            "config_version": self.config.version,
        }
        usage = None
        if isinstance(response, dict):
            response.setdefault("ResponseMetadata", {})[META_KEY] = meta
            if info.stream_member and isinstance(response.get(info.stream_member), EventStream):
                response[info.stream_member] = _guard_stream(client, response[info.stream_member], attempts, self, p, operation)
            usage = response.get("usage")
        q = self.shared.metrics_queue
        if q is not None and usage.__class__ is dict and not (self.events.active or GLOBAL_EVENTS.active):
            # Inlined _record for the commonest case: a Converse answer, built-in metrics only.
            q.append((p.alias, attempts, usage.get("inputTokens"), usage.get("outputTokens"),  # type: ignore[union-attr]
                      self._baselines.get(p.alias) if p.alias else None, time.time()))
            if len(q) >= _METRICS_BATCH:
                self.shared.metrics_apply()  # type: ignore[misc]
        else:
            self._record(p, operation, attempts, response)
        if self.on_success:
            for hook in self.on_success:
                try:
                    hook(operation, params, p, model, response)
                except Exception:  # shadow traffic and the like never affect the caller
                    log.exception("bedrock-lifecycle on_success hook %r failed", hook)
        return response

    def _record(self, p: routing.Plan, operation: str, attempts: list[dict[str, Any]], response: Any) -> None:
        """Feed the built-in metrics (cheap: one tuple) and, when anyone listens, the events."""
        sink = self.shared.metrics_sink
        if sink is not None:
            usage = response.get("usage") if isinstance(response, dict) else None
            if isinstance(usage, dict):
                tin, tout = usage.get("inputTokens"), usage.get("outputTokens")
            else:
                tin = tout = None
                if response is not None:
                    tin, tout, _ = usage_of(response)
            sink((p.alias, attempts, tin, tout, self._baselines.get(p.alias) if p.alias else None, time.time()))
        if self.events.active or GLOBAL_EVENTS.active:
            self._emit(p, operation, attempts, response)

    def _emit(self, p: routing.Plan, operation: str, attempts: list[dict[str, Any]], response: Any) -> None:
        """One event per attempt; tokens and stop reason on the attempt that served."""
        baseline = self._baselines.get(p.alias) if p.alias is not None else None
        tokens_in, tokens_out, stop = usage_of(response) if response is not None else (None, None, None)
        at = time.time()
        failed_before = False
        last = len(attempts) - 1
        first_model = attempts[0]["model"] if attempts else None
        own, glob = self.events, GLOBAL_EVENTS
        for i, a in enumerate(attempts):
            last_ok = response is not None and i == last
            model = a["model"]
            ev = AttemptEvent(
                p.alias, model, self.region, operation, a["outcome"], a["error_code"], a["duration_ms"] or 0.0,
                tokens_in if last_ok else None, tokens_out if last_ok else None, a["role"],
                failed_before and model != first_model, False,
                baseline is not None and a["role"] != "fallback" and model != baseline,
                stop if last_ok else None, at,
            )
            if own.active:
                own.emit(ev)
            if glob.active:
                glob.emit(ev)
            failed_before = failed_before or a["outcome"] != "ok"

    def set_weight(self, alias: str, model: str, weight: float) -> None:
        """Override one target's weight at run time (canary rollback). It survives ramp
        steps and new configuration versions; thread-safe."""
        rt = self.current()
        found = rt.aliases.get(alias_key(alias))
        if found is None or model not in [t.model for t in found[1].targets]:
            raise ValueError(f"alias {alias!r} has no target {model!r}")
        sh = self.shared
        with sh.lock:
            overrides = dict(sh.weight_overrides.get(alias_key(alias), {}))
            overrides[model] = float(weight)
            sh.weight_overrides = {**sh.weight_overrides, alias_key(alias): overrides}
            sh.generation += 1

    def clear_weight(self, alias: str, model: str) -> bool:
        """Drop a run-time override (undo a rollback): the configured weights apply again."""
        sh = self.shared
        with sh.lock:
            overrides = dict(sh.weight_overrides.get(alias_key(alias), {}))
            if overrides.pop(model, None) is None:
                return False
            table = dict(sh.weight_overrides)
            if overrides:
                table[alias_key(alias)] = overrides
            else:
                table.pop(alias_key(alias), None)
            sh.weight_overrides = table
            sh.generation += 1
            return True


def reconfigure(client: BaseClient, config: Config) -> Runtime:
    """Put a new configuration version in force on a wrapped client, atomically.

    The new version is validated (including the start-up EOL check) before anything
    changes; on error the old version stays and :class:`ConfigError` is raised.
    """
    old = runtime_of(client)
    rt = Runtime(client, config, clock=old.clock if old.config.now == config.now else None, shared=old.shared)
    rt.check_startup()
    _drop_stale_overrides(old.config, config, rt.shared)
    client.__dict__[_STATE_ATTR] = rt  # one reference assignment: atomic for readers
    from bedrock_lifecycle.migrate import canary as analysis
    from bedrock_lifecycle.migrate import shadow

    shadow.attach(rt, {})  # a later version may add shadow or analysis (both idempotent)
    analysis.attach(rt, {})
    return rt


def _drop_stale_overrides(old: Config, new: Config, shared: Shared) -> None:
    """A run-time rollback stands until the configuration itself changes that alias's
    weights (an operator re-ramping the canary, or a fleet rollback written back)."""
    with shared.lock:
        keep = {}
        for key, overrides in shared.weight_overrides.items():
            a, b = old.alias(key), new.alias(key)
            same = a is not None and b is not None and (
                [(t.model, t.weight) for t in a[1].targets] == [(t.model, t.weight) for t in b[1].targets]
                and [s.weights for s in a[1].ramp] == [s.weights for s in b[1].ramp]
            )
            if same:
                keep[key] = overrides
        if keep != shared.weight_overrides:
            shared.weight_overrides = keep
            shared.generation += 1


# --------------------------------------------------------------------------- helpers


class _CompiledAlias:
    """An alias prepared for the hot path; the decisions are routing.py's.

    Same results as ``routing.plan_alias`` (the first place follows the weights, a key is
    sticky and monotone), with candidates built once, ramp instants pre-sorted, and sticky
    orders memoised, so a call costs a bisect and a random draw.
    """

    def __init__(self, name: str, alias: AliasConfig, overrides: Mapping[str, float] | None = None,
                 gates: Mapping[str, int] | None = None) -> None:
        self.name = name
        self.key = alias_key(name)
        self.alias = alias
        self.gates = gates if alias.analysis is not None and alias.analysis.gate_ramp and alias.ramp else None
        targets = alias.targets
        self.primary = [routing.Candidate(t.model, t, "primary") for t in targets]
        self.other = [routing.Candidate(t.model, t, "target") for t in targets]
        models = {t.model for t in targets}
        self.fallbacks = tuple(
            routing.Candidate(m, None, "fallback") for m in dict.fromkeys(alias.fallbacks) if m not in models
        )
        self.duplicates = len(models) != len(targets)
        self.ramp_at = [s.at for s in alias.ramp]
        self.ramp_w = [tuple(s.weights) for s in alias.ramp]
        self.base_w = tuple(t.weight for t in targets)
        if overrides:  # a rolled-back canary keeps its override through every ramp step
            fixed = {i: overrides[t.model] for i, t in enumerate(targets) if t.model in overrides}
            self.base_w = tuple(fixed.get(i, w) for i, w in enumerate(self.base_w))
            self.ramp_w = [tuple(fixed.get(i, w) for i, w in enumerate(ws)) for ws in self.ramp_w]
        # Per weight vector in force (index 0: the targets' own, i: ramp step i-1), the
        # positive indices, cumulative weights and total, and memoised plans.
        self._steps = [self._step(w) for w in (self.base_w, *self.ramp_w)]
        self._sticky: dict[tuple[int, str], routing.Plan] = {}

    @staticmethod
    def _step(w: tuple[float, ...]) -> tuple[tuple[float, ...], list[int], list[float], float, dict[int, routing.Plan]]:
        positive = [i for i, x in enumerate(w) if x > 0]
        if not positive:
            # Every weight overridden to 0 (rollbacks): the baseline still serves rather
            # than the call failing unseen. Configurations themselves cannot do this.
            w = (1.0, *w[1:])
            positive = [0]
        cum, total = [], 0.0
        for i in positive:
            total += w[i]
            cum.append(total)
        return w, positive, cum, total, {}

    def step_index(self, now: _dt.datetime) -> int:
        si = bisect.bisect_right(self.ramp_at, now) if self.ramp_at else 0
        if self.gates is not None:
            si = min(si, self.gates.get(self.key, 0))
        return si

    def weights(self, now: _dt.datetime) -> tuple[float, ...]:
        return self._steps[self.step_index(now)][0]

    def _build(self, order: Sequence[int], weights: tuple[float, ...]) -> routing.Plan:
        cands = [self.primary[order[0]]] + [self.other[i] for i in order[1:]]
        if self.duplicates:
            seen: set[str] = set()
            cands = [c for c in cands if not (c.model in seen or seen.add(c.model))]  # type: ignore[func-returns-value]
        return routing.Plan(self.name, self.name, (*cands, *self.fallbacks), weights)

    def plan(self, now: _dt.datetime, key: str | None, rng: random.Random) -> routing.Plan:
        si = bisect.bisect_right(self.ramp_at, now) if self.ramp_at else 0
        if self.gates is not None:
            si = min(si, self.gates.get(self.key, 0))
        w, positive, cum, total, fixed = self._steps[si]
        if key is not None:
            p = self._sticky.get((si, key))
            if p is None:
                p = self._build(routing.order_targets(self.alias.targets, w, key), w)
                if len(self._sticky) > 16384:
                    self._sticky.clear()
                self._sticky[(si, key)] = p
            return p
        j = bisect.bisect_right(cum, rng.random() * total)
        if j >= len(positive):
            j = len(positive) - 1
        if len(positive) <= 2:  # the rest of the order is fixed: memoise the whole plan
            p = fixed.get(j)
            if p is None:
                p = fixed[j] = self._build([positive[j], *positive[:j], *positive[j + 1:]], w)
            return p
        rest = positive[:j] + positive[j + 1:]
        # Weighted order without replacement for the others (Efraimidis-Spirakis).
        rest.sort(key=lambda i: -math.log(rng.random() or 1e-300) / w[i])
        return self._build([positive[j], *rest], w)



def _attempt(model: str, outcome: str, error: BaseException | None, duration: float, role: str) -> dict[str, Any]:
    if error is None:
        code = message = None
    else:
        code, message = error_code(error)
    return {
        "model": model,
        "outcome": outcome,
        "error_code": code or None,
        "message": message or None,
        "duration_ms": duration * 1000.0,
        "role": role,
    }


def _note(exc: BaseException, attempts: list[dict[str, Any]]) -> None:
    lines = [
        f"  {i + 1}. {a['model']}: {a['outcome']}" + (f" ({a['error_code']}: {a['message']})" if a["error_code"] else "")
        for i, a in enumerate(attempts)
    ]
    note = "bedrock-lifecycle attempts:\n" + "\n".join(lines)
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:  # Python 3.10
        exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined]


def _attach(exc: BaseException, attempts: list[dict[str, Any]]) -> None:
    exc.attempts = attempts  # type: ignore[attr-defined]
    if isinstance(exc, ClientError):
        exc.response.setdefault("ResponseMetadata", {})[META_KEY] = {"attempts": attempts}
    _note(exc, attempts)


class _GuardedEventStream(EventStream):  # type: ignore[misc]
    """The same event stream, whose mid-stream errors carry the attempts and the code a
    non-streaming call would use (``ThrottlingException``, not ``throttlingException``)."""

    _bl_first: Any
    _bl_client: Any
    _bl_rt: tuple[Any, Any, str]
    _bl_attempts: list[dict[str, Any]]

    def __iter__(self) -> Any:
        if self._bl_first is not None:
            first, self._bl_first = self._bl_first, None
            yield first
        try:
            yield from self._bl_iter
        except EventStreamError as exc:
            err = _normalised_stream_error(self._bl_client, exc, self._bl_attempts)
            rt, plan, operation = self._bl_rt
            if rt is not None and plan is not None:
                rt._record(plan, operation, err.attempts[-1:], None)  # type: ignore[attr-defined]
            raise err from exc


def _guard_stream(
    client: BaseClient,
    stream: EventStream,
    attempts: list[dict[str, Any]],
    rt: Runtime | None = None,
    plan: routing.Plan | None = None,
    operation: str = "",
) -> EventStream:
    guarded = _GuardedEventStream.__new__(_GuardedEventStream)
    guarded.__dict__.update(stream.__dict__)
    peeked = getattr(stream, "_bl_peeked", None)
    guarded._bl_first = peeked[0] if peeked else None
    guarded._bl_iter = peeked[1] if peeked else iter(stream)
    guarded._bl_client = client
    guarded._bl_attempts = attempts
    guarded._bl_rt = (rt, plan, operation)
    return guarded


_stream_error_classes: dict[tuple[type, type], type] = {}


def _normalised_stream_error(client: BaseClient, exc: EventStreamError, attempts: list[dict[str, Any]]) -> ClientError:
    code, message = error_code(exc)
    modelled = getattr(client.exceptions, code, None)
    base = modelled if isinstance(modelled, type) else ClientError
    key = (base, EventStreamError)
    cls = _stream_error_classes.get(key)
    if cls is None:
        cls = _stream_error_classes.setdefault(key, type(code or "EventStreamError", (base, EventStreamError), {}))
    response = dict(exc.response)
    response["Error"] = {**exc.response.get("Error", {}), "Code": code}
    new = cls(response, exc.operation_name)
    attempts = [*attempts, {"model": attempts[-1]["model"] if attempts else None, "outcome": "stream_error",
                            "error_code": code, "message": message, "duration_ms": None, "role": "stream"}]
    _attach(new, attempts)
    return new  # type: ignore[no-any-return]


# ------------------------------------------------------------------ class swapping

_classes: dict[type, type] = {}
_classes_lock = threading.Lock()


class _LifecycleMixin:
    _bl_plain_call: Callable[..., Any]  # the wrapped class's own _make_api_call (set per class)

    def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> Any:
        rt: Runtime | None = self.__dict__.get(_STATE_ATTR)
        send = self._bl_plain_call  # a plain bound method: cheaper than super() per call
        if rt is None or operation_name not in rt.model_ops:
            return send(operation_name, api_params)
        return rt.call(self, send, operation_name, api_params)  # type: ignore[arg-type]

    def close(self) -> None:
        rt: Runtime | None = self.__dict__.get(_STATE_ATTR)
        if rt is not None and rt.shared.reloader is not None:
            rt.shared.reloader.stop()  # a closed client's configuration is never reloaded
        super().close()  # type: ignore[misc]


def _lifecycle_class(cls: type) -> type:
    if issubclass(cls, _LifecycleMixin):
        return cls
    with _classes_lock:
        new = _classes.get(cls)
        if new is None:
            plain: Callable[..., Any] = cls._make_api_call  # type: ignore[attr-defined]
            new = type(cls.__name__, (_LifecycleMixin, cls), {"__module__": cls.__module__, "_bl_plain_call": plain})
            _classes[cls] = new
    return new


def _botocore_retries_off(client: BaseClient) -> bool:
    retries = getattr(client.meta.config, "retries", None) or {}
    total = retries.get("total_max_attempts")
    if total is None and "max_attempts" in retries:
        total = retries["max_attempts"] + 1
    return total == 1


def wrap(
    existing: BaseClient,
    *,
    config: Config | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    registry: Any = None,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> BaseClient:
    """Upgrade a bedrock-runtime client in place and return it.

    A client with botocore's own retries on keeps them; every attempt botocore makes
    counts against ``max_attempts_per_target`` (see docs/configuration.md).
    """
    if not isinstance(existing, BaseClient):
        raise TypeError(f"wrap() takes a botocore client, got {type(existing).__name__}")
    service = existing.meta.service_model.service_name
    if service != "bedrock-runtime":
        raise TypeError(f"wrap() takes a bedrock-runtime client, got a {service!r} client")
    env = os.environ if environ is None else environ
    from bedrock_lifecycle.config import sources

    cfg, source = sources.initial(env, config)
    rt = Runtime(
        existing,
        cfg,
        registry=registry,
        clock=clock,
        sleep=sleep,
        rng=rng,
        owns_retries=_botocore_retries_off(existing),
    )
    rt.check_startup()
    from bedrock_lifecycle.migrate import canary as analysis
    from bedrock_lifecycle.migrate import shadow
    from bedrock_lifecycle.observe import metrics

    metrics.attach(rt, env)  # validates exporter names before anything changes
    plain_cls = type(existing)
    if issubclass(plain_cls, _LifecycleMixin):  # wrapped twice: the new runtime replaces the old
        plain_cls = plain_cls.__mro__[2]
    raw_call = plain_cls._make_api_call  # the unwrapped method
    rt.shared.send_direct = lambda operation, params: raw_call(existing, operation, params)
    existing.__class__ = _lifecycle_class(type(existing))
    existing.__dict__[_STATE_ATTR] = rt
    if source is not None:
        from bedrock_lifecycle.config.reload import Reloader

        rt.shared.reloader = Reloader(
            existing, source, apply=reconfigure, environ=env, explicit=config, ttl=source.ttl, version=cfg.version
        ).start()

    shadow.attach(rt, env)
    analysis.attach(rt, env)
    return existing


def client(
    service_name: str = "bedrock-runtime",
    /,
    *,
    config: Config | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    session: Any = None,
    registry: Any = None,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> BaseClient:
    """``boto3.client("bedrock-runtime", **kwargs)`` with lifecycle protection.

    The library owns retries: botocore's are turned off (one attempt on the wire per
    try) unless ``config=botocore.config.Config(retries=...)`` is passed as
    ``botocore_config``, so a throttled primary falls back without waiting out
    botocore's backoff.
    """
    if service_name != "bedrock-runtime":
        # Accepted positionally so `boto3.client("bedrock-runtime", ...)` call sites port as-is.
        raise TypeError(f"bedrock_lifecycle.client() makes 'bedrock-runtime' clients, not {service_name!r}")
    import boto3

    boto_cfg = kwargs.pop("botocore_config", None)
    if isinstance(config, BotoConfig):  # the boto3 spelling, passed positionally by habit
        boto_cfg, config = config, None
    ours = BotoConfig(retries={"total_max_attempts": 1, "mode": "standard"})
    boto_cfg = ours if boto_cfg is None else ours.merge(boto_cfg)
    sess = session if session is not None else boto3.session.Session()
    raw = sess.client("bedrock-runtime", config=boto_cfg, **kwargs)
    return wrap(raw, config=config, registry=registry, clock=clock, environ=environ)


def runtime_of(c: BaseClient) -> Runtime:
    rt = c.__dict__.get(_STATE_ATTR)
    if rt is None:
        raise TypeError("not a bedrock-lifecycle client (use bedrock_lifecycle.client() or wrap())")
    return rt  # type: ignore[no-any-return]
