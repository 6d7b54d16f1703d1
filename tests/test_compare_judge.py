"""compare --judge (issue 17.3-5): verdicts per prompt in JSON and HTML with a summary first,
--fail-on-worse, unreadable judge replies counted as unjudged with the raw text (never a
crash), judging recorded shadow pairs; through the real client over HTTP."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_lifecycle.testing import LocalBedrock
from bedrock_lifecycle.toolkit.judge import DEFAULT_RUBRIC, VERDICTS, judge_messages, parse_verdict
from tests.helpers import compare_env
from tests.helpers import run_cli as run

LITE = "amazon.nova-lite-v1:0"
PRO = "amazon.nova-pro-v1:0"
JUDGE = "anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compare_env(tmp_path, monkeypatch)


# ------------------------------------------------------------------------------ parsing


def test_parse_verdict() -> None:
    v = parse_verdict('{"verdict": "Worse", "reason": "It names the wrong city."}')
    assert (v.verdict, v.reason, v.raw) == ("worse", "It names the wrong city.", None)
    fenced = parse_verdict('Sure.\n```json\n{"verdict": "equivalent", "reason": "same  facts"}\n```')
    assert (fenced.verdict, fenced.reason) == ("equivalent", "same facts")
    for bad, why in [("I think they are the same.", "not a JSON object"), ('{"verdict": "fine", "reason": "x"}', "unknown"),
                     ('{"verdict": "better"}', "missing reason"), ("", "empty reply"), ("[1, 2]", "not a JSON object")]:
        got = parse_verdict(bad)
        assert got.verdict == "unjudged" and why in got.reason and got.raw == bad.strip()


@given(st.text(max_size=300))
def test_parse_verdict_never_raises(text: str) -> None:
    assert parse_verdict(text).verdict in (*VERDICTS, "unjudged")


def test_the_judge_prompt_shows_prompt_and_both_answers() -> None:
    [msg] = judge_messages("What is 2+2?", "4", "four")
    text = msg["content"][0]["text"]
    assert "<prompt>\nWhat is 2+2?\n</prompt>" in text and "<current_answer>\n4\n" in text
    assert "<proposed_answer>\nfour\n" in text and '"verdict"' in text
    assert "equivalent" in DEFAULT_RUBRIC and "worse" in DEFAULT_RUBRIC


# ------------------------------------------------------------------------------ end to end


def _judge_reply(req: Any) -> str:
    """A scripted judge: worse when the proposed answer says Lyon, garbage for 'q3'."""
    text = req.body["messages"][0]["content"][0]["text"]
    assert req.body["system"][0]["text"].startswith(DEFAULT_RUBRIC.strip()[:40])
    proposed = re.search(r"<proposed_answer>\n(.*?)\n</proposed_answer>", text, re.S).group(1)  # type: ignore[union-attr]
    if "third" in text:
        return "The answers look similar to me."
    if "Lyon" in proposed:
        return json.dumps({"verdict": "worse", "reason": "Names the wrong capital."})
    return "```json\n" + json.dumps({"verdict": "equivalent", "reason": "Same fact, reordered."}) + "\n```"


def _prompts(tmp_path: Path) -> Path:
    qs = ["first", "second", "third", "fourth"]
    f = tmp_path / "p.jsonl"
    f.write_text("".join(json.dumps({"id": f"q{i + 1}", "messages": [{"role": "user", "content": [{"text": q}]}]}) + "\n"
                         for i, q in enumerate(qs)))
    return f


def _paris_and_lyon(bedrock: LocalBedrock) -> LocalBedrock:
    """The baseline always answers Paris; the candidate answers Lyon to the second prompt."""
    bedrock.reply(LITE, "Paris is the capital of France.")
    bedrock.reply(PRO, lambda r: "The capital is Lyon." if "second" in json.dumps(r.body) else "The capital of France is Paris.")
    return bedrock


def test_judge_end_to_end(local_bedrock_env: LocalBedrock, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    bedrock = _paris_and_lyon(local_bedrock_env)
    bedrock.reply(JUDGE, _judge_reply, input_tokens=400, output_tokens=30)
    report = tmp_path / "r.html"
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)),
                         "--judge", JUDGE, "--json", "--report", str(report))
    assert code == 0, err
    s = json.loads(out)
    assert s["judge"] == {"verdicts": {"equivalent": 2, "better": 0, "worse": 1, "different": 0, "unjudged": 1},
                          "judged": 3, "as_good_rate": round(2 / 3, 4), "worse": ["q2"]}
    rows = {r["id"]: r["verdict"] for r in s["per_prompt"]}
    assert rows["q2"] == {"verdict": "worse", "reason": "Names the wrong capital."}
    assert rows["q3"]["verdict"] == "unjudged" and rows["q3"]["raw"] == "The answers look similar to me."
    ev = s["evaluation"]["judge"]
    assert ev["calls"] == 4 and ev["input_tokens"] == 1600 and ev["output_tokens"] == 120
    assert ev["cost_usd"] == pytest.approx((1600 * 1.0 + 120 * 5.0) / 1e6)  # Haiku 4.5, bundled price
    assert s["candidate"]["cost_usd"] is not None and bedrock.calls(model_id=JUDGE) == 4
    html = report.read_text()
    assert html.index("<b>Judge</b>") < html.index("<h2>Summary</h2>")  # the verdict summary on top
    assert "Names the wrong capital." in html and "The answers look similar to me." in html

    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)),
                         "--judge", JUDGE, "--fail-on-worse", "0")
    assert code == 1 and "1 answers judged worse (more than --fail-on-worse 0): q2" in err
    assert out.startswith("Judge: 2 equivalent, 0 better, 1 worse, 0 different, 1 unjudged")
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)),
                         "--judge", JUDGE, "--fail-on-worse", "1")
    assert code == 0, err


def test_a_failing_judge_is_unjudged_not_a_crash(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.reply(LITE, "a")
    local_bedrock_env.reply(PRO, "b")
    local_bedrock_env.fail(JUDGE, "AccessDeniedException", times=None)
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)),
                         "--judge", JUDGE, "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["judge"]["verdicts"]["unjudged"] == 4 and s["judge"]["as_good_rate"] is None
    assert s["per_prompt"][0]["verdict"] == {"verdict": "unjudged", "reason": "the judge call failed: AccessDeniedException"}


def test_custom_rubric(local_bedrock_env: LocalBedrock, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric = tmp_path / "rubric.txt"
    rubric.write_text("Be strict about units.\n")
    local_bedrock_env.reply(LITE, "5 km")
    local_bedrock_env.reply(PRO, "5 miles")
    seen: list[str] = []

    def judge(req: Any) -> str:
        seen.append(req.body["system"][0]["text"])
        return '{"verdict": "different", "reason": "Units differ."}'

    local_bedrock_env.reply(JUDGE, judge)
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)),
                         "--judge", JUDGE, "--rubric", str(rubric), "--json")
    assert code == 0, err
    assert json.loads(out)["judge"]["verdicts"]["different"] == 4
    assert seen and all(s.startswith("Be strict about units.") and '"verdict"' in s for s in seen)
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    for argv, problem in [(["--rubric", str(empty), "--judge", JUDGE], "the file is empty"),
                          (["--rubric", str(rubric)], "give --judge MODEL_ID too"),
                          (["--fail-on-worse", "1"], "give --judge MODEL_ID too"),
                          (["--judge", "not a model"], "--judge")]:
        code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO,
                             "--prompts", str(_prompts(tmp_path)), *argv)
        assert code == 2 and problem in err and len(err.strip().splitlines()) == 1, err


def _shadow(tmp_path: Path, texts: bool) -> Path:
    def side(model: str, text: str) -> dict[str, Any]:
        return {"model": model, "latency_ms": 10, "input_tokens": 5, "output_tokens": 5, "stop_reason": "end_turn",
                "error_code": None, "text": text if texts else None}

    lines = [
        {"at": "2026-04-01T00:00:00Z", "alias": "chat", "operation": "Converse", "primary": side(LITE, "Paris."),
         "shadow": side(PRO, "It is Paris."), "similarity": None},
        {"at": "2026-04-01T12:00:00Z", "alias": "chat", "operation": "Converse", "primary": side(LITE, "Yes."),
         "shadow": side(PRO, "The capital is Lyon."), "similarity": None},
    ]
    f = tmp_path / "shadow.jsonl"
    f.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return f


def test_judging_recorded_shadow_pairs(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.reply(JUDGE, _judge_reply)
    code, out, err = run(capsys, "compare", "--shadow-log", str(_shadow(tmp_path, True)), "--judge", JUDGE, "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["judge"]["verdicts"]["worse"] == 1 and s["judge"]["verdicts"]["equivalent"] == 1
    assert "was not recorded" in local_bedrock_env.requests[-1].body["messages"][0]["content"][0]["text"]
    # Two records half a day apart: the observed rate projects to 120 calls a month.
    assert s["projection"]["calls_per_month"] == 120

    code, out, err = run(capsys, "compare", "--shadow-log", str(_shadow(tmp_path, False)), "--judge", JUDGE)
    assert code == 2 and out == ""
    assert "record_text = true" in err and len(err.strip().splitlines()) == 1


def test_a_legacy_judge_model_is_warned_about(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    legacy = "anthropic.claude-3-haiku-20240307-v1:0"  # Legacy on 2026-04-01 (bundled data)
    local_bedrock_env.reply(LITE, "a")
    local_bedrock_env.reply(PRO, "b")
    local_bedrock_env.reply(legacy, '{"verdict": "different", "reason": "a is not b"}')
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)),
                         "--judge", legacy, "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["judge"]["verdicts"]["different"] == 4
    assert any(legacy in w and "Legacy" in w for w in s["warnings"]), s["warnings"]


# ------------------------------------------------------------------------------ both orders


def test_combine_orders() -> None:
    from bedrock_lifecycle.toolkit.judge import Verdict, combine_orders

    def v(label: str) -> Verdict:
        return Verdict(label, f"r-{label}")

    # the swapped reading's "better" means the current answer is better: the candidate is worse
    assert combine_orders(v("worse"), v("better")) == v("worse")
    assert combine_orders(v("better"), v("worse")) == v("better")
    assert combine_orders(v("equivalent"), v("equivalent")) == v("equivalent")
    flipped = combine_orders(v("better"), v("better"))  # the judge prefers whatever is shown second
    assert flipped.verdict == "different" and "depended on the order" in flipped.reason
    assert "better as shown (r-better)" in flipped.reason and "worse with the answers swapped" in flipped.reason
    assert combine_orders(v("equivalent"), v("worse")).verdict == "different"
    half = combine_orders(v("worse"), Verdict("unjudged", "empty reply", ""))
    assert half.verdict == "worse" and "swapped order was unjudged: empty reply" in half.reason


@given(st.sampled_from(VERDICTS), st.sampled_from(VERDICTS))
def test_combine_orders_is_symmetric_under_swapping(a: str, b: str) -> None:
    """Reading the same two answers the other way round gives the mirrored verdict."""
    from bedrock_lifecycle.toolkit.judge import Verdict, combine_orders

    mirror = {"better": "worse", "worse": "better", "equivalent": "equivalent", "different": "different"}
    one = combine_orders(Verdict(a, "x"), Verdict(b, "y")).verdict
    other = combine_orders(Verdict(b, "y"), Verdict(a, "x")).verdict
    assert other == mirror[one]


def _biased_reply(req: Any) -> str:
    """A judge with a position bias: the answer shown as proposed is always 'better' —
    except for Lyon, which it always calls worse wherever it stands."""
    text = req.body["messages"][0]["content"][0]["text"]
    proposed = re.search(r"<proposed_answer>\n(.*?)\n</proposed_answer>", text, re.S).group(1)  # type: ignore[union-attr]
    current = re.search(r"<current_answer>\n(.*?)\n</current_answer>", text, re.S).group(1)  # type: ignore[union-attr]
    if "Lyon" in proposed:
        return json.dumps({"verdict": "worse", "reason": "Wrong capital."})
    if "Lyon" in current:
        return json.dumps({"verdict": "better", "reason": "The other one names the wrong capital."})
    return json.dumps({"verdict": "better", "reason": "Reads better."})


def test_judge_both_orders_end_to_end(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    bedrock = _paris_and_lyon(local_bedrock_env)
    bedrock.reply(JUDGE, _biased_reply, input_tokens=400, output_tokens=30)
    argv = ["compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)), "--judge", JUDGE, "--json"]
    code, out, err = run(capsys, *argv)
    one = json.loads(out)
    assert code == 0, err
    assert one["judge"]["verdicts"]["better"] == 3 and one["evaluation"]["judge"]["orders"] == 1  # the bias shows
    calls_before = bedrock.calls(model_id=JUDGE)
    code, out, err = run(capsys, *argv, "--judge-both-orders")
    both = json.loads(out)
    assert code == 0, err
    assert both["judge"]["verdicts"] == {"equivalent": 0, "better": 0, "worse": 1, "different": 3, "unjudged": 0}
    assert both["judge"]["worse"] == ["q2"]  # the real regression survives both orders
    rows = {r["id"]: r["verdict"] for r in both["per_prompt"]}
    assert rows["q1"]["verdict"] == "different" and "depended on the order" in rows["q1"]["reason"]
    assert both["evaluation"]["judge"]["orders"] == 2 and both["evaluation"]["judge"]["calls"] == 8
    assert bedrock.calls(model_id=JUDGE) - calls_before == 8
    # the gate counts the combined verdicts: the real regression fails it, the flips do not
    code, _, err = run(capsys, *argv[:-1], "--judge-both-orders", "--fail-on-worse", "0")
    assert code == 1 and "1 answers judged worse (more than --fail-on-worse 0): q2" in err
    assert run(capsys, *argv[:-1], "--judge-both-orders", "--fail-on-worse", "1")[0] == 0
    code, _, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(_prompts(tmp_path)),
                       "--judge-both-orders")
    assert code == 2 and "--judge-both-orders" in err and "--judge MODEL_ID" in err
