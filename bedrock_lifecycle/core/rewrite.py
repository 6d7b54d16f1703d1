"""Request rewriting: the caller's parameters for one candidate model.

The ``modelId`` becomes the candidate's; an alias target may add Converse overrides
(``inference_config``, ``additional_model_request_fields``, a system prompt replaced,
prepended or appended) and a body adapter for family-specific InvokeModel bodies. The
caller's dict is never modified: shadow copies and retries start from the original.
"""

from __future__ import annotations

from typing import Any

from bedrock_lifecycle.config import Config
from bedrock_lifecycle.core.operations import OperationInfo
from bedrock_lifecycle.core.routing import Candidate


def apply_target(params: dict[str, Any], cand: Candidate, info: OperationInfo, config: Config) -> dict[str, Any]:
    t = cand.target
    if t is None and params["modelId"] == cand.model:
        return params  # a concrete model ID as the caller sent it: nothing to change
    out = {**params, "modelId": cand.model}
    if t is None or not t.rewrites_request:
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
        adapter = config.adapter(t.body_adapter)  # resolved when the version was validated
        for m in info.family_members:
            if m in out:
                out[m] = adapter(out[m], cand.model)
    return out
