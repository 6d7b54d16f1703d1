"""``diff OLD NEW``, the research step: two models side by side, each fact with where it came
from, then what the application must change to move from OLD to NEW.

Facts come from ``GetFoundationModel`` in each region given (provider, modalities, streaming,
inference types, customisations, lifecycle status), ``ListInferenceProfiles`` (system profiles
and where they route), the registry (lifecycle dates, replacements, provenance) and the price
table (:mod:`bedrock_lifecycle.lifecycle.prices`). Context window and maximum output have no
source yet: they are shown as unknown (:func:`limits_of`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from collections.abc import Sequence
from typing import Any, Final

from bedrock_lifecycle.errors import error_of
from bedrock_lifecycle.ids import ModelIdError, parse_model_id
from bedrock_lifecycle.readiness.aws import Clients
from bedrock_lifecycle.readiness.checks import (
    ACTIONS,
    ControlPlane,
    carries,
    not_checked,
    profile_regions,
)
from bedrock_lifecycle.readiness.targets import UsageError

# InvokeModel body families by base model ID (first match wins); Converse needs no body.
_FAMILIES: Final = (
    (r"anthropic\.claude-(v2|instant)", "Anthropic Text Completions (prompt, max_tokens_to_sample)"),
    (r"anthropic\.", "Anthropic Messages (anthropic_version, messages)"),
    (r"amazon\.nova-(lite|micro|pro|premier|2)", "Amazon Nova (schemaVersion messages-v1, messages)"),
    (r"amazon\.titan-text", "Amazon Titan Text (inputText, textGenerationConfig)"),
    (r"amazon\.titan-embed", "Amazon Titan Embeddings (inputText)"),
    (r"meta\.llama", "Meta Llama (prompt, max_gen_len)"),
    (r"mistral\.", "Mistral (prompt or messages)"),
    (r"cohere\.command-r", "Cohere Command R (message, chat_history)"),
    (r"cohere\.command", "Cohere Command (prompt)"),
    (r"cohere\.embed", "Cohere Embed (texts, input_type)"),
    (r"ai21\.jamba", "AI21 Jamba (messages)"),
    (r"ai21\.j2", "AI21 Jurassic-2 (prompt)"),
    (r"stability\.", "Stability AI images (prompt)"),
)


def body_family(base: str | None) -> str | None:
    """The InvokeModel request body family of a base model, or None when not known here."""
    for pattern, family in _FAMILIES:
        if base is not None and re.match(pattern, base):
            return family
    return None


def limits_of(base: str | None) -> tuple[int | None, int | None, str]:
    """(context window, maximum output tokens, source): no source is bundled yet, so both are
    unknown; a place for a future model-facts table rather than guessed numbers."""
    return None, None, "unknown (no bundled source for context window or maximum output)"


def price_of(model_id: str, region: str) -> Any:
    from bedrock_lifecycle.lifecycle import prices

    return prices.price_of(model_id, region)


@dataclasses.dataclass
class Facts:
    model_id: str
    base: str | None
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    not_checked: list[str] = dataclasses.field(default_factory=list)

    def put(self, name: str, value: Any, source: str) -> None:
        if value is None or value == [] or value == "" or name in self.values:
            return
        self.values[name] = value
        self.sources[name] = source

    def to_json(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "base_model_id": self.base,
                "facts": {k: {"value": v, "source": self.sources[k]} for k, v in self.values.items()},
                "not_checked": self.not_checked}


FIELDS: Final = (
    ("provider", "provider"), ("name", "name"), ("input_modalities", "input modalities"),
    ("output_modalities", "output modalities"), ("streaming", "streaming"),
    ("inference_types", "inference types"), ("profiles", "system profiles"),
    ("customizations", "customisations"), ("offered_in", "offered in"), ("not_offered_in", "not offered in"),
    ("lifecycle", "lifecycle"), ("replacements", "replacements"), ("context_window", "context window"),
    ("max_output", "max output tokens"), ("price", "on-demand price (USD/1k in, out)"),
    ("body_family", "InvokeModel body"),
)


def describe_model(model_id: str, regions: Sequence[str], clients: Clients, registry: Any,
                   now: _dt.datetime) -> Facts:
    try:
        base = parse_model_id(model_id).base_model_id
    except ModelIdError as exc:
        raise UsageError(str(exc)) from None
    facts = Facts(model_id, base)
    if base is None:
        facts.not_checked.append(f"{model_id} names no base model: map it in registry.base_models")
    offered: list[str] = []
    missing: list[str] = []
    for region in regions:
        cp = ControlPlane(clients, region)
        if base is None:
            break
        details, error = cp.model(base)
        if error is not None:
            if error_of(error)[0] == "ResourceNotFoundException":
                missing.append(region)
            else:
                facts.not_checked.append(f"{region}: " + not_checked("diff", error, ACTIONS["model"]).summary)
            continue
        offered.append(region)
        src = f"GetFoundationModel {region}"
        d = details or {}
        facts.put("provider", d.get("providerName"), src)
        facts.put("name", d.get("modelName"), src)
        facts.put("input_modalities", d.get("inputModalities"), src)
        facts.put("output_modalities", d.get("outputModalities"), src)
        facts.put("streaming", d.get("responseStreamingSupported"), src)
        facts.put("inference_types", d.get("inferenceTypesSupported"), src)
        facts.put("customizations", d.get("customizationsSupported"), src)
        profiles, perror = cp.profiles()
        if perror is not None:
            facts.not_checked.append(f"{region}: " + not_checked("diff", perror, ACTIONS["profiles"]).summary)
        else:
            carrying = {str(p.get("inferenceProfileId")): profile_regions(p) for p in profiles or () if carries(p, base)}
            facts.put("profiles", carrying or None, f"ListInferenceProfiles {region}")
    checked = f"GetFoundationModel in {', '.join(regions)}"
    facts.put("offered_in", offered, checked)
    facts.put("not_offered_in", missing, checked)
    region0 = regions[0]
    status = registry.lookup(model_id, region0, now)
    lifecycle = {"state": status.state.value, "legacy": _day(status.legacy_date),
                 "extended_access": _day(status.extended_access_date), "eol": _day(status.eol_date)}
    where = f"registry ({status.source}{': ' + status.entry.provenance if status.entry is not None and status.entry.provenance else ''})"
    facts.put("lifecycle", lifecycle, where)
    facts.put("replacements", list(status.replacements) or None, where)
    facts.put("provider", status.entry.provider if status.entry is not None else None, where)
    facts.put("name", status.name or None, where)
    window, output, limits_source = limits_of(base)
    facts.put("context_window", window, limits_source)
    facts.put("max_output", output, limits_source)
    price = price_of(model_id, region0)
    if price is not None:
        facts.put("price", [price.input_per_1k, price.output_per_1k],
                  f"{price.source}{': ' + price.provenance if price.provenance else ''}{' as of ' + str(price.as_of) if price.as_of else ''}")
    facts.put("body_family", body_family(base), "this project's table of InvokeModel bodies")
    return facts


def _day(d: _dt.datetime | None) -> str | None:
    return None if d is None else d.date().isoformat()


def changes(old: Facts, new: Facts) -> list[str]:
    """What the application must change (or check) to move from ``old`` to ``new``."""
    o, n = old.values, new.values
    out: list[str] = []
    if o.get("provider") and n.get("provider") and o["provider"] != n["provider"]:
        out.append(f"different provider ({o['provider']} → {n['provider']}): prompts, tokenizer and token "
                   "counts differ; compare outputs before moving traffic (bedrock-lifecycle compare)")
    if o.get("body_family") != n.get("body_family"):
        if o.get("body_family") and n.get("body_family"):
            out.append(f"InvokeModel bodies change: {o['body_family']} → {n['body_family']} "
                       "(Converse calls are unaffected; or set body_adapter on the target)")
        elif o.get("provider") != n.get("provider"):
            out.append("InvokeModel bodies may differ (a family unknown here): check the model card")
    if o.get("streaming") is True and n.get("streaming") is False:
        out.append(f"{new.model_id} does not stream: ConverseStream / InvokeModelWithResponseStream calls must change")
    for key, label in (("input_modalities", "input"), ("output_modalities", "output")):
        lost = sorted(set(o.get(key) or ()) - set(n.get(key) or ()))
        if lost:
            out.append(f"{label} modality lost: {', '.join(lost)}")
    types = n.get("inference_types")
    if types is not None and "ON_DEMAND" not in types and parse_model_id(new.model_id).kind == "foundation-model":
        profiles = ", ".join(sorted(n.get("profiles") or {})) or "none found"
        out.append(f"{new.model_id} is not invocable on demand by its plain ID: call it through an inference "
                   f"profile ({profiles})")
    gone = sorted(set(o.get("offered_in") or ()) & set(n.get("not_offered_in") or ()))
    if gone:
        out.append(f"{new.model_id} is not offered in {', '.join(gone)}: move those calls to another region or a profile")
    lost_custom = sorted(set(o.get("customizations") or ()) - set(n.get("customizations") or ()))
    if lost_custom:
        out.append(f"customisation not supported by {new.model_id}: {', '.join(lost_custom)}")
    state = (n.get("lifecycle") or {}).get("state")
    if state in ("legacy", "extended_access", "eol"):
        out.append(f"{new.model_id} is itself {state}: choose a model that is active")
    if o.get("price") and n.get("price") and o["price"] != n["price"]:
        out.append(f"on-demand price changes (USD per 1k tokens in/out): {_pair(o['price'])} → {_pair(n['price'])}")
    return out


def _pair(p: list[float | None]) -> str:
    return "/".join("?" if v is None else f"{v:g}" for v in p)


def diff(old: str, new: str, regions: Sequence[str], registry: Any, now: _dt.datetime,
         clients: Clients | None = None) -> tuple[Facts, Facts, list[str]]:
    clients = clients or Clients()
    a = describe_model(old, regions, clients, registry, now)
    b = describe_model(new, regions, clients, registry, now)
    return a, b, changes(a, b)
