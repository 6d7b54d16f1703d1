"""compare's regression checks (issue 13.4-6): expectations validated on load, pass/fail per
prompt and model, regressions first, --fail-on-regression, response-shape differences, token
and cost deltas with bundled prices; end to end through the real client over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.lifecycle import prices as P
from bedrock_lifecycle.testing import LocalBedrock
from bedrock_lifecycle.toolkit.checks import evaluate, parse_expectations, shape_diff
from bedrock_lifecycle.toolkit.compare import CompareInputError, Outcome
from bedrock_lifecycle.toolkit.inputs import parse_prompts
from tests.helpers import compare_env
from tests.helpers import run_cli as run

LITE = "amazon.nova-lite-v1:0"
PRO = "amazon.nova-pro-v1:0"
MSG = [{"role": "user", "content": [{"text": "q"}]}]


@pytest.fixture(autouse=True)
def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compare_env(tmp_path, monkeypatch)


# ------------------------------------------------------------------------------ loading


@pytest.mark.parametrize(
    ("expect", "problem"),
    [
        ("[1]", "'expect' must be an object"),
        ('{"contain": "x"}', "unknown check 'contain'"),
        ('{"contains": ""}', "expect.contains must be a non-empty string"),
        ('{"contains": ["a", 3]}', "expect.contains must be"),
        ('{"regex": "(unclosed"}', "expect.regex is not a valid regular expression"),
        ('{"json_schema": {"type": "nonsense"}}', "expect.json_schema is not a valid JSON Schema"),
        ('{"json_schema": "x"}', "expect.json_schema must be a JSON Schema"),
        ('{"tool_name": 5}', "expect.tool_name must be a non-empty string"),
        ('{"max_output_tokens": 1.5}', "expect.max_output_tokens must be a whole number >= 0"),
        ('{"max_output_tokens": true}', "expect.max_output_tokens must be a whole number"),
        ('{"max_latency_ms": -1}', "expect.max_latency_ms must be a number >= 0"),
        ('{"stop_reason": []}', "expect.stop_reason must be"),
    ],
)
def test_bad_expectations_name_the_line_and_key(expect: str, problem: str) -> None:
    good = json.dumps({"id": "ok", "messages": MSG})
    bad = '{"id": "x", "messages": ' + json.dumps(MSG) + ', "expect": ' + expect + "}"
    with pytest.raises(CompareInputError) as info:
        parse_prompts([good + "\n", "\n", bad + "\n"], "p.jsonl")
    assert str(info.value).startswith("p.jsonl:3: ") and problem in str(info.value)


def test_bad_expectation_from_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"messages": MSG, "expect": {"max_latency_ms": "fast"}}) + "\n")
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(f))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"bedrock-lifecycle compare: error: {f}:1: expect.max_latency_ms must be a number >= 0, got 'fast'"]


def outcome(text: str | None = "ok", **kw: Any) -> Outcome:
    base: dict[str, Any] = {"model": LITE, "latency_ms": 100.0, "input_tokens": 10, "output_tokens": 20,
                            "stop_reason": "end_turn", "text": text}
    return Outcome(**{**base, **kw})


def test_each_check() -> None:
    exp = parse_expectations({
        "contains": ["Paris", "france"], "not_contains": "sorry", "regex": r"\b\d{4}\b",
        "json_schema": {"type": "object", "required": ["total"], "properties": {"total": {"type": "number"}}},
        "tool_name": "lookup", "stop_reason": ["end_turn", "tool_use"], "max_output_tokens": 20,
        "max_latency_ms": 150,
    })
    good = outcome('```json\n{"total": 1999, "city": "Paris, France"}\n```', tool_names=("lookup",))
    checks = evaluate(exp, good)
    assert [c.name for c in checks] == ["contains", "not_contains", "regex", "json_schema", "tool_name",
                                        "stop_reason", "max_output_tokens", "max_latency_ms"]
    assert all(c.passed for c in checks), checks
    bad = outcome('{"total": "n/a"} Sorry, Paris', output_tokens=21, latency_ms=151.0, stop_reason="max_tokens")
    failed = {c.name: c.detail for c in evaluate(exp, bad) if not c.passed}
    assert set(failed) == {"contains", "not_contains", "regex", "json_schema", "tool_name", "stop_reason",
                           "max_output_tokens", "max_latency_ms"}
    assert failed["contains"] == "missing 'france'" and failed["json_schema"] == "the answer is not JSON"
    assert failed["max_output_tokens"] == "21 output tokens > 20"
    schema_only = parse_expectations({"json_schema": {"type": "object", "required": ["total"],
                                                      "properties": {"total": {"type": "number"}}}})
    [check] = evaluate(schema_only, outcome('{"total": "n/a"}'))
    assert not check.passed and check.detail.startswith("total: ")
    failed_call = evaluate(exp, outcome(None, error_code="ThrottlingException"))
    assert len(failed_call) == 8 and not any(c.passed for c in failed_call)
    assert evaluate(parse_expectations({}), bad) == []


def test_shape_differences() -> None:
    b = outcome('{"a": 1}', block_types=("text",), usage_fields=("inputTokens", "outputTokens", "totalTokens"))
    c = outcome("A is one.", stop_reason="tool_use", block_types=("text", "toolUse"), tool_names=("calc",),
                usage_fields=("inputTokens", "outputTokens", "cacheReadInputTokens"))
    kinds = {d["kind"]: d["detail"] for d in shape_diff(b, c)}
    assert kinds == {"stop_reason": "end_turn -> tool_use", "content_blocks": "text -> text+toolUse",
                     "tool_use": "none -> calc", "usage_fields_missing": "totalTokens",
                     "usage_fields_new": "cacheReadInputTokens", "json_to_prose": "JSON -> prose"}
    assert shape_diff(b, b) == [] and shape_diff(b, outcome(None, error_code="X")) == []


# ------------------------------------------------------------------------------ end to end


def _prompts(tmp_path: Path) -> Path:
    rows = [
        {"id": "q10", "messages": MSG, "expect": {"contains": "Paris"}},
        {"id": "q2", "messages": [{"role": "user", "content": [{"text": "json please"}]}],
         "expect": {"json_schema": {"type": "object", "required": ["total"]}}},
        {"id": "q3", "messages": [{"role": "user", "content": [{"text": "short"}]}],
         "expect": {"max_output_tokens": 50, "stop_reason": "end_turn"}},
        {"id": "q1", "messages": [{"role": "user", "content": [{"text": "no checks"}]}]},
    ]
    f = tmp_path / "p.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return f


def _script(bedrock: LocalBedrock) -> None:
    def base(req: Any) -> str:
        q = req.body["messages"][0]["content"][0]["text"]
        return {"json please": '{"total": 12}'}.get(q, "Paris is the capital of France.")

    def cand(req: Any) -> str:
        q = req.body["messages"][0]["content"][0]["text"]
        return {"json please": "The total is 12.", "q": "The capital is Lyon."}.get(q, "Paris, France.")

    bedrock.reply(LITE, base, input_tokens=100, output_tokens=40)
    bedrock.reply(PRO, cand, input_tokens=100, output_tokens=30)


def test_regressions_first_and_the_ci_gate(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    _script(local_bedrock_env)
    prompts = _prompts(tmp_path)
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(prompts),
                         "--json", "--monthly-calls", "1000000")
    assert code == 0, err
    s = json.loads(out)
    assert s["regressions"] == ["q2", "q10"]  # natural order
    assert s["checks"] == {"prompts_with_expectations": 3, "baseline_passed": 3, "candidate_passed": 1,
                           "regressions": 2, "fixed": 0}
    rows = s["per_prompt"]
    assert [r["id"] for r in rows] == ["q2", "q10", "q1", "q3"]  # regressions first, then natural order
    q2 = rows[0]
    assert q2["baseline"]["passed"] is True and q2["candidate"]["passed"] is False
    assert q2["candidate"]["checks"] == [{"check": "json_schema", "passed": False, "detail": "the answer is not JSON"}]
    assert q2["shape"] == [{"kind": "json_to_prose", "detail": "JSON -> prose"}]
    assert rows[2]["baseline"]["passed"] is None  # no expectations: neither pass nor fail
    # Cost from the bundled table (Nova Lite 0.06/0.24, Nova Pro 0.8/3.2 USD per 1M tokens).
    lite = 4 * (100 * 0.06 + 40 * 0.24) / 1e6
    pro = 4 * (100 * 0.8 + 30 * 3.2) / 1e6
    assert s["baseline"]["cost_usd"] == pytest.approx(lite) and s["candidate"]["cost_usd"] == pytest.approx(pro)
    assert q2["delta"] == {"input_tokens": 0, "output_tokens": -10,
                           "cost_usd": pytest.approx((100 * 0.8 + 30 * 3.2 - 100 * 0.06 - 40 * 0.24) / 1e6)}
    assert s["delta"]["output_tokens_change"] == -0.25 and s["delta"]["input_tokens_change"] == 0.0
    proj = s["projection"]
    assert proj["calls_per_month"] == 1_000_000 and proj["basis"] == "--monthly-calls"
    assert proj["difference_usd"] == pytest.approx((pro - lite) / 4 * 1_000_000, abs=0.01)
    assert s["shape"] == {"prompts": 1, "differences": {"json_to_prose": 1}}

    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(prompts),
                         "--fail-on-regression", "--report", str(tmp_path / "r.html"))
    assert code == 1
    assert "bedrock-lifecycle compare: 2 regressions (expectations the baseline passes and the candidate fails): q2, q10" in err
    assert "Expectations: baseline passed 3, candidate passed 1 of 3 prompts; regressions: 2 (q2, q10)" in out
    assert "output tokens -25%" in out and "Response shape differs on 1 prompt: json_to_prose 1" in out
    html = (tmp_path / "r.html").read_text()
    assert "2 regressions</span>: q2, q10" in html and "json_to_prose: JSON -&gt; prose" in html
    assert html.index("<td>q2</td>") < html.index("<td>q10</td>") < html.index("<td>q1</td>")


def test_no_regression_passes_the_gate(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.reply(LITE, "Paris.")
    local_bedrock_env.reply(PRO, "Paris!", stop_reason="max_tokens")
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"id": "a", "messages": MSG, "expect": {"contains": "paris"}}) + "\n")
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(f),
                         "--fail-on-regression", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["regressions"] == [] and s["checks"]["candidate_passed"] == 1
    assert s["per_prompt"][0]["shape"] == [{"kind": "stop_reason", "detail": "end_turn -> max_tokens"}]
    assert s["projection"]["calls_per_month"] is None and "per_1000_calls_usd" in s["projection"]


def test_config_price_overrides_win(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[prices."{PRO}"]\ninput_per_1k = 1.0\noutput_per_1k = 1.0\n')
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(cfg))
    local_bedrock_env.reply(LITE, "x", input_tokens=1000, output_tokens=1000)
    local_bedrock_env.reply(PRO, "x", input_tokens=1000, output_tokens=1000)
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"messages": MSG}) + "\n")
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(f), "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["candidate"]["cost_usd"] == 2.0 and s["baseline"]["cost_usd"] == pytest.approx(0.0003)
    bad = tmp_path / "bad.toml"
    bad.write_text(f'[prices."{PRO}"]\ninput_per_1k = -1\noutput_per_1k = 1.0\n')
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(bad))
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(f))
    assert code == 2 and "input_per_1k" in err and len(err.strip().splitlines()) == 1


def test_tool_use_and_usage_field_differences_over_http(local_bedrock_env: LocalBedrock, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    local_bedrock_env.reply(LITE, '{"city": "Paris"}')
    local_bedrock_env.reply(
        PRO, "", stop_reason="tool_use",
        content=[{"text": "Let me look that up."},
                 {"toolUse": {"toolUseId": "t1", "name": "lookup_city", "input": {"q": "capital of France"}}}],
        usage={"cacheReadInputTokens": 40, "cacheWriteInputTokens": 0},
    )
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"id": "t", "messages": MSG, "expect": {"tool_name": "lookup_city"}}) + "\n")
    code, out, err = run(capsys, "compare", "--baseline", LITE, "--candidate", PRO, "--prompts", str(f), "--json")
    assert code == 0, err
    s = json.loads(out)
    row = s["per_prompt"][0]
    assert {d["kind"]: d["detail"] for d in row["shape"]} == {
        "stop_reason": "end_turn -> tool_use", "content_blocks": "text -> text+toolUse",
        "tool_use": "none -> lookup_city", "usage_fields_new": "cacheReadInputTokens, cacheWriteInputTokens",
        "json_to_prose": "JSON -> prose"}
    assert row["baseline"]["passed"] is False and row["candidate"]["passed"] is True and s["fixed"] == ["t"]
    assert s["candidate"]["tokens"]["cache_read"] == 40
    # Nova Pro's bundled cache-read price (0.2 USD per 1M) is part of its cost.
    assert row["candidate"]["cost_usd"] == pytest.approx(
        (row["candidate"]["input_tokens"] * 0.8 + row["candidate"]["output_tokens"] * 3.2 + 40 * 0.2) / 1e6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Paris.", "Lyon.", '{"a": 1}', "sorry"]),
                          st.sampled_from(["Paris.", "Lyon.", '{"a": 1}', "sorry"]),
                          st.booleans(), st.booleans(), st.integers(0, 500), st.integers(0, 500)),
                min_size=1, max_size=15))
def test_summary_invariants(rows: list[tuple[str, str, bool, bool, int, int]]) -> None:
    from bedrock_lifecycle.toolkit.compare import Pair, summarise

    exp = parse_expectations({"contains": "paris"})
    pairs = []
    for i, (bt, ct, bok, cok, bout, cout) in enumerate(rows):
        b = outcome(bt, output_tokens=bout) if bok else outcome(None, error_code="ThrottlingException")
        c = outcome(ct, model=PRO, output_tokens=cout) if cok else outcome(None, model=PRO, error_code="X")
        pairs.append(Pair(f"q{i}", b, c, expect=exp))
    s = summarise(pairs, prices=P.default_table())
    ids = [r["id"] for r in s["per_prompt"]]
    assert sorted(ids) == sorted(p.id for p in pairs)
    n_reg = len(s["regressions"])
    assert all(r["regression"] for r in s["per_prompt"][:n_reg]) and not any(r["regression"] for r in s["per_prompt"][n_reg:])
    assert set(s["regressions"]).isdisjoint(s["fixed"])
    for r in s["per_prompt"]:
        assert r["regression"] == (r["baseline"]["passed"] is True and r["candidate"]["passed"] is False)
    sim = s["similarity"]
    assert sum(sim["histogram"]) == sim["scored"] <= len(pairs)
    assert sim["agreement_rate"] is None or 0.0 <= sim["agreement_rate"] <= 1.0
    for side in ("baseline", "candidate"):
        per = [r[side]["cost_usd"] for r in s["per_prompt"] if r[side]["ok"]]
        assert s[side]["cost_usd"] == pytest.approx(sum(per), abs=1e-9)  # both priced from the bundled table
