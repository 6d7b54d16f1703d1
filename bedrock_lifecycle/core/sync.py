"""The sync driver: runs the call flow with botocore's own send and ``time.sleep``
(the loop itself is :mod:`.drive`; this module binds it to a client).

Binding: a client's class is swapped for a subclass whose ``_make_api_call`` (the one
method every operation goes through) runs the call flow (:mod:`.flow`) for model-carrying
operations. The object stays a real ``BaseClient``: same methods, ``exceptions``,
``meta``, waiters, paginators, and botocore's ``Stubber`` sees the resolved ``modelId``.
The plain ``_make_api_call`` is looked up on the class at call time, so a patch applied
to ``BaseClient`` later (OpenTelemetry's botocore instrumentation, say) still sees every
request, as it would on a plain client.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.eventstream import EventStream
from botocore.exceptions import ClientError, EventStreamError

from bedrock_lifecycle.core.classify import error_code
from bedrock_lifecycle.core.drive import call
from bedrock_lifecycle.core.flow import attach_attempts, collect
from bedrock_lifecycle.core.observer import GLOBAL, CallRecord, Summary, notify
from bedrock_lifecycle.core.state import ClientState

STATE_ATTR = "_bedrock_lifecycle"


# ------------------------------------------------------------------ streams


class StreamGuard:
    """What both drivers' guarded streams carry: the peeked first event, the rest, and the
    one error path (the attempts attached, the non-streaming code, the observers told)."""

    _bl_first: Any
    _bl_iter: Any
    _bl_client: Any
    _bl_state: ClientState | None
    _bl_record: CallRecord | None
    _bl_attempts: list[dict[str, Any]]

    def _bl_error(self, exc: EventStreamError) -> ClientError:
        err = normalised_stream_error(self._bl_client, exc, self._bl_attempts)
        stream_error_observed(self._bl_state, self._bl_record, err)
        return err


def install_guard(guard_cls: type[StreamGuard], stream: Any, rest: Any, client: Any, response: dict[str, Any],
                  member: str, state: ClientState | None) -> None:
    """Replace ``response[member]`` with a ``guard_cls`` copy of ``stream``: the same object
    state, the first event read by the driver's peek replayed, then ``rest``."""
    meta = response.get("ResponseMetadata", {}).get("BedrockLifecycle") or {}
    guarded = guard_cls.__new__(guard_cls)
    guarded.__dict__.update(stream.__dict__)
    peeked = stream.__dict__.get("_bl_peeked")
    guarded._bl_first = peeked[0] if peeked else None
    guarded._bl_iter = peeked[1] if peeked else rest
    guarded._bl_client = client
    guarded._bl_attempts = meta.get("attempts") or []
    guarded._bl_state = state
    guarded._bl_record = stream_record(meta, state)
    response[member] = guarded


class GuardedEventStream(StreamGuard, EventStream):  # type: ignore[misc]
    """The same event stream, whose mid-stream errors carry the attempts and the code a
    non-streaming call would use (``ThrottlingException``, not ``throttlingException``)."""

    def __iter__(self) -> Any:
        if self._bl_first is not None:
            first, self._bl_first = self._bl_first, None
            yield first
        try:
            yield from self._bl_iter
        except EventStreamError as exc:
            raise self._bl_error(exc) from exc


def guard_stream(client: Any, response: dict[str, Any], member: str, state: ClientState | None) -> None:
    stream = response.get(member)
    if isinstance(stream, EventStream):
        install_guard(GuardedEventStream, stream, None if "_bl_peeked" in stream.__dict__ else iter(stream),
                      client, response, member, state)


def stream_record(meta: dict[str, Any], state: ClientState | None) -> CallRecord:
    """The record observers get if the stream fails after its first event."""
    return CallRecord("stream_error", "", meta.get("alias"), meta.get("requested") or "",
                      meta.get("model_id"), [], None, None, state.region if state else "", None)


def stream_error_observed(state: ClientState | None, record: CallRecord | None, err: Any) -> None:
    if state is None or record is None:
        return
    record.attempts[:] = err.attempts[-1:]  # the record's own list (stream_record)
    v = state.version
    collect(state, Summary(record.alias, None, None, 0.0, record.attempts, None, v.tick(), v))
    notify(state.observers.items, record)
    notify(GLOBAL.items, record)


_stream_error_classes: dict[tuple[type, type], type] = {}


def normalised_stream_error(client: Any, exc: EventStreamError, attempts: list[dict[str, Any]]) -> ClientError:
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
    attach_attempts(new, attempts)
    return new  # type: ignore[no-any-return]


# ------------------------------------------------------------------ class swapping

_classes: dict[tuple[type, type], type] = {}
_classes_lock = threading.Lock()


class LifecycleMixin:
    _bl_plain: type  # the wrapped client class (its _make_api_call is looked up per call)

    def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> Any:
        st: ClientState | None = self.__dict__.get(STATE_ATTR)
        plain = self._bl_plain._make_api_call  # type: ignore[attr-defined]
        if st is None:
            return plain(self, operation_name, api_params)
        return call(self, st, plain, operation_name, api_params, guard_stream)

    def close(self) -> None:
        stop_reloader(self)
        super().close()  # type: ignore[misc]


def swapped_class(cls: type, mixin: type) -> type:
    """``cls`` with ``mixin`` in front (made once per pair): the class a wrapped client gets.
    Used by both drivers (the async one passes its own mixin)."""
    if issubclass(cls, mixin):
        return cls
    with _classes_lock:
        new = _classes.get((cls, mixin))
        if new is None:
            new = type(cls.__name__, (mixin, cls), {"__module__": cls.__module__, "_bl_plain": cls})
            _classes[(cls, mixin)] = new
    return new


def lifecycle_class(cls: type) -> type:
    return swapped_class(cls, LifecycleMixin)


def stop_reloader(client: Any) -> None:
    """A closed client's configuration is never reloaded."""
    st: ClientState | None = client.__dict__.get(STATE_ATTR)
    if st is not None and st.reloader is not None:
        st.reloader.stop()


def plain_class(cls: type) -> type:
    """The client class before the swap."""
    plain: type = cls.__dict__.get("_bl_plain", cls)  # set on the swapped classes (sync and async)
    return plain


def state_of(client: Any) -> ClientState:
    st = client.__dict__.get(STATE_ATTR) if hasattr(client, "__dict__") else None
    if st is None:
        raise TypeError("not a bedrock-lifecycle client (use bedrock_lifecycle.client() or wrap())")
    return st  # type: ignore[no-any-return]
