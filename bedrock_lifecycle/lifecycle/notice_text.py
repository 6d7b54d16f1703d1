"""Reading an AWS Health notice's text: the models it retires, the ones it recommends
instead, and its dated milestones (no I/O). :mod:`.health` fetches the notices and makes
registry entries from what is read here; docs/readiness.md says how the text is read.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import re
from collections.abc import Callable, Iterable
from typing import Final

from bedrock_lifecycle.clock import InstantError, parse_instant
from bedrock_lifecycle.ids import ModelIdError, parse_model_id

UTC = _dt.timezone.utc

MILESTONES: Final = ("legacy", "extended_access", "eol")
_MONTH_NAMES = "jan january|feb february|mar march|apr april|may|jun june|jul july|aug august|sep sept september|oct october|nov november|dec december"
_MONTHS = {m: i + 1 for i, names in enumerate(_MONTH_NAMES.split("|")) for m in names.split()}
_MONTH = r"(?P<{g}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATE_RE = re.compile(
    r"(?P<iso>\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?\b)"
    r"|\b" + _MONTH.format(g="m1") + r"\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{4})\b"
    r"|\b(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH.format(g="m2") + r",?\s+(?P<y2>\d{4})\b",
    re.IGNORECASE,
)
# Words that say which milestone a date is; the nearest one before the date (in its sentence)
# decides, else the nearest after it.
_KINDS = (
    ("extended_access", re.compile(r"extended[- ]access", re.IGNORECASE)),
    ("legacy", re.compile(r"\blegacy\b", re.IGNORECASE)),
    (
        "eol",
        re.compile(
            r"end[- ]of[- ]life|\bEOL\b|end[- ]of[- ]support|\bretire|\bretirement|no longer (?:be )?available"
            r"|deprecat|shut ?down|\bremoved?\b",
            re.IGNORECASE,
        ),
    ),
)
_ID_RE = re.compile(
    r"arn:aws[a-z-]*:bedrock:[a-z0-9-]*:\d{0,12}:[a-z-]+/[A-Za-z0-9.:/_-]+"
    r"|\b(?:[a-z]{2,6}(?:-[a-z]{2,6})?\.)?[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9.-]*[a-z0-9](?::\d+(?::\d+[km])?)?"
)
_REPLACEMENT_RE = re.compile(
    r"migrat|recommend|replac|upgrad|switch|instead|successor|move to|transition to", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])|\n\s*\n")


@dataclasses.dataclass(frozen=True, slots=True)
class NoticeDate:
    kind: str  # legacy | extended_access | eol | unknown
    at: _dt.datetime
    text: str  # the sentence it came from (trimmed)

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"), "text": self.text}


def model_ids_in(text: str, providers: Iterable[str] | None = None) -> tuple[str, ...]:
    """Base model IDs named in ``text`` (plain IDs, profile IDs or ARNs), in order, once each.

    A candidate counts only when it parses as a model ID and its provider is a known one
    (``providers``, default: those of the bundled data), so "e.g." or "example.com" do not.
    """
    retiring, replacements = ids_by_role(text, providers)
    return tuple(dict.fromkeys([*retiring, *replacements]))


def ids_by_role(
    text: str, providers: Iterable[str] | None, names: bool = True
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(IDs the text retires, IDs it recommends instead): an ID after "migrate to",
    "recommend", "replace", "upgrade", "switch" or "instead" in its sentence is a replacement.

    Model names ("Claude 3 Haiku") are read only when the text names no model by ID (and
    ``names``: the caller has no affected entities): a notice that lists IDs says exactly
    which models it means, and a name mentioned in passing must not take its dates."""
    known = frozenset(providers) if providers is not None else bundled_providers()
    by_id = _scan(text, lambda sentence: [(m.start(), b) for m in _ID_RE.finditer(sentence)
                                          if (b := base_of(m.group(0).rstrip(".:"), known)) is not None])
    if by_id[0] or by_id[1] or not names:
        return by_id
    names_re, by_name = _model_names()
    return _scan(text, lambda sentence: [(m.start(), by_name[" ".join(m.group(0).casefold().split())])
                                         for m in names_re.finditer(sentence)])


def _scan(text: str, find: Callable[[str], list[tuple[int, str]]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    retiring: dict[str, None] = {}
    replacements: dict[str, None] = {}
    for sentence in _SENTENCE_END.split(text):
        for start, base in find(sentence):
            if _REPLACEMENT_RE.search(sentence, 0, start):
                replacements.setdefault(base)
            else:
                retiring.setdefault(base)
    return tuple(retiring), tuple(r for r in replacements if r not in retiring)


@functools.cache
def _model_names() -> tuple[re.Pattern[str], dict[str, str]]:
    """The bundled data's model names ("Claude 3 Haiku", "Command R+") as one pattern, and
    each name (casefolded, single-spaced) -> its model ID. A name two IDs share ("Nova
    Reel") is left out: it would be a guess. Longest names first, so "Claude 3.5 Sonnet v2"
    wins over "Claude 3.5 Sonnet"; a name followed by more of a version ("Claude Opus 4"
    in "Claude Opus 4.1", "Command R" in "Command R+") does not match."""
    from bedrock_lifecycle.lifecycle import bundled

    ids: dict[str, set[str]] = {}
    for e in bundled.load().entries:
        if e.name:
            ids.setdefault(" ".join(e.name.casefold().split()), set()).add(e.model_id)
    by_name = {name: next(iter(found)) for name, found in ids.items() if len(found) == 1}
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in name.split())
                            for name in sorted(by_name, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.])(?:{alternatives})(?![\w+]|[.-]\w)", re.IGNORECASE) if by_name \
        else re.compile(r"(?!x)x")
    return pattern, by_name


def base_of(value: str, providers: frozenset[str]) -> str | None:
    try:
        mid = parse_model_id(value)
    except ModelIdError:
        return None
    if mid.base_model_id is None or mid.provider not in providers:
        return None
    return mid.base_model_id


def dates_in(text: str) -> tuple[NoticeDate, ...]:
    """Every date in ``text`` with the milestone its sentence names (``unknown`` if none).

    A calendar date means 00:00 UTC of that day, as everywhere in the registry.
    """
    out: list[NoticeDate] = []
    for sentence in _SENTENCE_END.split(text):
        for match in _DATE_RE.finditer(sentence):
            at = _date_of(match)
            if at is None:
                continue
            kind = _kind_near(sentence, match.start(), match.end())
            out.append(NoticeDate(kind, at, " ".join(sentence.split())[:300]))
    return tuple(out)


def _date_of(match: re.Match[str]) -> _dt.datetime | None:
    try:
        if match.group("iso"):
            return parse_instant(match.group("iso").replace(" ", "T"), field="date")
        month, day, year = (
            match.group("m1", "d1", "y1") if match.group("m1") else match.group("m2", "d2", "y2")
        )
        return _dt.datetime(int(year), _MONTHS[month.lower().rstrip(".")], int(day), tzinfo=UTC)
    except (InstantError, ValueError, KeyError):
        return None  # "February 30" and the like: not a date


def _kind_near(sentence: str, start: int, end: int) -> str:
    before: tuple[int, str] | None = None
    after: tuple[int, str] | None = None
    for kind, pattern in _KINDS:
        for m in pattern.finditer(sentence):
            if m.end() <= start and (before is None or m.end() > before[0]):
                before = (m.end(), kind)
            elif m.start() >= end and (after is None or m.start() < after[0]):
                after = (m.start(), kind)
    found = before or after
    return found[1] if found else "unknown"


def parse_text(
    text: str, providers: Iterable[str] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[NoticeDate, ...]]:
    """(retiring model IDs, recommended replacements, dated milestones) in a notice's text."""
    retiring, replacements = ids_by_role(text, providers)
    return retiring, replacements, dates_in(text)


def bundled_providers() -> frozenset[str]:
    from bedrock_lifecycle.lifecycle import bundled

    data = bundled.load()
    ids = [e.model_id for e in data.entries] + list(data.catalogue)
    return frozenset(i.partition(".")[0] for i in ids)
