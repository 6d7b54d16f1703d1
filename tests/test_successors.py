"""Suggested successors: only where AWS names no replacement, and labelled as ours."""

from __future__ import annotations

import datetime as dt

from bedrock_lifecycle.errors import describe
from bedrock_lifecycle.lifecycle.model import State
from bedrock_lifecycle.lifecycle.registry import Registry
from bedrock_lifecycle.lifecycle.successors import SUCCESSORS

AT = dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc)


def test_every_suggestion_is_a_catalogued_model_that_is_not_retiring_now() -> None:
    reg = Registry.default()
    known = set(reg.models())
    for old, new in SUCCESSORS.items():
        assert old in known, old
        for m in new:
            assert m in known, m
            assert reg.lookup(m, "us-east-1", AT).state is State.ACTIVE, m


def test_suggestion_shown_when_aws_names_none_and_labelled() -> None:
    s = Registry.default().lookup("anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1", AT)
    assert s.state is State.LEGACY and s.replacements == ()
    assert s.to_json()["suggested_replacements"] == ["anthropic.claude-sonnet-4-6"]
    text = describe(s)
    assert "anthropic.claude-sonnet-4-6" in text and "suggested by bedrock-lifecycle" in text


def test_aws_replacements_win_over_suggestions() -> None:
    s = Registry.default().lookup("anthropic.claude-3-7-sonnet-20250219-v1:0", "us-east-1", AT)
    assert s.replacements and s.suggested_replacements == ()
    assert "Use " in describe(s) and "suggested by" not in describe(s)
