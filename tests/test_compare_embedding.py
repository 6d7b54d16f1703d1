"""compare --similarity embedding:MODEL (issue 17.2, 17.5): cosine of Bedrock embeddings
(Titan and Cohere bodies) through the real client over HTTP to the local Bedrock, cached per
text, with the embedding calls' tokens and cost reported apart; the local embeddings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.testing import LocalBedrock
from bedrock_lifecycle.testing.embeddings import embed, embedding_answer
from bedrock_lifecycle.toolkit.judge import cosine, embedding_family
from tests.helpers import compare_env
from tests.helpers import run_cli as run

LITE = "amazon.nova-lite-v1:0"
PRO = "amazon.nova-pro-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-english-v3"


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compare_env(tmp_path, monkeypatch)


words = st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=5), min_size=1, max_size=12)


@settings(max_examples=100, deadline=None)
@given(words, st.randoms(use_true_random=False))
def test_local_vectors_ignore_word_order(ws: list[str], rnd: Any) -> None:
    shuffled = ws[:]
    rnd.shuffle(shuffled)
    a, b = embed(" ".join(ws), 256), embed(" ".join(shuffled).upper(), 256)
    assert a == b and cosine(a, b) == 1.0


def test_words_whose_signs_cancel_still_embed_to_a_unit_vector() -> None:
    """"fdc" and "gdfeg" hash to one index with opposite signs (found by the property test
    above): the text still gets a unit vector, the same whatever the order and case."""
    a = embed("fdc gdfeg", 256)
    assert abs(sum(x * x for x in a) - 1.0) < 1e-9
    assert embed("GDFEG fdc", 256) == a and cosine(a, embed("gdfeg FDC", 256)) == 1.0


def test_local_embedding_bodies() -> None:
    payload, n = embedding_answer(TITAN, {"inputText": "hello world", "dimensions": 256})  # type: ignore[misc]
    assert len(payload["embedding"]) == 256 and payload["inputTextTokenCount"] == n == 3
    payload, n = embedding_answer(COHERE, {"texts": ["a b", "c"], "input_type": "search_document"})  # type: ignore[misc]
    assert len(payload["embeddings"]) == 2 and n == 2
    payload, _ = embedding_answer(COHERE, {"texts": ["a"], "embedding_types": ["float"]})  # type: ignore[misc]
    assert len(payload["embeddings"]["float"]) == 1
    assert embedding_answer(LITE, {"inputText": "x"}) is None  # a text model answers it
    assert embedding_answer(TITAN, {"prompt": "x"}) is None
    assert cosine(embed("the cat sat", 512), embed("dogs bark loudly", 512)) < 0.2
    assert cosine([1.0, 0.0], [0.0, 0.0]) == 0.0 and cosine([1.0], [1.0, 2.0]) == 0.0


def test_embedding_family() -> None:
    assert embedding_family(TITAN) == "titan" and embedding_family("us.cohere.embed-v4:0") == "cohere"
    with pytest.raises(ValueError, match="not an embedding model"):
        embedding_family(LITE)


def _prompts(tmp_path: Path, n: int = 6) -> Path:
    f = tmp_path / "p.jsonl"
    f.write_text("".join(json.dumps({"id": f"q{i}", "messages": [{"role": "user", "content": [{"text": f"q{i}"}]}]})
                         + "\n" for i in range(n)))
    return f


def _answers(bedrock: LocalBedrock) -> None:
    bedrock.reply(LITE, "Paris is the capital of France.")

    def cand(req: Any) -> str:
        q = req.body["messages"][0]["content"][0]["text"]
        return "I cannot help with geography." if q in ("q1", "q4") else "The capital of France is Paris."

    bedrock.reply(PRO, cand)


@pytest.mark.parametrize("model", [TITAN, COHERE])
def test_embedding_similarity_end_to_end(model: str, local_bedrock_env: LocalBedrock, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    bedrock = local_bedrock_env
    _answers(bedrock)
    report = tmp_path / "r.html"
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)),
                         "--similarity", f"embedding:{model}", "--json", "--report", str(report))
    assert code == 0, err
    s = json.loads(out)
    sim = s["similarity"]
    assert sim["method"].startswith(f"embedding: cosine of {model}")
    assert sim["scored"] == 6 and sim["agreement_rate"] == round(4 / 6, 4)
    assert [d["id"] for d in s["most_different"][:2]] == ["q1", "q4"]
    rows = {r["id"]: r["similarity"] for r in s["per_prompt"]}
    assert rows["q0"] == 1.0 and rows["q1"] < 0.5
    # Three distinct texts, each embedded once for the run.
    assert bedrock.calls(model_id=model, operation="InvokeModel") == 3
    ev = s["evaluation"]["embedding"]
    assert ev["model"] == model and ev["calls"] == 3 and ev["texts"] == 3 and ev["failed"] == 0
    assert ev["input_tokens"] == sum(max(1, (len(t) + 3) // 4) for t in (
        "Paris is the capital of France.", "The capital of France is Paris.", "I cannot help with geography."))
    per_1m = {TITAN: 0.02, COHERE: 0.1}[model]
    assert ev["cost_usd"] == pytest.approx(ev["input_tokens"] * per_1m / 1e6)
    # The compared models' tokens do not include the embedding calls.
    assert s["candidate"]["calls"] == 6 and s["baseline"]["tokens"]["input"] < 100
    assert "Embedding calls" in report.read_text()


def test_failed_embeddings_leave_pairs_unscored(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _answers(local_bedrock_env)
    local_bedrock_env.fail(TITAN, "ThrottlingException", times=None)
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)),
                         "--similarity", f"embedding:{TITAN}", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["similarity"]["scored"] == 0 and s["evaluation"]["embedding"]["failed"] >= 1
    assert s["evaluation"]["embedding"]["errors"] == {"ThrottlingException": s["evaluation"]["embedding"]["failed"]}


def test_shadow_pairs_by_embedding(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    def side(model: str, text: str) -> dict[str, Any]:
        return {"model": model, "latency_ms": 10, "input_tokens": 5, "output_tokens": 5, "stop_reason": "end_turn",
                "error_code": None, "text": text}

    log = tmp_path / "s.jsonl"
    log.write_text(json.dumps({"alias": "chat", "primary": side(LITE, "Paris is the capital of France."),
                               "shadow": side(PRO, "The capital of France is Paris."), "similarity": 0.5}) + "\n")
    code, out, err = run(capsys, "compare", "--shadow-log", str(log), "--similarity", f"embedding:{TITAN}", "--json")
    assert code == 0, err
    assert json.loads(out)["similarity"]["mean"] == 1.0


@pytest.mark.parametrize("value", ["embedding", "embedding:", f"embeddings:{TITAN}", f"embedding:{LITE}", "cosine"])
def test_bad_similarity_values(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)),
              "--similarity", value])
    out, err = capsys.readouterr()
    assert info.value.code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("bedrock-lifecycle compare: error: argument --similarity: ")
