"""``bedrock-lifecycle demo``: the library's main job, end to end, with no AWS account.

A small application calls Bedrock through ``bedrock_lifecycle.client()`` against an
embedded local Bedrock (``bedrock_lifecycle.testing.LocalBedrock``) over real HTTP:
an alias, a Legacy warning, an EOL refusal, a weighted canary split, sticky keys and a
fallback when the primary is throttled.
"""

from __future__ import annotations

import collections
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# The clock is pinned so the story stays the same whenever the demo runs; the lifecycle
# dates are the real ones from the bundled data.
DEMO_NOW = "2026-11-25T12:00:00Z"

SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # Legacy since 2026-10-08
SONNET_46 = "anthropic.claude-sonnet-4-6"  # its replacement
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"  # EOL 2026-09-10 in us-east-1
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"

CONFIG = {
    "aliases": {
        # Phased migration: 90 % stays on the Legacy model, 10 % canary on its replacement.
        "chat": {"targets": [{"model": SONNET_45, "weight": 90}, {"model": SONNET_46, "weight": 10}],
                 "fallbacks": [HAIKU_45]},
    },
    "routing": {"max_attempts_per_target": 2, "backoff_initial_seconds": 0.01},
}


def _say(text: str = "") -> None:
    print(text, flush=True)


@contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def main() -> int:
    import bedrock_lifecycle
    from bedrock_lifecycle.testing import LocalBedrock

    messages = [{"role": "user", "content": [{"text": "Say hello"}]}]
    with LocalBedrock() as bedrock, _env({**bedrock.env(), "BEDROCK_LIFECYCLE_NOW": os.environ.get("BEDROCK_LIFECYCLE_NOW", DEMO_NOW)}):
        _say(f"Local Bedrock at {bedrock.endpoint_url}; library clock pinned at {os.environ['BEDROCK_LIFECYCLE_NOW']}.")
        _say("The application changed one line: boto3.client('bedrock-runtime') -> bedrock_lifecycle.client()\n")
        # Any: the demo reads our BedrockLifecycle key, which the boto3 stubs do not declare
        client: Any = bedrock_lifecycle.client(region_name="us-east-1", config=CONFIG)

        _say("1. An alias: modelId='chat' resolves to a concrete model per the weights.")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with bedrock_lifecycle.routing_key("user-42"):
                r = client.converse(modelId="chat", messages=messages)
        meta = r["ResponseMetadata"]["BedrockLifecycle"]
        _say(f"   served by {meta['model_id']}: {r['output']['message']['content'][0]['text']!r}")

        _say("\n2. A Legacy model warns once (ModelLifecycleWarning, also logged):")
        client.converse(modelId=SONNET_45, messages=messages)
        for w in caught:
            if issubclass(w.category, bedrock_lifecycle.ModelLifecycleWarning):
                _say(f"   {w.category.__name__}: {w.message}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client.converse(modelId=SONNET_45, messages=messages)
            if not caught:
                _say("   (a second call does not warn again)")

        _say("\n3. A model past its End-of-Life date is refused before any network call:")
        before = bedrock.calls()
        try:
            client.converse(modelId=HAIKU_3, messages=messages)
        except client.exceptions.ResourceNotFoundException as exc:  # the code AWS itself uses
            _say(f"   {type(exc).__name__}: {exc.response['Error']['Message']}")
        _say(f"   requests that reached Bedrock: {bedrock.calls() - before}")

        _say("\n4. A weighted canary split over 400 calls (90/10 configured):")
        counts: collections.Counter[str] = collections.Counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(400):
                r = client.converse(modelId="chat", messages=messages)
                counts[r["ResponseMetadata"]["BedrockLifecycle"]["model_id"]] += 1
        for model, n in counts.most_common():
            _say(f"   {model:<45} {n:4d} calls ({n / 4:.1f} %)")

        _say("\n5. Sticky assignment: the same routing key always lands on the same target:")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key in ("user-1", "user-2", "user-3"):
                seen = set()
                for _ in range(5):
                    with bedrock_lifecycle.routing_key(key):
                        seen.add(client.converse(modelId="chat", messages=messages)["ResponseMetadata"]["BedrockLifecycle"]["model_id"])
                _say(f"   {key}: {', '.join(sorted(seen))}")

        _say("\n6. The primary is throttled: retried, then the call falls back; nothing is lost:")
        bedrock.fail(SONNET_45, "ThrottlingException", times=None)
        bedrock.fail(SONNET_46, "ThrottlingException", times=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = client.converse(modelId="chat", messages=messages)
        for a in r["ResponseMetadata"]["BedrockLifecycle"]["attempts"]:
            _say(f"   {a['model']:<45} {a['outcome']:<6} {a['error_code'] or ''}")
        bedrock.reset()

        _demo_compare(bedrock)
        _demo_canary(bedrock, messages)

        _say("\nNext: `bedrock-lifecycle status`, `check --within 90`, `scan .` and docs/migration-guide.md.")
    return 0


# The demo's prompts, each model's answer, and what the (scripted) judge says of the pair:
# most say the same thing (reworded, reordered or reformatted), some differ in substance,
# one answers in another shape.
_QA: tuple[tuple[str, str, str, str], ...] = (
    ("What is the capital of France?", "Paris is the capital of France.", "The capital of France is Paris.",
     "equivalent"),
    ("How many days are in a leap year?", "A leap year has 366 days.", "There are 366 days in a leap year.",
     "equivalent"),
    ("Boiling point of water at sea level?", "Water boils at 100 °C (212 °F) at sea level.",
     "At sea level, water boils at 100 °C, which is 212 °F.", "equivalent"),
    ("Name the largest planet.", "Jupiter is the largest planet in the Solar System.",
     "The largest planet in the Solar System is Jupiter.", "equivalent"),
    ("Who wrote Hamlet?", "William Shakespeare wrote Hamlet.", "Hamlet was written by William Shakespeare.",
     "equivalent"),
    ("List the primary colours.", "Red, yellow and blue.", "- red\n- yellow\n- blue", "equivalent"),
    ("Classify the sentiment: 'I love it'", "positive", "Positive.", "equivalent"),
    ("Translate 'thank you' into French.", "Merci.", "In French, 'thank you' is 'merci'.", "equivalent"),
    ("Is 17 a prime number?", "Yes, 17 is a prime number.", "17 is prime: its only divisors are 1 and itself.",
     "equivalent"),
    ("Refund window for opened items?", "Opened items can be returned within 30 days with a receipt.",
     "Opened items cannot be returned; only unopened items within 14 days.", "different"),
    ("Extract the total from: 'Total due: $42.10'", '{"total": 42.10}', "The total due is $42.10.", "worse"),
    ("Summarise our SLA in one line.", "We answer every ticket within one business day.",
     "I'm sorry, I can't help with that request.", "worse"),
)
EMBEDDER = "amazon.titan-embed-text-v2:0"
JUDGE = HAIKU_45


def _question(req: Any) -> str:
    return str(req.body["messages"][-1]["content"][0]["text"])


def _demo_compare(bedrock: object) -> None:
    """Side by side: the Legacy model against its replacement on a prompts file, by words,
    then by meaning (embeddings and a judge model)."""
    import contextlib
    import io
    import json
    import tempfile
    from pathlib import Path

    from bedrock_lifecycle.cli import main as cli

    answers = {q: (b, c, v) for q, b, c, v in _QA}

    def answer(side: int) -> Any:
        def text(req: Any) -> str:
            return answers[_question(req)][side]
        return text

    def verdict(req: Any) -> str:  # the local judge reads the prompt back from its message
        shown = _question(req)
        found = next((v for q, (_, _, v) in answers.items() if f"<prompt>\nuser: {q}\n</prompt>" in shown), None)
        reason = {"equivalent": "Same facts in other words.", "different": "The policies contradict each other.",
                  "worse": "The proposed answer drops what the prompt asked for."}.get(found or "", "")
        return json.dumps({"verdict": found, "reason": reason}) if found else "no verdict"

    bedrock.reply(SONNET_45, text=answer(0), latency=0.004)  # type: ignore[attr-defined]
    bedrock.reply(SONNET_46, text=answer(1), latency=0.003)  # type: ignore[attr-defined]
    bedrock.reply(JUDGE, text=verdict)  # type: ignore[attr-defined]
    out = Path(tempfile.mkdtemp(prefix="bedrock-lifecycle-demo-"))
    prompts = out / "prompts.jsonl"
    with prompts.open("w") as f:
        for i, (question, *_rest) in enumerate(_QA, 1):
            f.write(json.dumps({"id": f"q{i}", "messages": [{"role": "user", "content": [{"text": question}]}]}) + "\n")
    report = out / "compare.html"
    argv = ["compare", "--baseline", SONNET_45, "--candidate", SONNET_46, "--prompts", str(prompts)]
    _say(f"\n7. Side-by-side comparison: the Legacy model against its replacement ({len(_QA)} prompts):")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cli([*argv, "--report", str(report)])
        _say(f"   report (self-contained HTML, inline SVG charts): {report}")
        _say("\n   The same answers compared by meaning (local embeddings; the local judge's verdicts are scripted):")
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
            cli([*argv, "--similarity", f"embedding:{EMBEDDER}", "--judge", JUDGE, "--json",
                 "--report", str(out / "compare-meaning.html")])
    meaning = json.loads(buf.getvalue())
    judge = meaning["judge"]
    _say(f"   embeddings ({EMBEDDER}): {meaning['similarity']['agreement_rate'] * 100:.0f}% agree; "
         f"judge ({JUDGE}): {judge['verdicts']['equivalent']} equivalent, {judge['verdicts']['different']} different, "
         f"{judge['verdicts']['worse']} worse ({', '.join(judge['worse'])})")
    ev = meaning["evaluation"]
    _say(f"   the judge's own cost: {ev['judge']['input_tokens']:,} input / {ev['judge']['output_tokens']:,} output "
         f"tokens, ${ev['judge']['cost_usd']:.4f} at bundled prices (reported apart from the compared models')")
    _say(f"   report: {out / 'compare-meaning.html'}")
    bedrock.reset()  # type: ignore[attr-defined]


def _demo_canary(bedrock: object, messages: Any) -> None:
    """Automated canary analysis: a failing canary is rolled back to weight 0."""
    import bedrock_lifecycle

    config = {
        "aliases": {"summarise": {
            "targets": [{"model": SONNET_45, "weight": 70}, {"model": SONNET_46, "weight": 30}],
            "fallbacks": [HAIKU_45],
            "analysis": {"min_calls": 20, "max_error_rate_increase": 0.05},
        }},
        "routing": {"max_attempts_per_target": 1},
    }
    client: Any = bedrock_lifecycle.client(region_name="us-east-1", config=config)
    bedrock.fail(SONNET_46, "InternalServerException", times=None)  # type: ignore[attr-defined]
    _say("\n8. Canary analysis: the canary starts failing; the library rolls it back by itself:")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        served: collections.Counter[str] = collections.Counter()
        for _ in range(300):
            r = client.converse(modelId="summarise", messages=messages)
            served[r["ResponseMetadata"]["BedrockLifecycle"]["model_id"]] += 1
    for w in caught:
        if issubclass(w.category, bedrock_lifecycle.CanaryRollbackWarning):
            _say(f"   CanaryRollbackWarning: {w.message}")
    canary_calls = bedrock.calls(model_id=SONNET_46)  # type: ignore[attr-defined]
    _say(f"   300 calls, none failed for the caller; the canary saw {canary_calls} before being pulled; "
         f"served by: {dict(served)}")
    bedrock.reset()  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main())
