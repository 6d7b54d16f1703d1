"""Parse every model identifier bedrock-runtime accepts into a structured value.

Forms (see ../shared/data/model-ids.txt and botocore's ``InvokeModelIdentifier``):

- plain foundation model: ``anthropic.claude-3-haiku-20240307-v1:0``
- provisioned-throughput variant, a third ``:`` segment naming the context window or
  modality: ``anthropic.claude-v2:1:200k``, ``amazon.titan-text-express-v1:0:8k``,
  ``cohere.embed-english-v3:0:512``, ``amazon.nova-premier-v1:0:mm``,
  ``amazon.nova-premier-v1:0:1000k``. The segment follows botocore's rule
  (``[a-z0-9-]{1,63}``), so forms AWS adds later parse too.
- cross-region inference profile: ``us.anthropic.claude-sonnet-4-5-20250929-v1:0``, with a
  geography from :data:`KNOWN_GEOGRAPHIES` only. Any other short prefix before a known
  provider (``ap.``, ``amer.``, ``custom.``) is refused: Bedrock has no such profile, and
  reading it as one would give it the base model's lifecycle.
- ARNs: foundation-model, inference-profile, application-inference-profile,
  provisioned-model, custom-model, imported-model, custom-model-deployment,
  (default-)prompt-router, prompt, and SageMaker endpoints.

Parsing is pure and cached: it runs on every request.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import Literal

MAX_LENGTH = 2048  # botocore's limit for InvokeModelIdentifier

Kind = Literal[
    "foundation-model",
    "inference-profile",
    "application-inference-profile",
    "provisioned-model",
    "custom-model",
    "imported-model",
    "custom-model-deployment",
    "prompt-router",
    "prompt",
    "sagemaker-endpoint",
]

# Kinds whose identifier names a base foundation model by itself.
NAMES_BASE_MODEL: frozenset[str] = frozenset({"foundation-model", "inference-profile"})


class ModelIdError(ValueError):
    """The value cannot be a Bedrock model identifier. The message names the value."""


@dataclass(frozen=True, slots=True)
class ModelId:
    raw: str
    kind: Kind
    # The foundation model the identifier stands for, context window stripped
    # ("anthropic.claude-v2:1:200k" -> "anthropic.claude-v2:1"); None when the form
    # names no base model (application profiles, provisioned/custom/imported models).
    base_model_id: str | None = None
    provider: str | None = None
    version: str | None = None  # the ":N" suffix, e.g. "0" in "...-v1:0"
    context_window: str | None = None  # the third segment: "200k", "512", "mm"
    geography: str | None = None  # "us", "eu", "apac", "global", "us-gov", ...
    is_arn: bool = False
    partition: str | None = None
    region: str | None = None
    account: str | None = None
    resource_id: str | None = None  # the part after "<kind>/" in an ARN

    @property
    def lookup_keys(self) -> tuple[str, ...]:
        """Registry keys to try, most specific first.

        ``amazon.titan-text-express-v1:0`` is catalogued as ``amazon.titan-text-express-v1``:
        a ``:0`` version is the same model as no version.
        """
        base = self.base_model_id
        if base is None:
            return ()
        if self.version == "0":
            return (base, base.rsplit(":", 1)[0])
        if self.version is None:
            return (base, base + ":0")
        return (base,)


# provider "." name [":" version [":" context]]; provider and name are lowercase
# [a-z0-9-]; names may contain further dots (deepseek.v3.1, openai.gpt-5.4).
_BASE_RE = re.compile(
    r"(?P<provider>[a-z0-9][a-z0-9-]{0,62})\.(?P<name>[a-z0-9][a-z0-9.-]{0,126}?)"
    r"(?::(?P<version>[a-z0-9-]{1,63}))?(?::(?P<ctx>[a-z0-9-]{1,63}))?"
)
_GEO_RE = re.compile(r"(?P<geo>[a-z]{2,6}(?:-[a-z]{2,6})?)\.(?P<rest>.+)")

_ARN_RE = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):(?P<service>bedrock|sagemaker):(?P<region>[a-z0-9-]{0,20}):"
    r"(?P<account>[0-9]{12})?:(?P<rtype>[a-z-]+)/(?P<res>.+)"
)
_ARN_KINDS: dict[str, Kind] = {
    "foundation-model": "foundation-model",
    "inference-profile": "inference-profile",
    "application-inference-profile": "application-inference-profile",
    "provisioned-model": "provisioned-model",
    "custom-model": "custom-model",
    "imported-model": "imported-model",
    "custom-model-deployment": "custom-model-deployment",
    "prompt-router": "prompt-router",
    "default-prompt-router": "prompt-router",
    "prompt": "prompt",
    "endpoint": "sagemaker-endpoint",
}


def _parse_base(text: str) -> tuple[str, str, str | None, str | None] | None:
    """Return (base_model_id, provider, version, context_window) or None."""
    m = _BASE_RE.fullmatch(text)
    if m is None:
        return None
    provider, name, version, ctx = m.group("provider", "name", "version", "ctx")
    if name.endswith(".") or ".." in name:
        return None
    base = f"{provider}.{name}" + (f":{version}" if version else "")
    return base, provider, version, ctx


def _check(value: object) -> str:
    if not isinstance(value, str):
        raise ModelIdError(f"modelId must be a string, got {type(value).__name__}: {value!r:.80}")
    if not value or not value.strip():
        raise ModelIdError("modelId is empty")
    if len(value) > MAX_LENGTH:
        raise ModelIdError(
            f"modelId is {len(value)} characters long; Bedrock accepts at most {MAX_LENGTH} "
            f"(starts {value[:40]!r})"
        )
    if value != value.strip() or any(c.isspace() for c in value):
        raise ModelIdError(f"modelId {value!r:.120} contains whitespace")
    return value


def parse_model_id(value: str) -> ModelId:
    """Parse ``value``; raise :class:`ModelIdError` for anything Bedrock could not accept."""
    if value.__class__ is not str:  # before the cache: unhashable values must not TypeError
        _check(value)
    return _parse_cached(value)


@functools.lru_cache(maxsize=4096)
def _parse_cached(value: str) -> ModelId:
    text = _check(value)
    if text.startswith("arn:"):
        return _parse_arn(text)
    base = _parse_base(text)
    _refuse_unknown_geography(text)
    if base is not None and not _looks_like_profile(text):
        b, provider, version, ctx = base
        return ModelId(text, "foundation-model", b, provider, version, ctx)
    g = _GEO_RE.fullmatch(text)
    if g is not None:
        inner = _parse_base(g.group("rest"))
        if inner is not None and "." in g.group("rest"):
            b, provider, version, ctx = inner
            return ModelId(text, "inference-profile", b, provider, version, ctx, g.group("geo"))
    if base is not None:
        b, provider, version, ctx = base
        return ModelId(text, "foundation-model", b, provider, version, ctx)
    raise ModelIdError(
        f"modelId {text!r:.120} is not a Bedrock model ID, inference profile ID or ARN "
        "(expected forms: 'provider.model-v1:0', 'us.provider.model-v1:0', 'arn:aws:bedrock:...')"
    )


# Cross-region inference profile geographies: model-ids.txt section 5 (the AWS CDK enum,
# litellm, and for "ca"/"in" third-party copies of AWS model cards). tests/test_ids.py checks
# this set covers every prefix in that data, so a geography AWS adds is added here with it.
KNOWN_GEOGRAPHIES: frozenset[str] = frozenset(
    {"us", "eu", "apac", "global", "jp", "au", "us-gov", "ca", "in"}
)
KNOWN_PROVIDERS: frozenset[str] = frozenset(
    {
        "ai21", "amazon", "anthropic", "cohere", "deepseek", "google", "luma", "meta",
        "minimax", "mistral", "moonshot", "moonshotai", "nvidia", "openai", "qwen",
        "stability", "twelvelabs", "writer", "xai", "zai",
    }
)
_GEO_HEAD_RE = re.compile(r"[a-z]{2,6}(?:-[a-z]{2,6})?")


def _refuse_unknown_geography(text: str) -> None:
    """``<short word>.<known provider>.<name>`` with a word that is not a geography."""
    geo = unknown_geography(text)
    if geo is not None:
        raise ModelIdError(f"modelId {text!r:.160}: {unknown_geography_message(geo)}")


def unknown_geography(value: str) -> str | None:
    """The made-up geography when ``value`` (a profile ID or an inference-profile ARN) is
    refused for that reason alone (``"ap"`` for ``ap.anthropic.claude-sonnet-4-6``), else None."""
    text = value
    if value.startswith("arn:"):
        m = _ARN_RE.fullmatch(value)
        if m is None or m.group("rtype") != "inference-profile":
            return None
        text = m.group("res")
    head, _, rest = text.partition(".")
    if (
        head not in KNOWN_GEOGRAPHIES
        and head not in KNOWN_PROVIDERS
        and _GEO_HEAD_RE.fullmatch(head)
        and rest.partition(".")[0] in KNOWN_PROVIDERS
        and _parse_base(rest) is not None
    ):
        return head
    return None


def unknown_geography_message(geo: str) -> str:
    """Why ``<geo>.`` cannot start an inference profile ID, with the closest known one."""
    close = difflib.get_close_matches(geo, sorted(KNOWN_GEOGRAPHIES), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0] + '.'!r}?" if close else ""
    return (
        f"{geo + '.'!r} is not a cross-region inference profile geography "
        f"(known: {', '.join(sorted(KNOWN_GEOGRAPHIES))}){hint}"
    )


def _looks_like_profile(text: str) -> bool:
    """``us.anthropic.claude...`` also matches provider="us", name="anthropic.claude...".

    Model names contain dots too (``openai.gpt-5.4``, ``zai.glm-4.7-flash``), so a prefix
    counts as a geography only when it is a known one (an unknown short prefix before a
    known provider was refused by :func:`_refuse_unknown_geography`).
    """
    head, _, rest = text.partition(".")
    return head in KNOWN_GEOGRAPHIES and _parse_base(rest) is not None


def _parse_arn(text: str) -> ModelId:
    m = _ARN_RE.fullmatch(text)
    if m is None:
        raise ModelIdError(f"modelId {text!r:.160} is not a well-formed Bedrock ARN")
    partition, service, region, account, rtype, res = m.group(
        "partition", "service", "region", "account", "rtype", "res"
    )
    kind = _ARN_KINDS.get(rtype)
    if kind is None or (service == "sagemaker") != (kind == "sagemaker-endpoint"):
        raise ModelIdError(
            f"modelId {text!r:.160}: {service} resource type {rtype!r} is not one bedrock-runtime "
            f"accepts (known: {', '.join(sorted(_ARN_KINDS))})"
        )
    common = {
        "is_arn": True,
        "partition": partition,
        "region": region or None,
        "account": account or None,
        "resource_id": res,
    }
    if kind == "foundation-model":
        base = _parse_base(res)
        if base is None:
            raise ModelIdError(f"modelId {text!r:.160}: {res!r} is not a foundation model ID")
        b, provider, version, ctx = base
        return ModelId(text, kind, b, provider, version, ctx, **common)  # type: ignore[arg-type]
    if kind == "inference-profile":
        g = _GEO_RE.fullmatch(res)
        inner = _parse_base(g.group("rest")) if g else None
        # "inference-profile/openai.gpt-5.4" is a model ID missing its geography, not a
        # profile in geography "openai" (the same rule as _looks_like_profile).
        if g is None or inner is None or (
            g.group("geo") in KNOWN_PROVIDERS and g.group("geo") not in KNOWN_GEOGRAPHIES
        ):
            raise ModelIdError(f"modelId {text!r:.160}: {res!r} is not an inference profile ID")
        if g.group("geo") not in KNOWN_GEOGRAPHIES:
            raise ModelIdError(f"modelId {text!r:.160}: {unknown_geography_message(g.group('geo'))}")
        b, provider, version, ctx = inner
        return ModelId(text, kind, b, provider, version, ctx, g.group("geo"), **common)  # type: ignore[arg-type]
    if kind == "custom-model":
        # custom-model/<base-model-id | imported>/<12-char id>: the base is named, when not imported.
        base_part, _, _ = res.partition("/")
        base = _parse_base(base_part) if base_part != "imported" else None
        if base is not None:
            b, provider, version, ctx = base
            return ModelId(text, kind, b, provider, version, ctx, **common)  # type: ignore[arg-type]
    return ModelId(text, kind, **common)  # type: ignore[arg-type]


def is_model_id(value: object) -> bool:
    """True when ``value`` parses as a model ID (never raises)."""
    try:
        parse_model_id(value)  # type: ignore[arg-type]
    except (ModelIdError, TypeError):
        return False
    return True
