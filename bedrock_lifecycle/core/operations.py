"""Which operations carry a model, read from botocore's service model (not hand-listed).

An operation is model-carrying when its input shape has a top-level ``modelId`` member,
wherever botocore serialises it (URI label for Converse/InvokeModel, JSON body for
StartAsyncInvoke). A model-carrying operation Bedrock adds later is covered as soon as
botocore ships its model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MODEL_MEMBER = "modelId"


@dataclass(frozen=True, slots=True)
class OperationInfo:
    name: str
    # Output member holding an event stream (ConverseStream: "stream",
    # InvokeModelWithResponseStream: "body"), or None.
    stream_member: str | None
    # Input members whose content is model-family specific (InvokeModel's ``body``,
    # StartAsyncInvoke's ``modelInput``, CountTokens' ``input.invokeModel``).
    family_members: tuple[str, ...]


_cache: dict[int, dict[str, OperationInfo]] = {}


def model_operations(service_model: Any) -> dict[str, OperationInfo]:
    """``{operation name: OperationInfo}`` for every model-carrying operation."""
    key = id(service_model)
    found = _cache.get(key)
    if found is not None:
        return found
    ops: dict[str, OperationInfo] = {}
    for name in service_model.operation_names:
        op = service_model.operation_model(name)
        shape = op.input_shape
        if shape is None or MODEL_MEMBER not in shape.members:
            continue
        stream_member = None
        out = op.output_shape
        if out is not None:
            for member, mshape in out.members.items():
                if mshape.serialization.get("eventstream"):
                    stream_member = member
        family = tuple(m for m, ms in shape.members.items() if _family_specific(m, ms))
        ops[name] = OperationInfo(name, stream_member, family)
    # Service models live as long as the process (botocore caches them), so id() is stable.
    _cache[key] = ops
    return ops


def _family_specific(member: str, shape: Any) -> bool:
    if member == "body" and shape.type_name == "blob":  # InvokeModel*
        return True
    if shape.type_name == "document":  # StartAsyncInvoke.modelInput
        return True
    # CountTokens.input is a union of {converse, invokeModel}; the latter is family specific.
    return shape.type_name == "structure" and "invokeModel" in shape.members
