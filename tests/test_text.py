"""The one text similarity (``bedrock_lifecycle.util.text``): its invariants (hypothesis) and
the cases issue 17 names: a reordered or reformatted answer is not a disagreement."""

from __future__ import annotations

import difflib
import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.toolkit import compare
from bedrock_lifecycle.util.text import ORDER_WEIGHT, jaccard, natural_key, normalise, similarity

DEFAULT_THRESHOLD = compare.DEFAULT_THRESHOLD

words = st.text(alphabet="abcdefghij", min_size=1, max_size=6)
texts = st.text(alphabet=st.sampled_from("abc XYZ.,!é\n\t-*1"), max_size=60)


def test_the_issue_pair_agrees() -> None:
    a, b = "Paris is the capital of France.", "The capital of France is Paris."
    assert similarity(a, b) >= DEFAULT_THRESHOLD
    assert jaccard(a, b) == 1.0
    assert similarity(a, a) == 1.0 > similarity(a, b)  # order still counts for something


def test_reformatting_is_not_a_difference() -> None:
    assert similarity("**Paris**", "Paris.") == 1.0
    assert similarity("- one\n- two\n", "One, two!") == 1.0
    assert similarity("Ｐａｒｉｓ", "paris") == 1.0  # NFKC: full-width letters
    assert similarity('{"total": 42}', "{ 'total' : 42 }") == 1.0
    assert normalise("It's  OK.") == ["it", "s", "ok"]


def test_different_answers_disagree() -> None:
    assert similarity("The capital of France is Paris.", "I cannot help with geography questions.") < 0.3
    assert similarity("yes", "no") == 0.0
    assert similarity("", "something") == 0.0
    assert similarity("", "") == 1.0 == similarity("...", "!")


@settings(max_examples=300, deadline=None)
@given(texts, texts)
def test_symmetric_and_bounded(a: str, b: str) -> None:
    s = similarity(a, b)
    assert 0.0 <= s <= 1.0
    assert s == similarity(b, a)
    assert 0.0 <= jaccard(a, b) == jaccard(b, a) <= 1.0


@settings(max_examples=200, deadline=None)
@given(texts)
def test_identical_is_one(a: str) -> None:
    assert similarity(a, a) == 1.0
    assert similarity(a, "  " + a.upper() + " ") == similarity(a, a.upper())


@settings(max_examples=300, deadline=None)
@given(st.lists(words, min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_a_permutation_of_the_words_agrees(ws: list[str], rnd: random.Random) -> None:
    shuffled = ws[:]
    rnd.shuffle(shuffled)
    s = similarity(" ".join(ws), " ".join(shuffled))
    assert s >= 1.0 - ORDER_WEIGHT >= DEFAULT_THRESHOLD


@settings(max_examples=200, deadline=None)
@given(st.lists(words, min_size=1, max_size=20), st.lists(words, min_size=1, max_size=20))
def test_disjoint_words_score_zero(xs: list[str], ys: list[str]) -> None:
    ys = [y.upper() + "k" for y in ys]  # "k" is outside xs's alphabet: nothing shared
    assert similarity(" ".join(xs), " ".join(ys)) == 0.0


def test_long_answers_stay_cheap() -> None:
    a = " ".join(f"w{i}" for i in range(50_000))
    b = " ".join(f"w{i}" for i in range(1, 50_001))
    t0 = time.perf_counter()
    assert similarity(a, b) > 0.9
    assert time.perf_counter() - t0 < 10.0  # a quadratic measure would take minutes; load cannot fail this


def test_one_measure_everywhere() -> None:
    from bedrock_lifecycle.migrate import shadow

    assert shadow.similarity is similarity is compare.similarity
    assert compare.jaccard is jaccard


def test_the_old_measure_disagreed_on_reordering() -> None:
    """Why the measure changed: the previous one (difflib over tokens) put the issue's pair
    under the threshold."""
    a, b = "Paris is the capital of France.", "The capital of France is Paris."
    old = difflib.SequenceMatcher(None, a.casefold().split(), b.casefold().split(), autojunk=False).ratio()
    assert old < DEFAULT_THRESHOLD <= similarity(a, b)


def test_natural_order() -> None:
    ids = ["q10", "q2", "q1", "Q3", "line 12", "line 2", "a", "q02x"]
    assert sorted(ids, key=natural_key) == ["a", "line 2", "line 12", "q1", "q2", "q02x", "Q3", "q10"]
