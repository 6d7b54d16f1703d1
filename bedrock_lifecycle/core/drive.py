"""The sync driver's loop: runs the call flow (:mod:`.flow`) with botocore's send and ``time.sleep``.

Kept apart from the client binding (:mod:`.sync`) so that it can be compiled with the
rest of the call path (``BEDROCK_LIFECYCLE_COMPILE=1``, docs/performance.md): the binding
swaps a botocore client's class, which only an interpreted class can do.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MethodType
from typing import Any

from botocore.eventstream import EventStream

from bedrock_lifecycle.core.flow import SEND, Flow, call_flow, served, start
from bedrock_lifecycle.core.state import ClientState


def call(client: Any, st: ClientState, plain: Callable[..., Any], operation: str, params: dict[str, Any],
         guard: Callable[[Any, dict[str, Any], str, ClientState], None]) -> Any:
    """One operation of a lifecycle client, whose plain ``_make_api_call`` is ``plain``
    (the body of the binding's ``_make_api_call``): its first request, and the flow when
    that is not the end of it. ``guard`` wraps a streamed response (the binding's: its
    stream class is interpreted)."""
    v = st.version
    info = v.model_ops.get(operation)
    if info is None or not isinstance(params.get("modelId"), str):
        # No model, or a missing/bad modelId: let botocore report it as it would.
        return plain(client, operation, params)
    # A bound method of the plain class's _make_api_call: no Python frame of ours per send.
    bound = st.bound_send
    if bound[0] is not plain:
        bound = st.bound_send = (plain, MethodType(plain, client))
    send = bound[1]
    s = start(v, st, client, operation, params)
    p, candidates, now, request = s
    member = info.stream_member
    if request is None:
        response = run(call_flow(v, st, client, operation, params, s), send, st.sleep)
    else:
        t0 = st.monotonic()
        try:
            response = send(operation, request)
            if member is not None:
                peek(response, member)
        except Exception as exc:
            response = run(call_flow(v, st, client, operation, params, s, exc, t0), send, st.sleep)
        else:
            response = served(v, st, p, candidates[0], [], response, t0, operation, params, now)
    if member is not None and isinstance(response, dict):
        guard(client, response, member, st)
    return response


def run(flow: Flow, send: Callable[[str, dict[str, Any]], Any], sleep: Callable[[float], None]) -> Any:
    """Drive a call flow to its result (or its error)."""
    try:
        step = next(flow)
        while True:
            if step[0] is SEND:
                try:
                    response = send(step[1], step[2])
                    if step[3] is not None:
                        peek(response, step[3])
                except Exception as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(response)
            else:
                sleep(step[1])
                step = flow.send(None)
    except StopIteration as done:
        return done.value


def peek(resp: Any, member: str) -> None:
    """Read a stream's first event so an error before it can still fall back. The event
    is kept on the stream object and replayed by :class:`GuardedEventStream`."""
    stream = resp.get(member) if isinstance(resp, dict) else None
    if not isinstance(stream, EventStream):
        return
    it = iter(stream)
    try:
        first = next(it)
    except StopIteration:
        first = None
    stream._bl_peeked = (first, it)  # type: ignore[attr-defined]
