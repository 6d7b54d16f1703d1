"""The call flow: one model-carrying call, written once, performing no I/O itself.

:func:`start` plans the call and names its first request; the driver sends it. If it is
answered, :func:`served` finishes the call (as it does every answered request).
Otherwise :func:`call_flow`, a generator, takes over from that failure (or from the
start, when the first candidate is not simply allowed): it yields what it needs done and
is resumed with the outcome:

- ``(SEND, operation, params, stream_member)``: send one request; resume with the
  response (``gen.send``) or the exception (``gen.throw``). For streaming operations
  the driver also reads the first event before resuming, so an error before it can
  still fall back.
- ``(SLEEP, seconds)``: back off; resume with ``None``.

It returns the response (``StopIteration.value``) or raises the documented error. The
sync driver (:mod:`.sync`) runs it with ``send`` and ``time.sleep``; the async driver
(:mod:`.adriver`) runs the very same steps with ``await``. The first request is sent by
the driver itself for speed alone (a generator per call costs about 1 µs,
``bench/bench_client.py``); it is planned, gated, finished and continued by the same
code as every other attempt.

The order of one call: plan the candidates (alias weights, sticky key, ramp,
fallbacks), put cooled-down models last, then for each candidate the policy gate
(allow / warn / refuse / skip), send, classify a failure (retry / fall back / fatal),
back off within the deadline, fall back, and finish (response metadata, observers).
:func:`explain` walks the same planner and gate without sending: ``resolve`` prints it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Generator
from typing import Any

from bedrock_lifecycle.clock import to_ns
from bedrock_lifecycle.config import alias_key
from bedrock_lifecycle.core.backoff import botocore_attempts
from bedrock_lifecycle.core.classify import Disposition, error_code
from bedrock_lifecycle.core.gate import action_word, warn_once
from bedrock_lifecycle.core.observer import GLOBAL, CallRecord, Collector, Summary, log, notify
from bedrock_lifecycle.core.operations import OperationInfo
from bedrock_lifecycle.core.policy import Action, Decision
from bedrock_lifecycle.core.rewrite import apply_target
from bedrock_lifecycle.core.routing import Candidate, Plan, _routing_key, closest_alias
from bedrock_lifecycle.core.state import ClientState, Version
from bedrock_lifecycle.errors import (
    REFUSAL_FOR_STATE,
    ModelLifecycleError,
    UnknownModelError,
    bind_to_client,
    describe,
)
from bedrock_lifecycle.ids import ModelIdError
from bedrock_lifecycle.util.responses import usage_of

# CallRecord built without its Python-level __new__ (once per call: a frame less,
# bench/bench_client.py).
_new = tuple.__new__

SEND = "send"
SLEEP = "sleep"
META_KEY = "BedrockLifecycle"

Step = tuple[Any, ...]
Flow = Generator[Step, Any, Any]


def plan_call(v: Version, st: ClientState, client: Any, operation: str, info: OperationInfo,
              requested: str, params: dict[str, Any], t: int) -> Plan:
    """The call's plan at ``t`` (ns), or the caller's error (unknown model, mixed families)."""
    try:
        p = v.planner.plan(requested, t, _routing_key.get(), st.rng)
    except ModelIdError as exc:
        raise unknown_model(v, client, operation, requested, exc) from None
    if p.alias is not None and info.family_members and _family_mismatch(v, p, params, info):
        found = v.alias(p.alias)
        families = ", ".join(found[1].mixed_families()) if found else ""
        raise bind_to_client(UnknownModelError, client)(
            f"alias {p.alias!r} mixes model families ({families}); {operation} sends a "
            "family-specific body. Use Converse, or give the targets a body_adapter",
            operation,
            requested,
        )
    return p


# A planned call, as start() returns it (a plain tuple: no constructor per call):
# (plan, the candidates in the order they will be tried, the instant the decisions were
# made at (Version.tick: integer ns), the first request (the first candidate's rewritten
# parameters) or None when the first candidate is not simply allowed).
Start = tuple[Plan, tuple[Candidate, ...], int, dict[str, Any] | None]


def start(v: Version, st: ClientState, client: Any, operation: str, params: dict[str, Any]) -> Start:
    """Plan the call, put cooled-down models last and ask the gate about the first
    candidate. Raises the caller's errors (unknown model, mixed families)."""
    now = v.tick()
    requested = params["modelId"]
    p = v.planner.concrete.get(requested)  # the commonest cases, inlined: a known model ID,
    if p is None:
        compiled = v.planner.seen.get(requested)  # or an alias seen before
        if compiled is not None and not v.model_ops[operation].family_members:
            p = compiled.plan(now, _routing_key.get(), st.rng)
        else:
            p = plan_call(v, st, client, operation, v.model_ops[operation], requested, params, now)
    candidates = p.candidates
    if st.cooldowns.open_count and len(candidates) > 1:
        candidates = tuple(st.cooldowns.order([c.model for c in candidates], candidates))
    first = candidates[0]
    hit = v.gate.cache.get(first.model)
    decision: Decision = hit[2] if hit is not None and hit[0] <= now < hit[1] else _decide(v, first.model, now)
    action = decision.action
    if action is Action.ALLOW or action is Action.WARN:
        if action is Action.WARN:
            warn_once(decision)
        if first.only_model:  # apply_target, inlined for a plain target
            model = first.model
            return p, candidates, now, params if model == requested else {**params, "modelId": model}
        return p, candidates, now, apply_target(params, first, v.model_ops[operation], v.config)
    return p, candidates, now, None


def call_flow(v: Version, st: ClientState, client: Any, operation: str, params: dict[str, Any], s: Start,
              failure: BaseException | None = None, t0: float = 0.0) -> Flow:
    """Everything after the first request (its ``failure``, sent at ``t0``), or the whole
    call when ``failure`` is None: the generator the drivers run."""
    p, candidates, now, request = s
    info, gate = v.model_ops[operation], v.gate
    cooldowns, monotonic, stream_member = st.cooldowns, st.monotonic, info.stream_member
    attempts: list[dict[str, Any]] = []
    deadline = None if v.deadline_seconds is None else \
        (t0 if failure is not None else monotonic()) + v.deadline_seconds
    last_exc: BaseException | None = None
    refusal: ModelLifecycleError | None = None
    n = len(candidates)
    for idx, cand in enumerate(candidates):
        model = cand.model
        if failure is not None and idx == 0:
            call_params = request  # the driver sent it: allowed, already rewritten
            assert call_params is not None
        else:
            hit = gate.cache.get(model)
            decision: Decision = hit[2] if hit is not None and hit[0] <= now < hit[1] else _decide(v, model, now)
            action = decision.action
            if action is Action.WARN:
                warn_once(decision)
            elif action is not Action.ALLOW:
                err = refusal_error(v, client, operation, decision, p)
                word = action_word(action, sent_before=last_exc is not None)
                attempts.append(_attempt(model, "refused" if word == "refuse" else "skipped", err, 0.0, cand.role))
                if word == "refuse":
                    _fail(v, st, p, operation, params, attempts, err, now)
                    raise err
                refusal = refusal or err
                continue
            call_params = apply_target(params, cand, info, v.config)
        used = waits = 0
        while True:
            if failure is not None:
                exc, failure = failure, None  # the driver's first request failed
            else:
                t0 = monotonic()
                try:
                    response = yield (SEND, operation, call_params, stream_member)
                except Exception as e:
                    exc = e
                else:
                    return served(v, st, p, cand, attempts, response, t0, operation, params, now)
            attempts.append(_attempt(model, "error", exc, monotonic() - t0, cand.role))
            used += 1 if st.owns_retries else botocore_attempts(exc)
            disposition = Disposition.FALLBACK if isinstance(exc, ModelLifecycleError) else \
                v.classifier.classify(*error_code(exc))
            if disposition is Disposition.RETRY and used < v.max_attempts:
                wait = v.backoff.wait(waits, exc)
                # Sleeping into the deadline would only spend the time the next target
                # could use: give up on this one now.
                if deadline is None or monotonic() + wait < deadline:
                    waits += 1
                    yield (SLEEP, wait)
                    continue
            last_exc = exc
            break
        if disposition is Disposition.FATAL:
            break
        cooldowns.failure(model)
        if (deadline is not None and monotonic() >= deadline) or idx == n - 1:
            break
    if last_exc is None:
        assert refusal is not None
        _fail(v, st, p, operation, params, attempts, refusal, now)
        raise refusal
    _fail(v, st, p, operation, params, attempts, last_exc, now)
    raise last_exc


def _decide(v: Version, model: str, t: int) -> Decision:
    v.maybe_reload_registry()
    return v.gate.decision_at(model, t)


def served(v: Version, st: ClientState, p: Plan, cand: Candidate, attempts: list[dict[str, Any]], response: Any,
           t0: float, operation: str, params: dict[str, Any], now: int) -> Any:
    """``cand`` answered the request sent at monotonic ``t0`` (the call planned at
    ``now``, integer ns): finish the call. The attempt, the response metadata (the keys a
    plain response has, plus ``BedrockLifecycle``), the collector and the observers.
    ``RetryAttempts`` counts the retries the library (and, on a wrapped client with its
    own retries on, botocore) made on the model that served."""
    model, role = cand.model, cand.role
    ms = (st.monotonic() - t0) * 1000.0
    attempts.append({"model": model, "outcome": "ok", "error_code": None, "message": None,
                     "duration_ms": ms, "role": role})
    if st.cooldowns.tracked:
        st.cooldowns.success(model)
    if isinstance(response, dict):
        rm = response.get("ResponseMetadata")
        if rm is None:
            rm = response["ResponseMetadata"] = {}
        if not st.owns_retries:
            if rm.get("RetryAttempts"):  # a wrapped client whose botocore retried: say so
                attempts[-1]["botocore_attempts"] = botocore_attempts(response)
        else:
            # botocore with one attempt marks every answer "max attempts reached"; a plain
            # client (which could still retry) would not say so on a served call.
            rm.pop("MaxAttemptsReached", None)
            if len(attempts) == 1:  # the commonest call: served at the first try
                if "RetryAttempts" in rm:
                    rm["RetryAttempts"] = 0
            else:
                served = 0
                for a in attempts:
                    if a["model"] == model and a["outcome"] in ("ok", "error"):
                        served += 1
                if served > 1 or "RetryAttempts" in rm:
                    rm["RetryAttempts"] = served - 1
        rm[META_KEY] = {
            "alias": p.alias,
            "requested": p.requested,
            "model_id": model,
            "attempts": attempts,
            "config_version": v.name,
        }
    c = st.collector
    if c is not None:  # collect(), inlined (once per call): the built-in metrics' summary
        usage = response.get("usage") if response.__class__ is dict else None
        if usage.__class__ is not dict:
            usage = usage_dict(response)
        q = c.queue
        # A Summary's fields: the commonest call (one attempt) flat, so the batch never
        # reads the attempt dicts (bench/bench_versions.py).
        if len(attempts) == 1:
            q.append((p.alias, model, role, ms, None, usage, now, v))
        else:
            q.append((p.alias, None, None, 0.0, attempts, usage, now, v))
        if len(q) >= c.batch:
            _flush(c)
    observers = st.observers.for_calls
    if observers or GLOBAL.items:
        record = _new(CallRecord, ("call", operation, p.alias, p.requested, model, attempts, response, params,
                                   v.region, v.baselines.get(p.alias) if p.alias else None, v.prices))
        for obs in observers:  # notify(), inlined: once per call
            try:
                obs.on_call(record)
            except Exception:  # a feature never breaks the caller's request
                log.exception("bedrock-lifecycle observer %r failed", obs)
        if GLOBAL.items:
            notify(GLOBAL.items, record)
    return response


def _fail(v: Version, st: ClientState, p: Plan, operation: str, params: dict[str, Any],
          attempts: list[dict[str, Any]], exc: BaseException, now: int) -> None:
    """A failed call: the attempts on the exception (``.attempts``, an exception note and
    the error response's metadata) and the observers."""
    attach_attempts(exc, attempts)
    collect(st, Summary(p.alias, None, None, 0.0, attempts, None, now, v))
    if st.observers.for_calls or GLOBAL.items:
        baseline = v.baselines.get(p.alias) if p.alias else None
        record = CallRecord("call", operation, p.alias, p.requested, None, attempts, None, params,
                            v.region, baseline)
        notify(st.observers.for_calls, record)
        notify(GLOBAL.items, record)


def collect(st: ClientState, summary: Summary) -> None:
    """Hand ``summary`` to the client's collector, if it has one."""
    c = st.collector
    if c is not None:
        c.queue.append(summary)
        if len(c.queue) >= c.batch:
            _flush(c)


def _flush(c: Collector) -> None:
    try:
        c.flush()
    except Exception:  # a feature never breaks the caller's request
        log.exception("bedrock-lifecycle collector %r failed", c)


def usage_dict(response: Any) -> dict[str, Any] | None:
    """A response's token usage in Converse keys: InvokeModel's token-count headers."""
    tin, tout, _ = usage_of(response)
    return None if tin is None else {"inputTokens": tin, "outputTokens": tout or 0}


# ------------------------------------------------------------------ errors and attempts


def refusal_error(v: Version, client: Any, operation: str, decision: Decision, p: Plan) -> ModelLifecycleError:
    status = decision.status
    cls = REFUSAL_FOR_STATE.get(status.state, ModelLifecycleError)
    via = f" (alias {p.alias!r})" if p.alias else ""
    msg = f"Refused by bedrock-lifecycle before sending{via}: {describe(status)}"
    policy = v.gate.policy
    knob = {"legacy": ("on_legacy", policy.on_legacy),
            "extended_access": ("on_extended_access", policy.on_extended_access)}.get(decision.reason)
    if knob is not None:
        msg += f" (policy {knob[0]} = {knob[1]!r})"
    err: ModelLifecycleError = bind_to_client(cls, client)(msg, operation, status)
    return err


def unknown_model(v: Version, client: Any, operation: str, model_id: str, exc: Exception) -> Exception:
    names = sorted(n for n, _ in v.planner.aliases.values())
    close = closest_alias(v.config, model_id)
    hint = f" Did you mean {close!r}?" if close else ""
    known = ", ".join(repr(n) for n in names) if names else "none configured"
    err: Exception = bind_to_client(UnknownModelError, client)(
        f"{exc}. It is not a configured alias either (aliases: {known}).{hint}", operation, model_id
    )
    return err


def _family_mismatch(v: Version, p: Plan, params: dict[str, Any], info: OperationInfo) -> bool:
    found = v.planner.aliases.get(alias_key(p.alias or ""))
    if found is None or not found[1].mixed_families():
        return False
    if info.name == "CountTokens":
        return "invokeModel" in (params.get("input") or {})
    return True


def _attempt(model: str, outcome: str, error: BaseException | None, duration: float, role: str) -> dict[str, Any]:
    if error is None:
        code = message = None
    else:
        code, message = error_code(error)
    return {"model": model, "outcome": outcome, "error_code": code or None, "message": message or None,
            "duration_ms": duration * 1000.0, "role": role}


def attach_attempts(exc: BaseException, attempts: list[dict[str, Any]]) -> None:
    exc.attempts = attempts  # type: ignore[attr-defined]
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and not isinstance(exc, ModelLifecycleError):
        response.setdefault("ResponseMetadata", {})[META_KEY] = {"attempts": attempts}
    lines = [
        f"  {i + 1}. {a['model']}: {a['outcome']}" + (f" ({a['error_code']}: {a['message']})" if a["error_code"] else "")
        for i, a in enumerate(attempts)
    ]
    note = "bedrock-lifecycle attempts:\n" + "\n".join(lines)
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:  # Python 3.10
        exc.__notes__ = [*getattr(exc, "__notes__", []), note]  # type: ignore[attr-defined]


# ------------------------------------------------------------------ explain (resolve)


def explain(v: Version, requested: str, now: _dt.datetime, key: str | None) -> dict[str, Any]:
    """What the call flow does for ``requested`` under ``key`` at ``now``, when every model
    it sends to answers: the same planner and gate as a call, without sending.

    Without a key the weighted draw is random; the order shown is then the most likely
    one (targets by weight), and ``outcome`` is that order's.
    """
    import random

    p = v.planner.plan(requested, to_ns(now), key, random.Random(0))
    if key is None and p.alias is not None:
        weights = v.planner.weights(p.alias, now)
        firsts = sorted(range(len(p.candidates)),
                        key=lambda i: (p.candidates[i].role == "fallback", -weights.get(p.candidates[i].model, 0.0), i))
        p = Plan(p.requested, p.alias, tuple(p.candidates[i] for i in firsts), p.weights)
    order: list[dict[str, Any]] = []
    outcome: dict[str, Any] | None = None
    sent = False
    for cand in p.candidates:
        d = v.gate.decision(cand.model, now)
        word = action_word(d.action, sent_before=sent)
        order.append({"model": cand.model, "role": cand.role, "state": d.status.state.value, "action": word,
                      "reason": d.reason or None})
        if outcome is None:
            if word == "send":
                outcome = {"action": "send", "model": cand.model}
                sent = True
            elif word == "refuse":
                code = REFUSAL_FOR_STATE.get(d.status.state, ModelLifecycleError).code
                outcome = {"action": "refuse", "model": cand.model, "error_code": code}
    if outcome is None:  # every candidate skipped: the first skip's refusal is raised
        first = order[0]
        code = REFUSAL_FOR_STATE.get(v.gate.decision(first["model"], now).status.state, ModelLifecycleError).code
        outcome = {"action": "refuse", "model": first["model"], "error_code": code}
    weights_pct: dict[str, float] = {}
    if p.alias is not None:
        w = v.planner.weights(p.alias, now)
        total = sum(w.values()) or 1.0
        weights_pct = {m: round(100.0 * x / total, 4) for m, x in w.items()}
    return {"alias": p.alias, "requested": requested, "key": key, "at": now.isoformat(), "region": v.region,
            "config_version": v.name, "weights": weights_pct, "order": order, "outcome": outcome}
