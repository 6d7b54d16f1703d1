"""``resolve`` tells the truth: its outcome is exactly what the client does.

For random configurations (weights, ramps, EOL / Legacy / extended-access / unknown /
reported targets, fallbacks, every policy), keys and instants, ``bedrock-lifecycle
resolve --json`` is compared with a real client sending to the local Bedrock over HTTP:
the model the request reached, or the error the client raised (``ConfigError`` when it
refuses the configuration at creation).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bedrock_lifecycle
from bedrock_lifecycle.cli import main
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import MESSAGES

POOL = [
    "anthropic.claude-3-haiku-20240307-v1:0",  # EOL 2026-09-10
    "anthropic.claude-sonnet-4-5-20250929-v1:0",  # Legacy from 2026-10-08
    "anthropic.claude-opus-4-1-20250805-v1:0",  # extended access by 2026-12
    "google.gemma-3-12b-it",  # Legacy, reported by third parties only
    "anthropic.claude-haiku-4-5-20251001-v1:0",  # active
    "amazon.nova-lite-v1:0",  # active
    "us.amazon.nova-pro-v1:0",  # a profile: its base model's lifecycle
    "acme.model-9-v1:0",  # unknown
]
INSTANTS = ["2026-05-01T00:00:00Z", "2026-10-01T00:00:00Z", "2026-12-01T12:00:00Z", "2027-06-01T00:00:00Z"]
STATE_ACTIONS = ["ignore", "warn", "error", "fallback"]


@st.composite
def configurations(draw: Any) -> dict[str, Any]:
    models = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True))
    weights = [draw(st.integers(0, 100)) for _ in models]
    if not any(weights):
        weights[0] = 1
    alias: dict[str, Any] = {"targets": [{"model": m, "weight": w} for m, w in zip(models, weights, strict=True)]}
    fallbacks = draw(st.lists(st.sampled_from([m for m in POOL if m not in models] or POOL), max_size=2, unique=True))
    if fallbacks:
        alias["fallbacks"] = fallbacks
    if len(models) > 1 and draw(st.booleans()):
        step = [draw(st.integers(0, 100)) for _ in models]
        if not any(step):
            step[-1] = 1
        alias["ramp"] = [{"at": draw(st.sampled_from(INSTANTS)), "weights": step}]
    policy = {
        "on_eol": draw(st.sampled_from(["error", "fallback"])),
        "on_legacy": draw(st.sampled_from(STATE_ACTIONS)),
        "on_extended_access": draw(st.sampled_from(STATE_ACTIONS)),
    }
    return {"policy": policy, "aliases": {"chat": alias}}


def _resolve(tmp: Path, cfg: dict[str, Any], at: str, key: str, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    from bedrock_lifecycle.config.sources import CachedSource

    path = tmp / "models.json"
    path.write_text(json.dumps(cfg))
    CachedSource.clear_cache()  # one file rewritten per example: no TTL-cached document
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(path))
    capsys.readouterr()
    code = main(["resolve", "chat", "--key", key, "--at", at, "--region", "us-east-1", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == (1 if out["outcome"]["action"] == "refuse" else 0)
    return out  # type: ignore[no-any-return]


def _client_does(bedrock: LocalBedrock, cfg: dict[str, Any], at: str, key: str) -> dict[str, Any]:
    from bedrock_lifecycle.clock import parse_instant

    instant = parse_instant(at)
    bedrock.reset()
    try:
        c = bedrock_lifecycle.client(region_name="us-east-1", endpoint_url=bedrock.endpoint_url,
                                     aws_access_key_id="x", aws_secret_access_key="x",
                                     config=cfg, clock=lambda: instant, environ={"BEDROCK_LIFECYCLE_METRICS": "off"})
    except ConfigError:
        return {"action": "refuse", "error_code": "ConfigError"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with bedrock_lifecycle.routing_key(key):
                c.converse(modelId="chat", messages=MESSAGES)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            return {"action": "refuse", "error_code": code, "sent": [r.model_id for r in bedrock.requests]}
    (req,) = bedrock.requests
    return {"action": "send", "model": req.model_id}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cfg=configurations(), at=st.sampled_from(INSTANTS), key=st.text("abcdefghij0123456789", min_size=1, max_size=8))
def test_resolve_outcome_is_what_the_client_does(bedrock: LocalBedrock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str], cfg: dict[str, Any], at: str,
                                                key: str) -> None:
    resolved = _resolve(tmp_path, cfg, at, key, monkeypatch, capsys)
    did = _client_does(bedrock, cfg, at, key)
    out = resolved["outcome"]
    assert out["action"] == did["action"], (resolved, did)
    if did["action"] == "send":
        assert out["model"] == did["model"], (resolved, did)
    else:
        assert out["error_code"] == did["error_code"], (resolved, did)
        assert not did.get("sent"), "a refusal is decided before any network call"


def test_the_issue_example_agrees(bedrock: LocalBedrock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """An alias with an EOL target under on_eol=error: resolve says the client refuses the
    configuration, and the client does refuse it at creation (no call fails later)."""
    cfg = {"aliases": {"chat": {"targets": [POOL[0], POOL[4]]}}}
    resolved = _resolve(tmp_path, cfg, "2026-12-01T00:00:00Z", "u1", monkeypatch, capsys)
    assert resolved["outcome"]["error_code"] == "ConfigError" and POOL[0] in resolved["outcome"]["message"]
    assert _client_does(bedrock, cfg, "2026-12-01T00:00:00Z", "u1") == {"action": "refuse", "error_code": "ConfigError"}
