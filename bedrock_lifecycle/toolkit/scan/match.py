r"""The matcher: where a text names a Bedrock model ID, inference-profile ID or model ARN.

What counts as a model ID (the false-positive strategy):

- **Anchored on known providers.** A candidate is ``<provider>.<name>`` where ``provider``
  is one of :data:`bedrock_lifecycle.ids.KNOWN_PROVIDERS`, optionally preceded by a
  geography, or a Bedrock ARN (``arn:aws…:bedrock:…:<model kind>/…``). A 2-6 letter
  prefix that is not a known geography (``ap.``, ``amer.``, ``custom.``) is still reported,
  as written: :func:`bedrock_lifecycle.ids.parse_model_id` refuses it, and the report says
  it is no model Bedrock serves (never the base model's state). Words that are receivers in
  code (``self.``, ``this.``, ``config.`` …) are not prefixes at all.
- **Token boundaries.** The candidate must not continue a longer token: nothing from
  ``[A-Za-z0-9_.@$-]`` before it (so ``docs.aws.amazon.com``, ``com.amazon.awssdk`` and
  ``user@anthropic.com`` are out) and nothing from ``[A-Za-z0-9_@$-]``, nor a ``.`` or
  ``:`` followed by a word character, after it (so ``meta.json``, ``amazon.aws.s3_bucket``,
  ``anthropic.claude-v2.json`` are out). A ``/`` or ``:`` before and a ``/`` after are
  fine: ``bedrock/anthropic.claude-…``, ``…::foundation-model/anthropic.claude-…``,
  ``…/model/anthropic.claude-…/invoke``. An ANSI escape sequence just before (a colour
  code in a log or a notebook output: ``ESC[32m``, or written in code as ``\033[32m``,
  ``\x1b[32m``, ``\u001b[32m``) is a boundary too. A placeholder geography
  (``{geo}.anthropic…``, ``${var.geo}.anthropic…``) reports the model ID after it.
- **Model-shaped names.** Dot-separated parts after the first must start with a digit
  (``gpt-5.4``, ``v3.1``; not ``aws.something``). The name must have a hyphen, or be
  ``v<digits>.<digits>`` (``deepseek.v3.1``): that rejects ``anthropic.com``, ``cohere.ai``,
  ``stability.config``, ``amazon.png``, ``amazon.mp4`` and ``amazon.com:443`` (a version
  alone proves nothing). Two hyphens, a version, or a version-like part (``-v2``,
  ``llama3``, ``12b``, ``4.7``) make it a model. What is left is *weak*: ``word-N``
  (``zai.glm-5``) reads exactly like arithmetic in code (``meta.length-1``), and
  ``word-word`` or ``vN`` like an attribute or an API path; weak names are reported only
  when the bundled lifecycle data knows the model. Up to two ``:`` segments follow the
  name, as botocore's model-ID pattern allows: the version and a provisioned variant
  (``:0:8k``, ``:0:200k``, ``:0:512``, ``:0:mm``).
- **Validated.** Every candidate must parse with :func:`bedrock_lifecycle.ids.parse_model_id`
  (or fail only for its made-up geography, above). Only ARNs of resources that carry a
  model are reported (:data:`ARN_KINDS_REPORTED`); ARNs of prompts, agents, flows,
  knowledge bases, guardrails… and SageMaker endpoints are not.

Speed: one pass of a regex that starts with a literal ``.``, then checks for a hyphen ahead
and the provider behind (1-1.4 GB/s), finds every ``<provider>.<hyphenated name>``, and
``bytes.find`` every ``arn:aws``; only those few positions get Python-level work.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from bedrock_lifecycle.ids import (
    KNOWN_GEOGRAPHIES,
    KNOWN_PROVIDERS,
    ModelIdError,
    parse_model_id,
    unknown_geography,
)

# --------------------------------------------------------------------------- matching

_PROVIDERS_B = frozenset(p.encode() for p in KNOWN_PROVIDERS)
_PROVIDER_LENGTHS = sorted({len(p) for p in _PROVIDERS_B}, reverse=True)  # longest first


def _anchor_pattern() -> re.Pattern[bytes]:
    # One look-behind per provider length (look-behinds must be fixed-width). The pattern
    # starts with a literal ".", so the regex engine skips quickly to the next dot.
    by_len: dict[int, list[str]] = {}
    for p in sorted(KNOWN_PROVIDERS):
        by_len.setdefault(len(p), []).append(re.escape(p))
    behinds = "|".join(f"(?<=(?:{'|'.join(v)})\\.)" for _, v in sorted(by_len.items()))
    # Before them, a cheap look-ahead for the model shape (a "-" in the first part of the
    # name, or "v<digit>"): most dots fail it at once ("meta.json", "writer.write(",
    # "google.protobuf"), about three times faster than testing the look-behinds first. It
    # stops at the next dot, so a long dotted run costs linear time.
    return re.compile(f"\\.(?=[a-z0-9]*-|v[0-9])(?:{behinds})".encode())


_ANCHOR = _anchor_pattern()

# What may not touch an identifier. Before: a word character, ".", "@", "$" or "-" would make
# it part of a longer token (a domain, a dotted module path, an e-mail address).
_BEFORE_FORBIDDEN = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@$-")
_END = rb"(?![A-Za-z0-9_@$-]|[.:][A-Za-z0-9_-])"

# The rest of a model ID after "<provider>.": later dotted parts start with a digit.
_REST = re.compile(
    rb"(?P<name>[a-z0-9][a-z0-9-]*(?:\.[0-9][a-z0-9-]*)*)"
    rb"(?P<version>:[a-z0-9-]+)?(?::[a-z0-9-]+)?" + _END
)
# A geography just before "<provider>." (tried at each start in a short window before the dot).
_GEO_WORD = re.compile(rb"[a-z]{2,6}(?:-[a-z]{2,6})?\.")
_ARN = re.compile(
    rb"arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]{0,20}:(?:[0-9]{12})?:[a-z-]+/"
    rb"[A-Za-z0-9.:/-]*[A-Za-z0-9]" + _END
)
_ARN_BEFORE_FORBIDDEN = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# ARN kinds that carry a model (bedrock-runtime calls them as the modelId). A prompt router
# routes between the models of one family, so it is a model endpoint too; prompts, agents,
# flows, knowledge bases and guardrails name no model in their ARN.
ARN_KINDS_REPORTED: frozenset[str] = frozenset(
    {
        "foundation-model", "inference-profile", "application-inference-profile",
        "provisioned-model", "custom-model", "imported-model", "custom-model-deployment",
        "prompt-router",
    }
)
# An ANSI CSI sequence ending right before a position: the escape byte itself, or as written
# in source code and in JSON ("\033[1m", "\x1b[1m", "\u001b[1m", "\e[1m").
_ANSI_TAIL = re.compile(rb"(?:\x1b|\\(?:033|x1[bB]|u001[bB]|e))\[[0-9;?]*[A-Za-z]\Z")
_STRONG = re.compile(r"[a-z][0-9]|[0-9][a-z]|[0-9]\.[0-9]")
_V_NAME = re.compile(r"v[0-9]+(?:\.[0-9]+)*")
_DOT, _CLOSE_PLACEHOLDER = ord("."), frozenset(b"})")
# A short word before "<provider>." that is not a known geography is reported as written (an
# identifier Bedrock refuses), except these words, which in code are receivers:
# "self.amazon.nova-pro-v1" is an attribute chain, not a profile.
NOT_GEOGRAPHIES = frozenset(
    {
        "self", "this", "that", "cls", "super", "ctx", "cfg", "conf", "config", "app", "env",
        "args", "opts", "props", "model", "models", "client", "llm", "os", "sys", "obj", "data",
        "item", "node", "res", "resp", "req", "result", "params", "kwargs", "state",
    }
)


def _shape(name: str, has_version: bool) -> str:
    """'strong', 'weak' (needs the catalogue) or 'no'.

    ``word-N`` (one hyphen, digits after it: ``zai.glm-5``) is weak whatever the word, as
    it reads exactly like arithmetic in code (``meta.length-1``, ``meta.x2-1``). A version
    alone proves nothing either: ``amazon.com:443`` is a host and port.
    """
    if _V_NAME.fullmatch(name):
        return "strong" if "." in name else "weak"  # "deepseek.v3.1"; "openai.v1" is an API path
    hyphens = name.count("-")
    if hyphens == 0:
        return "no"
    if hyphens == 1 and name.partition("-")[2].isdigit():
        return "weak"
    if has_version or hyphens >= 2 or _STRONG.search(name):
        return "strong"
    return "weak"


@functools.lru_cache(maxsize=1)
def _catalogue() -> frozenset[str]:
    """Base model IDs the bundled lifecycle data knows (for ``word-N`` names only)."""
    try:
        from bedrock_lifecycle.lifecycle import bundled

        data = bundled.load()
    except Exception:  # the scanner must work without lifecycle data: weak names then fail
        return frozenset()
    return frozenset(data.catalogue) | {e.model_id for e in data.entries}


def _accept_plain(text: str, name: str, has_version: bool) -> bool:
    shape = _shape(name, has_version)
    if shape == "no":
        return False
    try:
        mid = parse_model_id(text)
    except ModelIdError:
        geo = unknown_geography(text)
        if geo is None:
            return False
        mid = parse_model_id(text[len(geo) + 1 :])  # reported as written, as an error
    if shape == "weak":
        known = _catalogue()
        return any(k in known for k in mid.lookup_keys)
    return True


def _accept_arn(text: str) -> bool:
    try:
        mid = parse_model_id(text)
    except ModelIdError:
        # An inference-profile ARN with a made-up geography is reported (as an error).
        return unknown_geography(text) is not None
    # A named base model needs a known provider, as a plain ID does: documentation
    # placeholders ("…:foundation-model/provider.model-name") are not models.
    return mid.kind in ARN_KINDS_REPORTED and (mid.provider is None or mid.provider in KNOWN_PROVIDERS)


def _after_boundary(data: bytes, pos: int, forbidden: frozenset[int]) -> bool:
    """Whether a token may start at ``pos``: start of data, an allowed byte, or an ANSI escape."""
    return (
        pos == 0
        or data[pos - 1] not in forbidden
        or _ANSI_TAIL.search(data, max(0, pos - 40), pos) is not None
    )


def may_contain_ids(data: bytes) -> bool:
    """False when ``data`` cannot hold an identifier, even after JSON string decoding (the
    characters of an anchor and of ``arn:aws`` are never escaped by JSON writers): lets a
    notebook without candidates skip parsing."""
    return b"arn:aws" in data or _ANCHOR.search(data) is not None


def find_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) byte spans of every identifier in ``data``, in order."""
    hits: list[tuple[int, int]] = []
    arn_spans: list[tuple[int, int]] = []
    i = data.find(b"arn:aws")
    while i >= 0:
        m = _ARN.match(data, i)
        if (
            m is not None
            and _after_boundary(data, i, _ARN_BEFORE_FORBIDDEN)
            and _accept_arn(m.group().decode("ascii"))
        ):
            arn_spans.append(m.span())
            i = m.end()
        i = data.find(b"arn:aws", i + 1)
    hits.extend(arn_spans)

    last_end = 0
    arn_i = 0
    for a in _ANCHOR.finditer(data):
        dot = a.start()
        if dot < last_end:
            continue  # inside the previous hit (an ARN or a profile)
        while arn_i < len(arn_spans) and arn_spans[arn_i][1] <= dot:
            arn_i += 1
        if arn_i < len(arn_spans) and arn_spans[arn_i][0] <= dot:
            continue
        # n <= dot: a negative slice start would wrap around to the end of the data.
        ps = next(dot - n for n in _PROVIDER_LENGTHS if n <= dot and data[dot - n : dot] in _PROVIDERS_B)
        rest = _REST.match(data, dot + 1)
        if rest is None:
            continue
        start = _start(data, ps)
        if start is None:
            continue
        text = data[start : rest.end()].decode("ascii")
        if _accept_plain(text, rest.group("name").decode("ascii"), rest.group("version") is not None):
            hits.append((start, rest.end()))
            last_end = rest.end()
    if arn_spans:
        hits.sort()
    return hits


def _start(data: bytes, ps: int) -> int | None:
    """Where the identifier whose provider starts at ``ps`` starts, or None (not a token)."""
    if ps == 0:
        return 0
    if data[ps - 1] != _DOT:
        return ps if _after_boundary(data, ps, _BEFORE_FORBIDDEN) else None
    # "<geo>.<provider>": the geography must itself start a token. Starts are tried from the
    # shortest geography up: an inner start is a token start only right after an ANSI escape
    # ("ESC[mus." is "us." after "ESC[m", not "mus."), else the whole word is the candidate.
    for gs in range(ps - 3, max(-1, ps - 15), -1):
        if _GEO_WORD.fullmatch(data, gs, ps) is None:
            continue
        if _after_boundary(data, gs, _BEFORE_FORBIDDEN):
            geo = data[gs : ps - 1].decode("ascii")
            if geo in KNOWN_GEOGRAPHIES or (geo not in KNOWN_PROVIDERS and geo not in NOT_GEOGRAPHIES):
                return gs
            break
    if ps >= 2 and data[ps - 2] in _CLOSE_PLACEHOLDER:
        return ps  # "{geo}.anthropic…", "${var.geo}.anthropic…": the model ID after it
    return None


def positions(data: bytes, spans: Iterable[tuple[int, int]], errors: str) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    line, line_start, counted = 1, 0, 0
    for start, end in spans:
        line += data.count(b"\n", counted, start)
        counted = start
        nl = data.rfind(b"\n", line_start, start)
        if nl >= 0:
            line_start = nl + 1
        prefix = data[line_start:start]
        col = len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", errors))
        out.append((line, col + 1, data[start:end].decode("ascii")))
    return out


def scan_bytes(data: bytes) -> list[tuple[int, int, str]]:
    """(line, column, id) of every identifier in UTF-8 (or ASCII-compatible) ``data``."""
    return positions(data, find_spans(data), "replace")


def scan_text(text: str) -> list[tuple[int, int, str]]:
    """(line, column, id) of every identifier in ``text``; line and column are 1-based."""
    data = text.encode("utf-8", "surrogatepass")
    return positions(data, find_spans(data), "surrogatepass")




__all__ = ["ARN_KINDS_REPORTED", "NOT_GEOGRAPHIES", "find_spans", "may_contain_ids", "positions", "scan_bytes", "scan_text"]
