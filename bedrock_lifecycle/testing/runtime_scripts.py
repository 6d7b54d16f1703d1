"""The runtime half of :class:`LocalBedrock`'s scripting API: how models answer, fail, stall."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bedrock_lifecycle.testing.app import App
from bedrock_lifecycle.testing.control_routes import ControlState
from bedrock_lifecycle.testing.runtime_routes import (
    RUNTIME_OPERATIONS,
    RuntimeState,
    set_async_status,
)
from bedrock_lifecycle.testing.scripting import (
    HANG_SECONDS,
    Delay,
    Reply,
    StreamFault,
    stream_exception_type,
)
from bedrock_lifecycle.testing.scripting import operations as _operations
from bedrock_lifecycle.testing.scripting import times as _times
from bedrock_lifecycle.testing.tools import ToolScript
from bedrock_lifecycle.testing.wire import (
    CONNECTION_RESET,
    DEFAULT_MESSAGES,
    EOL_MESSAGE,
    Fault,
    RecordedRequest,
    error_code,
    legacy_message,
    now_iso,
)


class RuntimeScripts:
    """Scripts keyed by model ID exactly as it appears on the wire; ``"*"`` scripts every model."""

    _app: App

    def reply(
        self,
        model_id: str,
        text: str | Callable[[RecordedRequest], str] | None = None,
        *,
        stop_reason: str = "end_turn",
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        latency: float = 0.0,
        content: list[dict[str, Any]] | Callable[[RecordedRequest], list[dict[str, Any]]] | None = None,
        usage: dict[str, int] | None = None,
    ) -> None:
        """How ``model_id`` answers successful calls (replaces an earlier reply script).

        ``text`` may be a function of the :class:`RecordedRequest` (a judge model's verdicts,
        for instance). Token counts default to an estimate (4 characters a token) from the
        request and the text. ``latency`` seconds are slept before answering and reported as
        ``metrics.latencyMs``. Converse only: ``content`` replaces the answer's content blocks
        (a list, or a function of the request), e.g. ``[{"toolUse": {...}}]``; ``usage`` adds
        fields to the usage (``cacheReadInputTokens``, ...). Embedding models (Titan, Cohere)
        answer InvokeModel embedding bodies with deterministic vectors without a script.
        """
        with self._app.lock:
            state = self._app.state(RuntimeState)
            state.scripted.add(model_id)
            state.replies[model_id] = Reply(
                text, stop_reason, input_tokens, output_tokens, latency, content, usage
            )

    def reply_tool_use(
        self,
        model_id: str,
        name: str | None = None,
        tool_input: Any = None,
        *,
        times: int | None = 1,
    ) -> None:
        """The next ``times`` Converse/ConverseStream calls (or InvokeModel calls with an
        Anthropic Messages body) to ``model_id`` that offer tools answer with a ``toolUse``
        block (``tool_use`` for InvokeModel) and ``stopReason: tool_use``: tool ``name`` (``None``:
        the one ``toolChoice`` names, else the first offered) with ``tool_input`` (``None``:
        the smallest input its schema accepts). A call that sends a tool's result, or offers
        no tools, is answered as usual and leaves the script in place; so is structured output
        through a tool (pydantic-ai's ``final_result``, LangChain's ``with_structured_output``).
        """
        self._add(lambda state: state.tool_uses, model_id, ToolScript(name, tool_input, _times(times)))

    def fail(
        self,
        model_id: str,
        code: str,
        times: int | None = 1,
        message: str | None = None,
        retry_after: float | None = None,
        operations: str | Iterable[str] | None = None,
        *,
        status: int | None = None,
    ) -> None:
        """The next ``times`` calls to ``model_id`` (``None``: every call) answer error ``code``.

        Faults fire in the order they were scripted, model-specific ones before ``"*"`` ones.
        ``retry_after`` seconds sets ``Retry-After`` and ``x-amz-retry-after`` (which botocore
        honours). ``operations`` limits the fault to some operations (``"Converse"`` or
        ``"converse"``). ``status`` is needed only for a code Bedrock does not model.
        """
        name, http_status = error_code(code, status)
        self._add(
            lambda state: state.faults,
            model_id,
            Fault(
                name,
                message or DEFAULT_MESSAGES.get(name, name),
                http_status,
                _times(times),
                retry_after,
                _operations(operations, RUNTIME_OPERATIONS),
            ),
        )

    def reset_connection(
        self,
        model_id: str,
        times: int | None = 1,
        *,
        operations: str | Iterable[str] | None = None,
    ) -> None:
        """The next ``times`` calls to ``model_id`` are read, then their TCP connection is
        reset (RST) without an answer: what a crashed host or a dropped load-balancer
        connection looks like. botocore raises a connection error. Scripted in the same
        queue as :meth:`fail`, so the two fire in the order they were scripted; recorded
        with status 0 and error code ``"ConnectionReset"``."""
        self._add(
            lambda state: state.faults,
            model_id,
            Fault(CONNECTION_RESET, "connection reset", 0, _times(times), None,
                  _operations(operations, RUNTIME_OPERATIONS)),
        )

    def eol(self, model_id: str, *, operations: str | Iterable[str] | None = None) -> None:
        """``model_id`` has reached end of life: every call answers ResourceNotFoundException with
        the real EOL message, and the control plane stops listing it (GetFoundationModel answers
        the same error), as Bedrock does."""
        self.fail(model_id, "ResourceNotFoundException", None, EOL_MESSAGE, operations=operations)
        with self._app.lock:
            self._app.state(ControlState).eol_ids.add(model_id)

    def legacy_inactive(
        self, model_id: str, days: int = 30, *, operations: str | Iterable[str] | None = None
    ) -> None:
        """``model_id`` is Legacy and this account has not used it lately: every call answers
        ResourceNotFoundException "Access denied. This Model is marked by provider as Legacy …"."""
        self.fail(
            model_id, "ResourceNotFoundException", None, legacy_message(days), operations=operations
        )

    def stream_error(
        self,
        model_id: str,
        exception_type: str = "modelStreamErrorException",
        after_events: int = 2,
        times: int | None = 1,
        message: str | None = None,
        *,
        operations: str | Iterable[str] | None = None,
    ) -> None:
        """The next ``times`` streaming calls send ``after_events`` events, then an exception
        event (``throttlingException``, ``modelStreamErrorException``, …); botocore raises
        ``EventStreamError`` while the caller iterates."""
        if after_events < 0:
            raise ValueError("after_events must be >= 0")
        kind = stream_exception_type(exception_type)
        default = DEFAULT_MESSAGES.get(kind[:1].upper() + kind[1:], kind)
        self._add(
            lambda state: state.stream_faults,
            model_id,
            StreamFault(
                kind,
                message or default,
                after_events,
                _times(times),
                _operations(operations, RUNTIME_OPERATIONS),
            ),
        )

    def delay(
        self,
        model_id: str,
        seconds: float,
        times: int | None = None,
        *,
        operations: str | Iterable[str] | None = None,
    ) -> None:
        """Wait ``seconds`` before answering calls to ``model_id`` (errors included).

        The wait ends early on :meth:`reset` or :meth:`stop`."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        self._add(
            lambda state: state.delays,
            model_id,
            Delay(seconds, _times(times), _operations(operations, RUNTIME_OPERATIONS)),
        )

    def hang(
        self,
        model_id: str,
        times: int | None = None,
        *,
        operations: str | Iterable[str] | None = None,
    ) -> None:
        """Never answer calls to ``model_id`` (until :meth:`reset` or :meth:`stop`): for client
        read-timeout tests."""
        self.delay(model_id, HANG_SECONDS, times, operations=operations)

    def _add(
        self, table: Callable[[RuntimeState], dict[str, list[Any]]], model_id: str, entry: Any
    ) -> None:
        with self._app.lock:
            state = self._app.state(RuntimeState)
            state.scripted.add(model_id)
            table(state).setdefault(model_id, []).append(entry)

    def set_async_status(
        self, invocation_arn: str | None, status: str, failure_message: str | None = None
    ) -> None:
        """Move an async invocation to ``status`` (InProgress | Completed | Failed); with
        ``invocation_arn=None``, set the status new invocations start in (default Completed)."""
        if status not in ("InProgress", "Completed", "Failed"):
            raise ValueError(f"status must be InProgress, Completed or Failed, got {status!r}")
        with self._app.lock:
            state = self._app.state(RuntimeState)
            if invocation_arn is None:
                state.async_default = (status, failure_message)
                return
            job = state.async_jobs.get(invocation_arn)
            if job is None:
                raise KeyError(f"no async invocation {invocation_arn!r}")
            set_async_status(job, status, failure_message, now_iso())

    # -- control plane
