"""Shadow traffic: a sampled copy of live requests sent to a candidate model, off the caller's path.

``[aliases.NAME.shadow] model = "...", sample = 0.1`` mirrors about 10 % of the alias's
successful calls to ``model``. The caller never waits for, nor sees, the copy:

- the sampling draw and the copy of the request happen on the caller's thread (a random
  number, a copy of the request's dicts and lists, an append to a bounded queue);
- a small pool of daemon threads sends the copies through the client's own botocore call
  (``Runtime.send_direct``: no alias, policy, retries, fallback or cooldown of ours);
- when the queue is full the copy is dropped and counted (``stats()["dropped"]``): a
  slow shadow model sheds load, it never builds an unbounded backlog;
- ``close(timeout)`` (also at interpreter exit, with a short timeout) discards what is
  still queued and waits a bounded time for copies in flight.

Each pair (primary answer, shadow answer) is recorded as one JSON line in the file named
by ``[shadow] log`` / ``BEDROCK_LIFECYCLE_SHADOW_LOG`` (append-only, ``0600``; see
:mod:`bedrock_lifecycle.migrate.shadowlog`)::

    {"at": "2026-05-01T12:00:00.123+00:00", "alias": "chat", "operation": "Converse",
     "primary": {"model", "latency_ms", "input_tokens", "output_tokens", "stop_reason",
                 "error_code", "text"},
     "shadow": {...same keys...}, "similarity": 0.87}

Texts are ``null`` unless ``[shadow] record_text = true`` (``BEDROCK_LIFECYCLE_SHADOW_RECORD_TEXT``).
``similarity`` is :func:`similarity` of the two output texts, ``null`` when either text is
unavailable (an error, a streamed primary, an InvokeModel primary whose body belongs to
the caller). Shadow attempts are also :class:`~bedrock_lifecycle.observe.events.AttemptEvent`\\ s
with ``shadow=True`` and ``role="shadow"``.

What is copied: Converse and ConverseStream send a Converse request with the caller's
``messages``, ``system``, ``inferenceConfig``, ``toolConfig`` and ``guardrailConfig``
(a conversation that used tools is invalid without its ``toolConfig``); model-specific
``additionalModelRequestFields`` and per-target overrides are not copied. InvokeModel and
InvokeModelWithResponseStream send an InvokeModel with the same body, only when the shadow
model is of the provider family the body is written for (else skipped, counted as
``skipped["family"]``). Other operations are not mirrored.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import json
import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bedrock_lifecycle.config import AliasConfig
from bedrock_lifecycle.core.classify import error_code
from bedrock_lifecycle.core.flow import META_KEY
from bedrock_lifecycle.core.observer import GLOBAL, CallRecord, notify
from bedrock_lifecycle.core.state import ClientState
from bedrock_lifecycle.core.sync import state_of
from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.migrate.shadowlog import ShadowLogWarning as ShadowLogWarning  # re-exported
from bedrock_lifecycle.migrate.shadowlog import Sink, log_path
from bedrock_lifecycle.migrate.shadowlog import check_log as check_log  # re-exported
from bedrock_lifecycle.util.responses import converse_text, usage_of
from bedrock_lifecycle.util.text import similarity

log = logging.getLogger("bedrock_lifecycle")


DEFAULT_WORKERS = 4
DEFAULT_MAX_PENDING = 64
_IDLE_SECONDS = 30.0  # an idle worker exits (restarted on demand): no threads kept for ever
_EXIT_TIMEOUT = 1.0  # at interpreter exit, wait at most this long for copies in flight
_DROP_LOG_SECONDS = 60.0
_RECENT = 100

# The operation a copy is sent as: streams are mirrored without streaming.
_SHADOW_OP = {
    "Converse": "Converse",
    "ConverseStream": "Converse",
    "InvokeModel": "InvokeModel",
    "InvokeModelWithResponseStream": "InvokeModel",
}
_STREAMING = frozenset({"ConverseStream", "InvokeModelWithResponseStream"})
_CONVERSE_KEEP = ("messages", "system", "inferenceConfig", "toolConfig", "guardrailConfig")
_INVOKE_KEEP = ("contentType", "accept", "guardrailIdentifier", "guardrailVersion")

# ------------------------------------------------------------------------ reading answers


def invoke_text(payload: Any) -> tuple[str | None, str | None, int | None, int | None]:
    """(text, stop reason, input tokens, output tokens) from an InvokeModel JSON body,
    for the common provider formats (Anthropic, Amazon Nova/Titan, Meta, Mistral, Cohere,
    OpenAI-style). Unknown shapes give Nones."""
    if not isinstance(payload, dict):
        return None, None, None, None
    text: str | None = None
    stop: Any = None
    tin: Any = None
    tout: Any = None
    content = payload.get("content")
    if isinstance(content, list):  # Anthropic messages
        text = "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
        stop = payload.get("stop_reason")
        usage = payload.get("usage") or {}
        tin, tout = usage.get("input_tokens"), usage.get("output_tokens")
    elif isinstance(payload.get("output"), dict):  # Amazon Nova (Converse-like)
        text = converse_text(payload)
        stop = payload.get("stopReason")
        usage = payload.get("usage") or {}
        tin, tout = usage.get("inputTokens"), usage.get("outputTokens")
    elif isinstance(payload.get("results"), list) and payload["results"]:  # Titan text
        first = payload["results"][0] or {}
        text, stop = first.get("outputText"), first.get("completionReason")
        tin, tout = payload.get("inputTextTokenCount"), first.get("tokenCount")
    elif isinstance(payload.get("outputText"), str):
        text, stop = payload["outputText"], payload.get("stopReason")
        tin, tout = payload.get("inputTokens"), payload.get("outputTokens")
    elif isinstance(payload.get("generation"), str):  # Meta Llama
        text, stop = payload["generation"], payload.get("stop_reason")
        tin, tout = payload.get("prompt_token_count"), payload.get("generation_token_count")
    elif isinstance(payload.get("outputs"), list) and payload["outputs"]:  # Mistral
        first = payload["outputs"][0] or {}
        text, stop = first.get("text"), first.get("stop_reason")
    elif isinstance(payload.get("choices"), list) and payload["choices"]:  # OpenAI-style
        first = payload["choices"][0] or {}
        msg = first.get("message") or {}
        text, stop = msg.get("content") if isinstance(msg, dict) else None, first.get("finish_reason")
        usage = payload.get("usage") or {}
        tin, tout = usage.get("prompt_tokens"), usage.get("completion_tokens")
    elif isinstance(payload.get("text"), str):  # Cohere Command R
        text, stop = payload["text"], payload.get("finish_reason")
    return (
        text if isinstance(text, str) else None,
        stop if isinstance(stop, str) else None,
        tin if isinstance(tin, int) else None,
        tout if isinstance(tout, int) else None,
    )


# ------------------------------------------------------------------------------ copying


def _copy(value: Any) -> Any:
    """Containers copied, leaves shared: the caller may append to its ``messages`` list
    as soon as the call returns, while the copy is still waiting to be sent."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    if isinstance(value, bytearray):
        return bytes(value)
    return value


def _provider(model: str) -> str | None:
    try:
        return parse_model_id(model).provider
    except ModelIdError:
        return None


def _body_family(alias: AliasConfig) -> str | None:
    """The provider family an InvokeModel body sent to this alias is written for: that of
    its targets without a body adapter (config validation keeps them to one family for
    aliases that serve InvokeModel)."""
    for t in alias.targets:
        if t.body_adapter is None:
            return _provider(t.model)
    return _provider(alias.fallbacks[0]) if alias.fallbacks else None


def shadow_request(
    operation: str, params: Mapping[str, Any], shadow_model: str, alias: AliasConfig | None = None
) -> tuple[str, dict[str, Any]] | str:
    """(operation to send, request) for the shadow copy, or the reason it is skipped
    (``"operation"``, ``"family"``, ``"body"``)."""
    op = _SHADOW_OP.get(operation)
    if op is None:
        return "operation"
    if op == "Converse":
        out = {k: _copy(params[k]) for k in _CONVERSE_KEEP if k in params}
        guard = out.get("guardrailConfig")
        if isinstance(guard, dict):
            guard.pop("streamProcessingMode", None)  # ConverseStream-only member
        out["modelId"] = shadow_model
        return op, out
    body = params.get("body")
    if isinstance(body, bytearray):
        body = bytes(body)
    if not isinstance(body, bytes | str):
        return "body"  # a file-like body was consumed by the primary call
    family = _body_family(alias) if alias is not None else None
    if family is None or family != _provider(shadow_model):
        return "family"
    out = {k: params[k] for k in _INVOKE_KEEP if k in params}
    out["body"] = body
    out["modelId"] = shadow_model
    return op, out


def _primary_side(operation: str, model: str, response: Any, record_text: bool) -> tuple[dict[str, Any], str | None]:
    """The primary's half of the record, read on the caller's thread (the caller owns the
    response as soon as the call returns), and its text for similarity."""
    latency = None
    meta = response.get("ResponseMetadata", {}).get(META_KEY) if isinstance(response, dict) else None
    attempts = meta.get("attempts") if isinstance(meta, dict) else None
    if attempts:
        latency = attempts[-1].get("duration_ms")
    text: str | None = None
    tin = tout = None
    stop = None
    if operation == "Converse":
        tin, tout, stop = usage_of(response)
        text = converse_text(response)
    elif operation == "InvokeModel":
        tin, tout, _ = usage_of(response)  # token headers; the body is the caller's stream
    # Streams: the caller has not read them yet; latency is the time to the first event.
    side = {
        "model": model,
        "latency_ms": None if latency is None else round(float(latency), 3),
        "input_tokens": tin,
        "output_tokens": tout,
        "stop_reason": stop,
        "error_code": None,
        "text": text if record_text else None,
    }
    return side, text


# -------------------------------------------------------------------------------- pool


@dataclass(slots=True)
class _Job:
    alias: str
    operation: str  # the caller's operation
    shadow_op: str
    params: dict[str, Any]
    primary: dict[str, Any]
    primary_text: str | None
    log_path: str | None
    record_text: bool


_live: weakref.WeakSet[ShadowMirror] = weakref.WeakSet()
_atexit_registered = False
_atexit_lock = threading.Lock()


def _close_all() -> None:
    """At interpreter exit: every mirror gets a share of one short budget."""
    deadline = time.monotonic() + _EXIT_TIMEOUT
    for m in list(_live):
        m.close(timeout=max(0.0, deadline - time.monotonic()))


class ShadowMirror:
    """The shadow pool of one client (``mirror_of(client)``), an observer of its calls.

    ``workers`` threads send copies; at most ``max_pending`` wait in the queue, more are
    dropped and counted. ``rng`` draws the samples (inject a seeded ``random.Random`` in
    tests). Settings may be changed before the first copy is sent.
    """

    def __init__(
        self,
        state: ClientState,
        *,
        workers: int = DEFAULT_WORKERS,
        max_pending: int = DEFAULT_MAX_PENDING,
        rng: random.Random | None = None,
        idle_seconds: float = _IDLE_SECONDS,
    ) -> None:
        if workers < 1 or max_pending < 0:
            raise ValueError("workers must be >= 1 and max_pending >= 0")
        self._state = state
        self.workers = workers
        self.max_pending = max_pending
        self.rng = rng or random.Random()
        self.idle_seconds = idle_seconds
        self.recent: deque[dict[str, Any]] = deque(maxlen=_RECENT)  # latest records (texts only if opted in)
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[_Job] = deque()
        self._threads = 0  # alive workers
        self._idle = 0  # workers waiting for a job
        self._busy = 0  # copies in flight
        self._closed = False
        self._pid = os.getpid()
        self.sink = Sink()  # the shadow log (see shadowlog.Sink)
        self._last_drop_log = 0.0
        self._counts = {"sampled": 0, "sent": 0, "dropped": 0, "completed": 0, "errors": 0, "recorded": 0,
                        "write_errors": 0}
        self._skipped: dict[str, int] = {}

    # ------------------------------------------------------------ caller's thread

    def on_call(self, record: CallRecord) -> None:
        """Observer of served calls: decide, copy and enqueue; never blocks."""
        alias = record.alias
        if alias is None or self._closed or record.kind != "call" or record.model is None:
            return
        operation, params, model, response = record.operation, record.params or {}, record.model, record.response
        rt = self._state.version
        found = rt.alias(alias)
        if found is None:
            return
        cfg = found[1].shadow
        if cfg is None or cfg.sample <= 0.0:
            return
        if cfg.sample < 1.0 and self.rng.random() >= cfg.sample:
            return
        self._count("sampled")
        if len(self._queue) >= self.max_pending:  # full: shed before paying for the copy
            self._submit(None)
            return
        req = shadow_request(operation, params, cfg.model, found[1])
        if isinstance(req, str):
            self._skip(req)
            return
        sink = rt.config.shadow  # [shadow] log / record_text
        log_path = sink.log or None
        record_text = sink.record_text
        primary, primary_text = _primary_side(operation, model, response, record_text)
        self._submit(_Job(found[0], operation, req[0], req[1], primary, primary_text, log_path, record_text))

    def _count(self, key: str, n: int = 1) -> None:
        with self._cond:
            self._counts[key] += n

    def _skip(self, reason: str) -> None:
        with self._cond:
            self._skipped[reason] = self._skipped.get(reason, 0) + 1

    def _submit(self, job: _Job | None) -> None:
        start = False
        dropped_log = None
        if self._pid != os.getpid():
            self._after_fork()
        with self._cond:
            if job is None or self._closed or len(self._queue) >= self.max_pending:
                self._counts["dropped"] += 1
                now = time.monotonic()
                if now - self._last_drop_log >= _DROP_LOG_SECONDS:
                    self._last_drop_log = now
                    dropped_log = self._counts["dropped"]
            else:
                self._queue.append(job)
                self._counts["sent"] += 1
                if self._idle == 0 and self._threads < self.workers:
                    self._threads += 1
                    start = True
                else:
                    self._cond.notify()
        if dropped_log is not None:
            log.warning(
                "bedrock-lifecycle shadow pool full (%d workers, %d queued): copies dropped so far: %d",
                self.workers, self.max_pending, dropped_log,
            )
        if start:
            try:
                threading.Thread(target=self._work, name="bedrock-lifecycle-shadow", daemon=True).start()
            except RuntimeError:  # interpreter shutting down: no new threads
                with self._cond:
                    self._threads -= 1

    def _after_fork(self) -> None:
        """In a forked child the parent's workers do not exist, and the lock may have been
        held at the fork: start afresh (lock, queue, log descriptor)."""
        self._pid = os.getpid()
        self._cond = threading.Condition(threading.Lock())
        self._queue = deque()
        self._threads = self._idle = self._busy = 0
        self.sink = Sink()

    # ------------------------------------------------------------ worker threads

    def _work(self) -> None:
        cond = self._cond
        while True:
            with cond:
                self._idle += 1
                while not self._queue and not self._closed:
                    if not cond.wait(self.idle_seconds) and not self._queue:
                        break
                self._idle -= 1
                if not self._queue:  # closed, or idle for idle_seconds
                    self._threads -= 1
                    cond.notify_all()
                    return
                job = self._queue.popleft()
                self._busy += 1
            try:
                self._run(job)
            except Exception:  # a worker survives anything a copy does
                log.exception("bedrock-lifecycle shadow copy failed")
            finally:
                with cond:
                    self._busy -= 1
                    cond.notify_all()

    def _run(self, job: _Job) -> None:
        st = self._state
        model = job.params["modelId"]
        text: str | None = None
        tin = tout = None
        stop = code = None
        t0 = time.monotonic()
        try:
            resp = st.send_direct(job.shadow_op, job.params)
            if job.shadow_op == "InvokeModel":
                raw = resp["body"].read()
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = None
                text, stop, tin, tout = invoke_text(payload)
                hin, hout, _ = usage_of(resp)
                tin = hin if hin is not None else tin
                tout = hout if hout is not None else tout
            else:
                tin, tout, stop = usage_of(resp)
                text = converse_text(resp)
        except Exception as exc:
            code = error_code(exc)[0] or type(exc).__name__
        latency = (time.monotonic() - t0) * 1000.0
        self._count("completed")
        if code is not None:
            self._count("errors")
        if st.observers or GLOBAL:
            attempt = {"model": model, "outcome": "ok" if code is None else "error", "error_code": code,
                       "message": None, "duration_ms": latency, "role": "shadow"}
            usage = {"inputTokens": tin, "outputTokens": tout}
            shadow_record = CallRecord("shadow", job.shadow_op, job.alias, job.alias, model if code is None else None,
                                       [attempt], {"usage": usage, "stopReason": stop}, None, st.region, None)
            notify([o for o in st.observers.items if o is not self], shadow_record)
            notify(GLOBAL.items, shadow_record)
        record = {
            "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"),
            "alias": job.alias,
            "operation": job.operation,
            "primary": job.primary,
            "shadow": {
                "model": model,
                "latency_ms": round(latency, 3),
                "input_tokens": tin,
                "output_tokens": tout,
                "stop_reason": stop,
                "error_code": code,
                "text": text if job.record_text else None,
            },
            "similarity": similarity(job.primary_text, text)
            if job.primary_text is not None and text is not None else None,
        }
        self.recent.append(record)
        if job.log_path:
            self._count("recorded" if self.sink.write(job.log_path, record) else "write_errors")

    # ------------------------------------------------------------ control

    def stats(self) -> dict[str, Any]:
        """Counters: ``sampled`` (chosen by the draw), ``sent`` (queued), ``dropped`` (pool
        full or closed), ``skipped`` (by reason), ``completed``, ``errors`` (shadow
        answered an error), ``recorded`` / ``write_errors`` (JSONL), ``pending``, ``in_flight``."""
        with self._cond:
            out: dict[str, Any] = dict(self._counts)
            out["skipped"] = dict(self._skipped)
            out["pending"] = len(self._queue)
            out["in_flight"] = self._busy
            out["workers"] = self._threads
        return out

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued copy has been sent and recorded; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float = 5.0) -> bool:
        """Stop mirroring: queued copies are discarded (counted as dropped), copies in
        flight get up to ``timeout`` seconds, the log is closed. True when every worker
        ended in time (the rest are daemon threads: they never hold up exit)."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            self._closed = True
            self._counts["dropped"] += len(self._queue)
            self._queue.clear()
            self._cond.notify_all()
            while self._threads > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            clean = self._threads == 0
        self._state.observers.remove(self)
        self.sink.close()
        _live.discard(self)
        return clean

    @property
    def closed(self) -> bool:
        return self._closed


# -------------------------------------------------------------------------- attaching


def _wanted(state: ClientState) -> bool:
    # Only when configured: a reloaded version that adds a shadow gets the pool then
    # (api.reconfigure attaches features again), so no client pays for it before.
    return any(a.shadow is not None for a in state.version.config.aliases.values())


def attach(state: ClientState, environ: Mapping[str, str]) -> None:
    """Give a client its shadow pool (idempotent), and open the version's shadow log.

    The observer is only installed when an alias configures ``shadow`` or the
    configuration can be reloaded, so clients without shadow traffic pay nothing per call.
    A log that cannot be opened raises :class:`~bedrock_lifecycle.errors.ConfigError`
    (the composition root runs :func:`check_log` before a version is put in force, so this
    only happens in a race); for a version already in force it is warned about instead.
    """
    global _atexit_registered
    path = log_path(state.version.config)
    existing = state.plugins.get("shadow")
    if existing is not None:
        if path is not None:
            existing.sink.open(path, strict=False)
        return
    if not _wanted(state):
        return
    mirror = ShadowMirror(state)
    if path is not None:
        mirror.sink.open(path)
    state.plugins["shadow"] = mirror
    state.observers.add(mirror)
    _live.add(mirror)
    with _atexit_lock:
        if not _atexit_registered:
            atexit.register(_close_all)
            _atexit_registered = True


def mirror_of(client: Any) -> ShadowMirror | None:
    """The shadow pool of a wrapped client, or None when it has none."""
    mirror: ShadowMirror | None = state_of(client).plugins.get("shadow")
    return mirror
