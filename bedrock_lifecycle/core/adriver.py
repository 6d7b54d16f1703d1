"""The async driver: runs the very same call flow as :mod:`.sync` with ``await``.

Only the I/O differs: ``await send(...)`` (aiobotocore's ``_make_api_call``), ``await
asyncio.sleep(...)`` for backoff, and an async first-event peek for streams. Planning,
policy, classification, retries, fallback, metadata and observers are the flow's.
Imported only when an aiobotocore client is wrapped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import MethodType
from typing import Any

from aiobotocore.eventstream import AioEventStream
from botocore.exceptions import EventStreamError

from bedrock_lifecycle.core.flow import SEND, Flow, call_flow, served, start
from bedrock_lifecycle.core.state import ClientState, Version
from bedrock_lifecycle.core.sync import (
    STATE_ATTR,
    StreamGuard,
    install_guard,
    stop_reloader,
    swapped_class,
)

AsyncSend = Callable[[str, dict[str, Any]], Awaitable[Any]]
AsyncSleep = Callable[[float], Awaitable[Any]]


async def execute_async(v: Version, st: ClientState, client: Any, operation: str, params: dict[str, Any],
                        send: AsyncSend, sleep: AsyncSleep) -> Any:
    """Run one call: its first request, and the flow when that is not the end of it."""
    s = start(v, st, client, operation, params)
    p, candidates, now, request = s
    if request is None:
        return await run_async(call_flow(v, st, client, operation, params, s), send, sleep)
    t0 = st.monotonic()
    try:
        response = await send(operation, request)
        member = v.model_ops[operation].stream_member
        if member is not None:
            await apeek(response, member)
    except Exception as exc:
        return await run_async(call_flow(v, st, client, operation, params, s, exc, t0), send, sleep)
    return served(v, st, p, candidates[0], [], response, t0, operation, params, now)


async def run_async(flow: Flow, send: AsyncSend, sleep: AsyncSleep) -> Any:
    """Drive a call flow to its result (or its error) on the running event loop."""
    try:
        step = next(flow)
        while True:
            if step[0] is SEND:
                try:
                    response = await send(step[1], step[2])
                    if step[3] is not None:
                        await apeek(response, step[3])
                except Exception as exc:
                    step = flow.throw(exc)
                else:
                    step = flow.send(response)
            else:
                await sleep(step[1])
                step = flow.send(None)
    except StopIteration as done:
        return done.value


async def apeek(resp: Any, member: str) -> None:
    """Read a stream's first event so an error before it can still fall back."""
    stream = resp.get(member) if isinstance(resp, dict) else None
    if not isinstance(stream, AioEventStream):
        return
    it = stream.__aiter__()
    try:
        first = await it.__anext__()
    except StopAsyncIteration:
        first = None
    stream._bl_peeked = (first, it)  # type: ignore[attr-defined]


class AioGuardedEventStream(StreamGuard, AioEventStream):  # type: ignore[misc]
    """The same async event stream; mid-stream errors carry the attempts and the code a
    non-streaming call would use."""

    def __aiter__(self) -> Any:
        return self._bl_events()

    async def _bl_events(self) -> Any:
        if self._bl_first is not None:
            first, self._bl_first = self._bl_first, None
            yield first
        try:
            async for event in self._bl_iter:
                yield event
        except EventStreamError as exc:
            raise self._bl_error(exc) from exc


def aguard_stream(client: Any, response: dict[str, Any], member: str, state: ClientState) -> None:
    stream = response.get(member)
    if isinstance(stream, AioEventStream):
        rest = None if "_bl_peeked" in stream.__dict__ else AioEventStream.__aiter__(stream)
        install_guard(AioGuardedEventStream, stream, rest, client, response, member, state)


class AioLifecycleMixin:
    _bl_plain: type
    _bl_sleep: AsyncSleep = asyncio.sleep

    async def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> Any:
        st: ClientState | None = self.__dict__.get(STATE_ATTR)
        plain = self._bl_plain._make_api_call  # type: ignore[attr-defined]
        if st is None:
            return await plain(self, operation_name, api_params)
        if st.loop is None:
            st.loop = asyncio.get_running_loop()  # shadow copies are sent on this loop
        v = st.version
        info = v.model_ops.get(operation_name)
        if info is None or not isinstance(api_params.get("modelId"), str):
            return await plain(self, operation_name, api_params)

        response = await execute_async(v, st, self, operation_name, api_params, MethodType(plain, self),
                                       st.asleep or asyncio.sleep)
        if info.stream_member is not None and isinstance(response, dict):
            aguard_stream(self, response, info.stream_member, st)
        return response

    async def close(self) -> None:
        stop_reloader(self)
        await super().close()  # type: ignore[misc]


def aio_lifecycle_class(cls: type) -> type:
    return swapped_class(cls, AioLifecycleMixin)


def aio_send_direct(client: Any, plain: type, state: ClientState) -> Callable[[str, dict[str, Any]], Any]:
    """A blocking send for shadow worker threads: the request runs on the client's event
    loop (never on the caller's task); a streaming body is read there too."""

    async def call(op: str, params: dict[str, Any]) -> Any:
        resp = await plain._make_api_call(client, op, params)  # type: ignore[attr-defined]
        body = resp.get("body") if isinstance(resp, dict) else None
        if body is not None and hasattr(body, "read") and op == "InvokeModel":
            import io

            data = await body.read()
            resp["body"] = io.BytesIO(data)
        return resp

    def send(op: str, params: dict[str, Any]) -> Any:
        loop = state.loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the async client's event loop is not running")
        return asyncio.run_coroutine_threadsafe(call(op, params), loop).result(timeout=300)

    return send
