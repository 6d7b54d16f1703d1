"""``compare``: the statistics (pure), the prompts/shadow/prices parsers, and the command end
to end through the real drop-in client against the local Bedrock."""

from __future__ import annotations

import io
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.cli.compare_run import Progress
from bedrock_lifecycle.lifecycle.prices import PriceTable, overrides_as_prices
from bedrock_lifecycle.testing import LocalBedrock
from bedrock_lifecycle.toolkit.compare import (
    CompareInputError,
    Outcome,
    Pair,
    jaccard,
    percentile,
    similarity,
    summarise,
)
from bedrock_lifecycle.toolkit.inputs import pairs_from_shadow_log, parse_prices, parse_prompts
from bedrock_lifecycle.toolkit.report import render
from tests.helpers import compare_env
from tests.helpers import run_cli as run

LITE = "amazon.nova-lite-v1:0"
PRO = "amazon.nova-pro-v1:0"
MICRO = "amazon.nova-micro-v1:0"
HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0"  # Legacy on 2026-04-01 (bundled data)

BASE_TEXT = "The capital of France is Paris. <script>alert('x')</script> & more"
SAME_TEXT = "Paris is the capital of France."
DIFF_TEXT = "I cannot answer questions about geography today, sorry!"


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compare_env(tmp_path, monkeypatch)


def prompts_file(tmp_path: Path, n: int, *, same_every: int = 0) -> Path:
    """``n`` prompts ``p0..``; with ``same_every=k`` every k-th one asks for the SAME answer."""
    path = tmp_path / "prompts.jsonl"
    lines = []
    for i in range(n):
        word = "SAME" if same_every and i % same_every == 0 else "DIFF"
        lines.append(json.dumps({
            "id": f"p{i}",
            "system": [{"text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"text": f"question {i} {word}"}]}],
            "inferenceConfig": {"maxTokens": 50, "temperature": 0},
            "modelId": "ignored.model-v1:0",
        }))
    path.write_text("\n".join(lines) + "\n")
    return path


def candidate_text(req: Any) -> str:
    return SAME_TEXT if "SAME" in json.dumps(req.body) else DIFF_TEXT


# ------------------------------------------------------------------------------ percentiles


def test_percentile_known_values() -> None:
    xs = [4.0, 1.0, 3.0, 2.0]
    assert percentile(xs, 0) == 1.0
    assert percentile(xs, 100) == 4.0
    assert percentile(xs, 50) == 2.5
    assert percentile(xs, 95) == pytest.approx(3.85)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(xs, 101)


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@settings(deadline=None, max_examples=200)
@given(st.lists(finite, min_size=1, max_size=50), st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100))
def test_percentile_bounded_monotone_and_median(xs: list[float], q1: float, q2: float) -> None:
    lo, hi = sorted((q1, q2))
    a, b = percentile(xs, lo), percentile(xs, hi)
    assert a is not None and b is not None
    assert min(xs) <= a <= b <= max(xs)
    assert percentile(xs, 0) == min(xs) and percentile(xs, 100) == max(xs)
    med = percentile(xs, 50)
    assert med is not None and math.isclose(med, statistics.median(xs), rel_tol=1e-9, abs_tol=1e-6)


# ------------------------------------------------------------------------------ similarity

texts = st.text(alphabet=st.sampled_from("ab cAB.,\n é1"), max_size=40)


@settings(deadline=None, max_examples=300)
@given(texts, texts)
def test_similarity_bounded_and_symmetric(a: str, b: str) -> None:
    for f in (similarity, jaccard):
        s = f(a, b)
        assert 0.0 <= s <= 1.0
        assert s == f(b, a)  # exactly, not approximately
        assert f(a, a) == 1.0


def test_similarity_normalises_case_and_whitespace() -> None:
    assert similarity("Hello,  World!", "hello,\nworld !") == 1.0
    assert similarity("", "") == 1.0 and jaccard("", "") == 1.0
    assert similarity("abc", "") == 0.0 and jaccard("abc", "") == 0.0
    # Order matters to the ratio, not to Jaccard.
    assert jaccard("one two three", "three two one") == 1.0
    assert similarity("one two three", "three two one") < 1.0
    assert 0 < similarity("the cat sat on the mat", "the dog sat on the mat") < 1


# ------------------------------------------------------------------------------ summarise


def ok(model: str, ms: float, text: str, tin: int = 10, tout: int = 5) -> Outcome:
    return Outcome(model, ms, tin, tout, "end_turn", None, text)


def err(model: str, code: str) -> Outcome:
    return Outcome(model, 3.0, error_code=code, attempt_errors=(code,))


def test_summarise_counts_latency_tokens_cost_and_agreement() -> None:
    pairs = [
        Pair("a", ok(LITE, 10, "same words here"), ok(PRO, 100, "same words here")),
        Pair("b", ok(LITE, 20, "alpha beta gamma"), ok(PRO, 200, "delta epsilon")),
        Pair("c", ok(LITE, 30, "x y z"), err(PRO, "ThrottlingException")),
        Pair("d", err(LITE, "ModelTimeoutException"), err(PRO, "ThrottlingException")),
    ]
    prices = PriceTable(overrides_as_prices({LITE: {"input_per_1k": 1.0, "output_per_1k": 2.0}}))
    s = summarise(pairs, baseline="chat", candidate=PRO, prices=prices, threshold=0.9)
    b, c = s["baseline"], s["candidate"]
    assert (b["model"], b["calls"], b["ok"], b["errors"]) == ("chat", 4, 3, {"ModelTimeoutException": 1})
    assert (c["calls"], c["ok"], c["errors"]) == (4, 2, {"ThrottlingException": 2})
    assert b["latency_ms"] == {"p50": 20.0, "p95": 29.0, "mean": 20.0, "min": 10.0, "max": 30.0}
    assert c["latency_ms"]["p50"] == 150.0  # successful calls only
    assert b["tokens"] == {"input": 30, "output": 15, "cache_read": 0, "cache_write": 0}
    assert c["tokens"] == {"input": 20, "output": 10, "cache_read": 0, "cache_write": 0}
    assert b["cost_usd"] == pytest.approx(30 / 1000 * 1.0 + 15 / 1000 * 2.0)
    assert c["cost_usd"] is None and c["unpriced_models"] == [PRO]  # no price: no made-up total
    sim = s["similarity"]
    assert sim["scored"] == 2 and sim["threshold"] == 0.9
    assert sim["agreement_rate"] == 0.5 and sim["mean"] == 0.5 and sim["median"] == 0.5
    assert [d["id"] for d in s["most_different"]] == ["b", "a"]
    assert s["only_candidate_failed"] == 1 and s["both_failed"] == 1
    assert s["delta"] == {"latency_p50_ratio": 7.5, "latency_p95_ratio": round(195 / 29, 3),
                          "error_rate_change": 0.25, "cost_ratio": None, "cost_change_usd": None,
                          "input_tokens_change": round(20 / 30 - 1, 4), "output_tokens_change": round(10 / 15 - 1, 4),
                          "cost_per_call_change": None}
    assert sum(sim["histogram"]) == 2 and sim["histogram"][0] == 1 and sim["histogram"][-1] == 1


def test_summarise_without_prices_or_pairs() -> None:
    s = summarise([])
    assert s["baseline"]["cost_usd"] is None and s["similarity"]["mean"] is None
    assert s["baseline"]["latency_ms"]["p50"] is None and s["most_different"] == []
    assert s["baseline"]["error_rate"] is None and s["delta"]["error_rate_change"] is None


# ------------------------------------------------------------------------------ parsers


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"id": "x"}', "missing 'messages'"),
        ('{"messages": []}', "'messages' must be a non-empty list"),
        ('{"messages": [{"role": "user", "content": "hi"}]}', "messages[0].content: expected list"),
        ('{"messages": [{"content": [{"text": "hi"}]}]}', "messages[0]: missing required key 'role'"),
        ('{"messages": [{"role": "user", "content": [{"text": "hi"}]}], "temprature": 1}', "unknown key 'temprature'"),
        ('{"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"maxTokens": "9"}}',
         "inferenceConfig.maxTokens: expected int"),
        ('{"id": true, "messages": [{"role": "user", "content": [{"text": "hi"}]}]}', "'id' must be a string"),
    ],
)
def test_parse_prompts_names_file_line_and_problem(line: str, problem: str) -> None:
    good = '{"messages": [{"role": "user", "content": [{"text": "secret prompt"}]}]}'
    with pytest.raises(CompareInputError) as exc:
        parse_prompts([good + "\n", "\n", line + "\n"], "p.jsonl")
    msg = str(exc.value)
    assert msg.startswith("p.jsonl:3: ") and problem in msg, msg
    assert "\n" not in msg and "secret" not in msg


def test_parse_prompts_ids_and_duplicates() -> None:
    m = '"messages": [{"role": "user", "content": [{"text": "hi"}]}]'
    got = parse_prompts([f'{{{m}, "id": 7}}', f"{{{m}}}"], "f")
    assert [p.id for p in got] == ["7", "line 2"] and "modelId" not in got[0].request
    with pytest.raises(CompareInputError, match=r"f:2: id 'a' is already used on line 1"):
        parse_prompts([f'{{{m}, "id": "a"}}', f'{{{m}, "id": "a"}}'], "f")
    with pytest.raises(CompareInputError, match="no prompts"):
        parse_prompts(["\n"], "f")


def test_parse_prices() -> None:
    assert parse_prices({LITE: {"input_per_1k": 0.06, "output_per_1k": 0}}, "p") == {
        LITE: {"input_per_1k": 0.06, "output_per_1k": 0.0}
    }
    with pytest.raises(CompareInputError, match="unknown key 'input_per_1m'"):
        parse_prices({LITE: {"input_per_1m": 1, "output_per_1k": 1}}, "p")
    with pytest.raises(CompareInputError, match="output_per_1k must be a number >= 0"):
        parse_prices({LITE: {"input_per_1k": 1, "output_per_1k": -1}}, "p")


def shadow_record(p_text: str | None, s_text: str | None, *, sim: float | None = None, alias: str = "chat",
                  s_error: str | None = None, p_ms: float | None = 10.0, s_ms: float = 40.0) -> str:
    def side(model: str, ms: float | None, text: str | None, error: str | None) -> dict[str, Any]:
        return {"model": model, "latency_ms": ms, "input_tokens": None if error else 8,
                "output_tokens": None if error else 4, "stop_reason": None if error else "end_turn",
                "error_code": error, "text": text}
    return json.dumps({"at": "2026-04-01T12:00:00.000+00:00", "alias": alias, "operation": "Converse",
                       "primary": side(LITE, p_ms, p_text, None), "shadow": side(PRO, s_ms, s_text, s_error),
                       "similarity": sim}, ensure_ascii=False) + "\n"


def test_shadow_log_pairs() -> None:
    lines = [
        shadow_record("a b c", "a b c", sim=0.1),  # texts win over the recorded value
        shadow_record(None, None, sim=0.25),  # texts not recorded: the recorded similarity
        shadow_record(None, None, s_error="ThrottlingException"),
        shadow_record("x\u2028y", "x y", alias="other"),
        '{"at": "2026-04-01T12:00:01',  # being written: skipped
    ]
    pairs, skipped = pairs_from_shadow_log(lines, "s.jsonl", alias="CHAT")
    assert skipped == 1 and len(pairs) == 3
    s = summarise(pairs)
    assert s["baseline"]["model"] == LITE and s["candidate"]["model"] == PRO
    assert s["candidate"]["errors"] == {"ThrottlingException": 1}
    assert s["similarity"]["scored"] == 2 and s["similarity"]["mean"] == pytest.approx((1.0 + 0.25) / 2)
    assert [d["id"] for d in s["most_different"]] == ["line 2", "line 1"]  # ids are log line numbers
    with pytest.raises(CompareInputError, match=r"s.jsonl:2: 'shadow' must be an object"):
        pairs_from_shadow_log([lines[0], '{"primary": {"model": "m"}, "shadow": 3}\n'], "s.jsonl")
    with pytest.raises(CompareInputError, match=r"s.jsonl:1: not valid JSON"):
        pairs_from_shadow_log(["{oops\n", lines[0]], "s.jsonl")


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, plain = Tty(), io.StringIO()
    for stream in (tty, plain):
        p = Progress(4, stream)
        p.update(2, 0)
        p.update(4, 1)
        p.finish("done")
    assert "\r" in tty.getvalue() and "4/4 calls, 1 failed" in tty.getvalue()
    assert plain.getvalue() == "done\n"


# ------------------------------------------------------------------------------ end to end


def test_compare_end_to_end_json(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    bedrock = local_bedrock_env
    bedrock.reply(LITE, BASE_TEXT, input_tokens=11, output_tokens=5, latency=0.01)
    bedrock.reply(PRO, candidate_text, input_tokens=13, output_tokens=7, latency=0.06)
    bedrock.fail(PRO, "ValidationException", times=3)
    prices = tmp_path / "prices.toml"
    prices.write_text(f'["{LITE}"]\ninput_per_1k = 0.5\noutput_per_1k = 1.0\n'
                      f'["{PRO}"]\ninput_per_1k = 2.0\noutput_per_1k = 4.0\n')
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO,
                         "--prompts", str(prompts_file(tmp_path, 12)), "--concurrency", "4",
                         "--prices", str(prices), "--json")
    assert code == 0, err
    s = json.loads(out)  # stdout is the JSON and nothing else
    b, c = s["baseline"], s["candidate"]
    assert (b["model"], b["calls"], b["ok"], b["errors"]) == (LITE, 12, 12, {})
    assert (c["model"], c["calls"], c["ok"], c["errors"]) == (PRO, 12, 9, {"ValidationException": 3})
    assert b["latency_ms"]["mean"] < c["latency_ms"]["mean"]
    assert c["latency_ms"]["p50"] >= 60
    assert b["tokens"] == {"input": 132, "output": 60, "cache_read": 0, "cache_write": 0}
    assert c["tokens"] == {"input": 117, "output": 63, "cache_read": 0, "cache_write": 0}
    assert b["cost_usd"] == pytest.approx(0.132 * 0.5 + 0.060 * 1.0)
    assert c["cost_usd"] == pytest.approx(0.117 * 2.0 + 0.063 * 4.0)
    assert s["similarity"]["scored"] == 9 and s["only_candidate_failed"] == 3
    assert len(s["most_different"]) == 5 and s["warnings"] == []
    # Every model call really went over HTTP, with the file's modelId replaced.
    assert bedrock.calls(LITE) == 12 and bedrock.calls(PRO) == 12
    assert bedrock.calls("ignored.model-v1:0") == 0
    # stderr: one plain final line (not a terminal), no prompt text.
    assert err.count("\n") == 1 and "12 prompts x 2 models" in err and "question" not in err


def test_compare_agreement_and_most_different_exact(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    bedrock = local_bedrock_env
    bedrock.reply(LITE, SAME_TEXT, latency=0.0)
    bedrock.reply(PRO, candidate_text, latency=0.0)
    bedrock.fail(PRO, "ThrottlingException", times=None, operations="CountTokens")  # unrelated: no effect
    code, out, _ = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--threshold", "0.9",
                       "--prompts", str(prompts_file(tmp_path, 8, same_every=4)), "--top", "3", "--json")
    assert code == 0
    s = json.loads(out)
    sim = s["similarity"]
    assert sim["scored"] == 8 and sim["agreement_rate"] == 0.25  # p0 and p4 are SAME
    low = similarity(SAME_TEXT, DIFF_TEXT)
    assert sim["median"] == low and sim["mean"] == pytest.approx((2 * 1.0 + 6 * low) / 8, abs=1e-4)
    assert [d["id"] for d in s["most_different"]] == ["p1", "p2", "p3"]  # ties by id
    d = s["most_different"][0]
    assert d["baseline_excerpt"] == SAME_TEXT and d["candidate_excerpt"] == DIFF_TEXT
    assert d["prompt_excerpt"] == "question 1 DIFF"


def test_compare_text_output(local_bedrock_env: LocalBedrock, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.reply(LITE, SAME_TEXT)
    local_bedrock_env.reply(PRO, DIFF_TEXT)
    code, out, _ = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO,
                       "--prompts", str(prompts_file(tmp_path, 3)))
    assert code == 0
    assert "BASELINE" in out and "latency p95" in out and "Agreement: 0% of 3 pairs" in out
    assert "Most different: p0" in out
    assert "question" not in out and DIFF_TEXT not in out  # no prompt or answer on the terminal


def test_report_is_self_contained_and_escaped(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.reply(LITE, BASE_TEXT, latency=0.005)
    local_bedrock_env.reply(PRO, DIFF_TEXT, latency=0.02)
    local_bedrock_env.fail(PRO, "ValidationException", times=1)
    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    code, out, _ = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--json",
                       "--prompts", str(prompts_file(tmp_path, 6)), "--report", str(report))
    assert code == 0 and json.loads(out)["candidate"]["errors"] == {"ValidationException": 1}
    page = report.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg") == 3 and page.count("</svg>") == 3
    assert "<style>" in page
    assert not re.search(r"https?://", page)  # no external resource (nor link) at all
    assert not re.search(r"\b(src|href)\s*=", page, re.I) and "@import" not in page and "url(" not in page
    assert "<script" not in page.lower()  # the model's <script> is text, not markup
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page
    assert "ValidationException" in page and DIFF_TEXT in page
    assert os.listdir(report.parent) == ["report.html"]  # the temporary file was renamed


def test_render_escapes_names_and_handles_no_success() -> None:
    pairs = [Pair('<b id="x">', err("<i>m</i>", "Boom"), err("c", "Boom"))]
    page = render(summarise(pairs, baseline="<i>m</i>", candidate="c"), pairs, source="<f>")
    assert "<i>m</i>" not in page and "&lt;i&gt;m&lt;/i&gt;" in page and "&lt;f&gt;" in page
    assert "No successful calls" in page


def test_compare_through_an_alias_without_shadow_copies(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "models.toml"
    cfg.write_text(f'[aliases.chat]\ntargets = ["{LITE}"]\n[aliases.chat.shadow]\nmodel = "{MICRO}"\nsample = 1.0\n')
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(cfg))
    local_bedrock_env.reply(LITE, SAME_TEXT)
    local_bedrock_env.reply(PRO, SAME_TEXT)
    code, out, _ = run(capsys, "compare", "--baseline", "chat", "--candidate", PRO,
                       "--prompts", str(prompts_file(tmp_path, 4)), "--json")
    assert code == 0
    s = json.loads(out)
    assert s["baseline"]["model"] == "chat" and s["baseline"]["served_by"] == {LITE: 4}
    assert s["similarity"]["agreement_rate"] == 1.0
    time.sleep(0.2)  # a shadow copy would be sent off the caller's thread
    assert local_bedrock_env.calls(MICRO) == 0


def test_lifecycle_warnings_collected_once(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str],
                                           recwarn: pytest.WarningsRecorder) -> None:
    local_bedrock_env.reply(HAIKU3, SAME_TEXT)
    local_bedrock_env.reply(PRO, SAME_TEXT)
    code, out, err = run(capsys, "compare", "--baseline", HAIKU3, "--candidate", PRO,
                         "--prompts", str(prompts_file(tmp_path, 6)), "--json")
    assert code == 0
    s = json.loads(out)
    assert len(s["warnings"]) == 1 and HAIKU3 in s["warnings"][0]
    assert s["baseline"]["ok"] == 6
    assert HAIKU3 not in err and not [w for w in recwarn if HAIKU3 in str(w.message)]


def test_every_candidate_call_failing_exits_1(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.reply(LITE, SAME_TEXT)
    local_bedrock_env.fail(PRO, "AccessDeniedException", times=None)
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO,
                         "--prompts", str(prompts_file(tmp_path, 3)), "--json")
    assert code == 1
    assert json.loads(out)["candidate"]["errors"] == {"AccessDeniedException": 3}
    assert "every call to the candidate" in err


def test_shadow_log_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "shadow.jsonl"
    log.write_text(shadow_record("a <b>", "a <b>") + shadow_record(None, None, sim=0.5)
                   + shadow_record(None, None, s_error="ThrottlingException", p_ms=None))
    report = tmp_path / "shadow.html"
    code, out, err = run(capsys, "compare", "--shadow-log", str(log), "--json", "--report", str(report))
    assert code == 0, err
    s = json.loads(out)
    assert s["source"] == {"kind": "shadow_log", "file": str(log)}
    assert s["baseline"]["model"] == LITE and s["candidate"]["model"] == PRO
    assert s["candidate"]["errors"] == {"ThrottlingException": 1} and s["baseline"]["errors"] == {}
    assert s["baseline"]["latency_ms"]["p50"] == 10.0 and s["candidate"]["latency_ms"]["p50"] == 40.0
    assert s["similarity"] == {**s["similarity"], "scored": 2, "mean": 0.75, "agreement_rate": 0.5}
    assert s["baseline"]["tokens"] == {"input": 24, "output": 12, "cache_read": 0, "cache_write": 0}
    page = report.read_text()
    assert "<svg" in page and "a &lt;b&gt;" in page and not re.search(r"https?://", page)
    code, _, err = run(capsys, "compare", "--shadow-log", str(log), "--alias", "nope")
    assert code == 1 and "no shadow records for alias 'nope'" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--baseline", LITE, "--prompts", "{p}"], "missing --candidate"),
        (["--shadow-log", "{p}", "--prompts", "{p}"], "takes no --prompts"),
        (["--baseline", LITE, "--candidate", PRO, "--prompts", "{missing}"], "no such file"),
        (["--baseline", "chat", "--candidate", PRO, "--prompts", "{p}"], "nor is it a configured alias"),
        (["--shadow-log", "{p}"], "{p}:1: 'primary' must be an object"),
        (["--baseline", LITE, "--candidate", PRO, "--prompts", "{p}", "--prices", "{p}"], "--prices"),
        (["--baseline", LITE, "--candidate", PRO, "--prompts", "{p}", "--report", "{missing}/r.html"],
         "does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           argv: list[str], message: str) -> None:
    p = prompts_file(tmp_path, 1)
    subs = {"{p}": str(p), "{missing}": str(tmp_path / "missing")}

    def fill(a: str) -> str:
        for k, v in subs.items():
            a = a.replace(k, v)
        return a

    code, out, err = run(capsys, "compare", *[fill(a) for a in argv])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and fill(message) in err, err


def test_bad_prompts_line_from_the_real_command(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    good = json.dumps({"messages": [{"role": "user", "content": [{"text": "confidential question"}]}]})
    path.write_text(good + "\n" + good + "\n" + '{"messages": [{"role": "user", "content": [{"txt": "x"}]}]}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.run(
        [sys.executable, "-m", "bedrock_lifecycle", "compare", "--baseline", LITE, "--candidate", PRO,
         "--prompts", str(path)], capture_output=True, text=True, env=env, timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert f"{path}:3: messages[0].content[0]: unknown key 'txt'" in proc.stderr
    assert "Traceback" not in proc.stderr and "confidential" not in proc.stderr


def test_most_different_ties_sort_naturally() -> None:
    pairs = [Pair(f"q{i}", ok(LITE, 1, "alpha beta"), ok(PRO, 1, "gamma delta")) for i in (10, 2, 1, 11)]
    pairs.append(Pair("q3", ok(LITE, 1, "Paris is the capital of France."), ok(PRO, 1, "The capital of France is Paris.")))
    s = summarise(pairs, top=5)
    assert [d["id"] for d in s["most_different"]] == ["q1", "q2", "q10", "q11", "q3"]
    assert s["similarity"]["agreement_rate"] == 0.2  # the reordered pair agrees
