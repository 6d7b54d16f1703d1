"""``bedrock-runtime``: Converse, InvokeModel (and their streams), CountTokens, async
invocations and ApplyGuardrail, routed by path; answers follow the model's scripts.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import secrets
from typing import Any, Final

from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.testing import eventstream as es
from bedrock_lifecycle.testing.app import App, Service
from bedrock_lifecycle.testing.embeddings import embedding_answer
from bedrock_lifecycle.testing.generation import (
    Generation,
    anthropic_style,
    chunks,
    converse_input_tokens,
    generation,
    invoke_input_tokens,
    stream_response,
    token_headers,
    usage,
)
from bedrock_lifecycle.testing.scripting import Delay, Reply, StreamFault, take
from bedrock_lifecycle.testing.tools import (
    CONVERSE_OPERATIONS,
    TOOL_OPERATIONS,
    ToolScript,
    anthropic_tool_use,
    json_schema,
    smallest,
    tool_call,
    tool_stream_events,
    wants_tool_use,
)
from bedrock_lifecycle.testing.wire import (
    ACCOUNT_ID,
    CONNECTION_RESET,
    INVALID_MODEL_MESSAGE,
    Fault,
    RecordedRequest,
    Request,
    Response,
    dumps,
    error_response,
    fault,
    fm_arn,
    json_response,
    now_iso,
    page,
    parse_body,
)

RUNTIME_OPERATIONS: Final = (
    "Converse",
    "ConverseStream",
    "InvokeModel",
    "InvokeModelWithResponseStream",
    "CountTokens",
    "StartAsyncInvoke",
    "GetAsyncInvoke",
    "ListAsyncInvokes",
    "ApplyGuardrail",
)
STREAMING: Final = frozenset({"ConverseStream", "InvokeModelWithResponseStream"})
_INVALID_MODEL: Final = Fault("ValidationException", INVALID_MODEL_MESSAGE, 400, None)


@dataclasses.dataclass(slots=True)
class RuntimeState:
    """Scripts keyed by model ID (``"*"``: every model) and the async invocations."""

    scripted: set[str] = dataclasses.field(default_factory=set)
    replies: dict[str, Reply] = dataclasses.field(default_factory=dict)
    faults: dict[str, list[Fault]] = dataclasses.field(default_factory=dict)
    stream_faults: dict[str, list[StreamFault]] = dataclasses.field(default_factory=dict)
    delays: dict[str, list[Delay]] = dataclasses.field(default_factory=dict)
    tool_uses: dict[str, list[ToolScript]] = dataclasses.field(default_factory=dict)
    async_jobs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    async_tokens: dict[str, str] = dataclasses.field(default_factory=dict)
    async_default: tuple[str, str | None] = ("Completed", None)

    @classmethod
    def new(cls, catalogue: bool) -> RuntimeState:
        return cls()


# POST /model/<id>/<action>
_MODEL_ROUTES: Final = {
    "converse": "Converse",
    "converse-stream": "ConverseStream",
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "count-tokens": "CountTokens",
}


def _route(app: App, ctx: Request) -> Response | None:
    seg = ctx.segments
    n = len(seg)
    if ctx.method == "POST":
        if n == 3 and seg[0] == "model" and seg[2] in _MODEL_ROUTES:
            return _model_call(app, ctx, _MODEL_ROUTES[seg[2]], seg[1])
        if n == 1 and seg[0] == "async-invoke":
            model_id = ctx.json.get("modelId")
            return _model_call(app, ctx, "StartAsyncInvoke", str(model_id or ""))
        if n == 5 and seg[0] == "guardrail" and seg[2] == "version" and seg[4] == "apply":
            return _model_call(app, ctx, "ApplyGuardrail", None)
    elif ctx.method == "GET" and seg[0] == "async-invoke" and n <= 2:
        if n == 2:
            return _model_call(app, ctx, "GetAsyncInvoke", None, seg[1])
        return _model_call(app, ctx, "ListAsyncInvokes", None)
    return None


SERVICE: Final = Service(
    "bedrock-runtime",
    RUNTIME_OPERATIONS,
    RuntimeState.new,
    _route,
    endpoint_env="AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
)


def _plausible(model_id: str) -> bool:
    try:
        parse_model_id(model_id)
    except ModelIdError:
        return False
    return True


def _model_call(
    app: App, ctx: Request, op: str, model_id: str | None, target: str | None = None
) -> Response:
    keys = ("*",) if model_id is None else (model_id, "*")
    with app.lock:
        state = app.state(RuntimeState)
        failure: Fault | None = None
        if model_id is not None and model_id not in state.scripted and not _plausible(model_id):
            failure = _INVALID_MODEL
        else:
            failure = take(state.faults, keys, op)
        stream_fault: StreamFault | None = None
        if failure is None and op in STREAMING:
            stream_fault = take(state.stream_faults, keys, op)
        delay: Delay | None = take(state.delays, keys, op)
        reply = None if model_id is None else state.replies.get(model_id) or state.replies.get("*")
        tool: ToolScript | None = None
        if failure is None and op in TOOL_OPERATIONS and wants_tool_use(ctx.json):
            tool = take(state.tool_uses, keys, op)
        if failure is None and op in CONVERSE_OPERATIONS:
            schema = json_schema(ctx.json)
            if schema is not None and (reply is None or reply.text is None):
                text = json.dumps(smallest(schema))
                reply = dataclasses.replace(reply, text=text) if reply else Reply(text, "end_turn", None, None, 0.0)
        wake = app.wake
        rec = app.record_call(
            ctx,
            op,
            model_id,
            "bedrock-runtime",
            failure.status if failure else 200,
            failure.code if failure else stream_fault.exception_type if stream_fault else None,
        )
    seconds = delay.seconds if delay else 0.0
    if failure is None and reply is not None:
        seconds += reply.latency
    app.sleep(wake, seconds)
    if failure is not None and failure.code == CONNECTION_RESET:
        return Response(0, [], b"", reset=True)
    if failure is not None:
        return error_response(failure)
    if op == "Converse":
        return _converse(ctx, rec, reply, tool)
    if op == "ConverseStream":
        return _converse_stream(ctx, rec, reply, stream_fault, tool)
    if op == "InvokeModel":
        return _invoke(ctx, rec, reply, tool)
    if op == "InvokeModelWithResponseStream":
        return _invoke_stream(ctx, rec, reply, stream_fault)
    if op == "CountTokens":
        return _count_tokens(ctx, reply)
    if op == "StartAsyncInvoke":
        return _start_async(app, ctx, model_id or "")
    if op == "GetAsyncInvoke":
        return _get_async(app, target or "")
    if op == "ListAsyncInvokes":
        return _list_async(app, ctx)
    return _apply_guardrail()


def _converse(ctx: Request, rec: RecordedRequest, reply: Reply | None, tool: ToolScript | None) -> Response:
    gen = generation(ctx.raw, rec, reply, converse_input_tokens(ctx.json))
    content: list[dict[str, Any]] = [{"text": gen.text}]
    if reply is not None and reply.content is not None:  # scripted blocks (toolUse, ...)
        content = reply.content(rec) if callable(reply.content) else list(reply.content)
    if tool is not None:
        content = [{"toolUse": tool_call(ctx.json, tool, ctx.raw)}]
    return json_response(
        {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": "tool_use" if tool is not None else gen.stop_reason,
            "usage": {**usage(gen), **(reply.usage if reply is not None and reply.usage else {})},
            "metrics": {"latencyMs": gen.latency_ms},
        }
    )


def _converse_stream(
    ctx: Request,
    rec: RecordedRequest,
    reply: Reply | None,
    failure: StreamFault | None,
    tool: ToolScript | None,
) -> Response:
    gen = generation(ctx.raw, rec, reply, converse_input_tokens(ctx.json))
    events = [es.event("messageStart", {"role": "assistant"})]
    if tool is not None:
        events += tool_stream_events(tool_call(ctx.json, tool, ctx.raw))
    else:
        events += [
            es.event("contentBlockDelta", {"delta": {"text": piece}, "contentBlockIndex": 0})
            for piece in chunks(gen.text)
        ]
        events.append(es.event("contentBlockStop", {"contentBlockIndex": 0}))
    stop = "tool_use" if tool is not None else gen.stop_reason
    events.append(es.event("messageStop", {"stopReason": stop}))
    events.append(
        es.event("metadata", {"usage": usage(gen), "metrics": {"latencyMs": gen.latency_ms}})
    )
    return stream_response(events, failure)


def _invoke_payloads(
    ctx: Request, rec: RecordedRequest, reply: Reply | None
) -> tuple[Generation, bool]:
    gen = generation(ctx.raw, rec, reply, invoke_input_tokens(ctx.body))
    return gen, anthropic_style(rec.model_id or "", ctx.body)


def _invoke(ctx: Request, rec: RecordedRequest, reply: Reply | None, tool: ToolScript | None = None) -> Response:
    embedded = embedding_answer(rec.model_id or "", ctx.body)
    if embedded is not None:  # Titan / Cohere embedding bodies get vectors (testing/embeddings.py)
        return json_response(embedded[0], headers=[("X-Amzn-Bedrock-Input-Token-Count", str(embedded[1]))])
    gen, anthropic = _invoke_payloads(ctx, rec, reply)
    payload: dict[str, Any]
    if anthropic:
        payload = {
            "id": "msg_bdrk_" + hashlib.blake2s(gen.text.encode(), digest_size=12).hexdigest(),
            "type": "message",
            "role": "assistant",
            "model": rec.model_id,
            "content": [anthropic_tool_use(ctx.json, tool, ctx.raw)] if tool is not None
            else [{"type": "text", "text": gen.text}],
            "stop_reason": "tool_use" if tool is not None else gen.stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": gen.input_tokens, "output_tokens": gen.output_tokens},
        }
    else:
        payload = {
            "outputText": gen.text,
            "model": rec.model_id,
            "stopReason": gen.stop_reason,
            "inputTokens": gen.input_tokens,
            "outputTokens": gen.output_tokens,
        }
    return json_response(payload, headers=token_headers(gen))


def _invoke_stream(
    ctx: Request, rec: RecordedRequest, reply: Reply | None, failure: StreamFault | None
) -> Response:
    gen, anthropic = _invoke_payloads(ctx, rec, reply)
    metrics = {
        "inputTokenCount": gen.input_tokens,
        "outputTokenCount": gen.output_tokens,
        "invocationLatency": gen.latency_ms,
        "firstByteLatency": gen.latency_ms,
    }
    pieces = chunks(gen.text)
    parts: list[dict[str, Any]]
    if anthropic:
        parts = [
            {
                "type": "message_start",
                "message": {
                    "id": "msg_bdrk_"
                    + hashlib.blake2s(gen.text.encode(), digest_size=12).hexdigest(),
                    "type": "message",
                    "role": "assistant",
                    "model": rec.model_id,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": gen.input_tokens, "output_tokens": 1},
                },
            },
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            *(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": p},
                }
                for p in pieces
            ),
            {"type": "content_block_stop", "index": 0},
            {
                "type": "message_delta",
                "delta": {"stop_reason": gen.stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": gen.output_tokens},
            },
            {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics},
        ]
    else:
        parts = [{"outputText": p, "model": rec.model_id} for p in pieces]
        parts[-1] = {
            **parts[-1],
            "stopReason": gen.stop_reason,
            "amazon-bedrock-invocationMetrics": metrics,
        }
    events = [
        es.event("chunk", {"bytes": base64.b64encode(dumps(part)).decode("ascii")})
        for part in parts
    ]
    response = stream_response(events, failure)
    response.headers.append(("X-Amzn-Bedrock-Content-Type", "application/json"))
    return response


def _count_tokens(ctx: Request, reply: Reply | None) -> Response:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    source = body.get("input") or {}
    if "converse" in source:
        tokens = converse_input_tokens(source["converse"] or {})
    elif "invokeModel" in source:
        raw = base64.b64decode((source["invokeModel"] or {}).get("body") or b"")
        tokens = invoke_input_tokens(parse_body(raw))
    else:
        return error_response(
            fault("ValidationException", "input must name converse or invokeModel.")
        )
    if reply is not None and reply.input_tokens is not None:
        tokens = reply.input_tokens
    return json_response({"inputTokens": tokens})


def _start_async(app: App, ctx: Request, model_id: str) -> Response:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    token = str(body.get("clientRequestToken") or "")
    now = now_iso()
    with app.lock:
        state = app.state(RuntimeState)
        arn = state.async_tokens.get(token) if token else None
        if arn is None:  # botocore reuses the token on retries: same job, as on AWS
            arn = f"arn:aws:bedrock:{ctx.region}:{ACCOUNT_ID}:async-invoke/{secrets.token_hex(6)}"
            status, failure = state.async_default
            job: dict[str, Any] = {
                "invocationArn": arn,
                "modelArn": fm_arn(model_id, ctx.region),
                "status": status,
                "submitTime": now,
                "lastModifiedTime": now,
                "outputDataConfig": body.get("outputDataConfig") or {},
            }
            if token:
                job["clientRequestToken"] = token
                state.async_tokens[token] = arn
            set_async_status(job, status, failure, now)
            state.async_jobs[arn] = job
    return json_response({"invocationArn": arn})


def _get_async(app: App, arn: str) -> Response:
    with app.lock:
        state = app.state(RuntimeState)
        job = state.async_jobs.get(arn)
        job = dict(job) if job is not None else None
    if job is None:
        return error_response(
            fault("ValidationException", f"The specified invocation ARN {arn} does not exist.")
        )
    return json_response(job)


def _list_async(app: App, ctx: Request) -> Response:
    q = ctx.query
    with app.lock:
        state = app.state(RuntimeState)
        jobs = [dict(j) for j in state.async_jobs.values()]
    if "statusEquals" in q:
        jobs = [j for j in jobs if j["status"] == q["statusEquals"]]
    if q.get("sortOrder", "Descending") == "Descending":
        jobs.reverse()
    items, extra = page(jobs, q)
    return json_response({"asyncInvokeSummaries": items, **extra})


def _apply_guardrail() -> Response:
    units = dict.fromkeys(
        (
            "topicPolicyUnits",
            "contentPolicyUnits",
            "wordPolicyUnits",
            "sensitiveInformationPolicyUnits",
            "sensitiveInformationPolicyFreeUnits",
            "contextualGroundingPolicyUnits",
        ),
        0,
    )
    return json_response({"usage": units, "action": "NONE", "outputs": [], "assessments": []})


# -- control plane


def set_async_status(job: dict[str, Any], status: str, failure: str | None, now: str) -> None:
    job["status"] = status
    job["lastModifiedTime"] = now
    job.pop("failureMessage", None)
    job.pop("endTime", None)
    if status in ("Completed", "Failed"):
        job["endTime"] = now
    if failure is not None:
        job["failureMessage"] = failure
