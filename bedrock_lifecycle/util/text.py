"""Text similarity: the one measure that ``compare``, the shadow recorder and the report share.

``similarity(a, b)`` compares two model answers *lexically* (stdlib only, no model call):

1. **Normalise**: Unicode NFKC, casefold, keep only the words (``\\w+`` runs); punctuation,
   Markdown markup, line breaks and other whitespace are dropped. "**Paris**" and "Paris."
   are the same text.
2. **Order-insensitive** part, weight ``1 - ORDER_WEIGHT``: the Sørensen–Dice coefficient of
   the two word *multisets* (``2 * |A ∩ B| / (|A| + |B|)``, counting repeats): the same
   words in any order score 1.
3. **Order-sensitive** part, weight ``ORDER_WEIGHT``: :class:`difflib.SequenceMatcher` ratio
   of the two word *lists* (the first ``MAX_ORDERED_TOKENS`` of each, ``autojunk`` off):
   the same words in the same order score 1.

So a reordered answer ("Paris is the capital of France." / "The capital of France is
Paris.") scores at least ``1 - ORDER_WEIGHT`` = 0.85, above the default agreement threshold
of 0.8, while word order still separates an exact repeat (1.0) from a rearrangement. The
result is in ``[0, 1]``, rounded to 4 digits, symmetric (the ordered part compares the two
inputs in a canonical order: SequenceMatcher alone is not symmetric), 1.0 for texts equal
after normalising (two empty texts included) and 0.0 when no word is shared.

Lexical measures do not understand meaning: "yes" and "correct" share nothing. For that,
``compare --similarity embedding:MODEL`` or ``--judge MODEL``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter

__all__ = [
    "MAX_ORDERED_TOKENS",
    "METHOD",
    "ORDER_WEIGHT",
    "jaccard",
    "natural_key",
    "normalise",
    "similarity",
]

ORDER_WEIGHT = 0.15
# SequenceMatcher is quadratic-ish; the multiset part is linear and sees every word.
MAX_ORDERED_TOKENS = 2000
METHOD = (
    f"lexical: {1 - ORDER_WEIGHT:.2f} x word-multiset Dice + {ORDER_WEIGHT:.2f} x in-order word match "
    "(difflib), over casefolded words without punctuation"
)

_WORD_RE = re.compile(r"\w+")
_DIGITS_RE = re.compile(r"(\d+)")


def normalise(text: str) -> list[str]:
    """The words of ``text``: NFKC, casefolded, punctuation and whitespace dropped."""
    return _WORD_RE.findall(unicodedata.normalize("NFKC", text).casefold())


def _dice(ta: list[str], tb: list[str]) -> float:
    total = len(ta) + len(tb)
    if total == 0:
        return 1.0
    shared = sum((Counter(ta) & Counter(tb)).values())
    return 2.0 * shared / total


def _ordered(ta: list[str], tb: list[str]) -> float:
    ta, tb = ta[:MAX_ORDERED_TOKENS], tb[:MAX_ORDERED_TOKENS]
    if not ta and not tb:
        return 1.0
    if (len(ta), ta) > (len(tb), tb):  # canonical order: symmetric by construction
        ta, tb = tb, ta
    return difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()


def similarity(a: str, b: str) -> float:
    """How alike two answers are, in ``[0, 1]`` (see the module docstring)."""
    ta, tb = normalise(a), normalise(b)
    if ta == tb:
        return 1.0
    score = (1.0 - ORDER_WEIGHT) * _dice(ta, tb) + ORDER_WEIGHT * _ordered(ta, tb)
    return min(1.0, max(0.0, round(score, 4)))


def jaccard(a: str, b: str) -> float:
    """Jaccard index of the two *sets* of words (shared vocabulary); 1.0 for two empty texts."""
    sa, sb = set(normalise(a)), set(normalise(b))
    union = sa | sb
    if not union:
        return 1.0
    return round(len(sa & sb) / len(union), 4)


def natural_key(label: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders embedded numbers by value: ``q2`` before ``q10``."""
    # re.split with one group: the digit runs are at the odd indexes.
    return tuple(
        (0, int(part)) if i % 2 else (1, part.casefold())
        for i, part in enumerate(_DIGITS_RE.split(label))
        if part
    )
