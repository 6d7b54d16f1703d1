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
        client = bedrock_lifecycle.client(region_name="us-east-1", config=CONFIG)

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

        _say("\nNext: `bedrock-lifecycle status`, `check --within 90`, `scan .` and docs/migration-guide.md.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
