"""Shared test helpers: a static registry and canned responses."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from botocore.response import StreamingBody

from bedrock_lifecycle.lifecycle.merge import state_of
from bedrock_lifecycle.lifecycle.model import LifecycleEntry, LifecycleStatus, State

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


class StaticRegistry:
    """A registry from a dict of entries: isolates client tests from the bundled data."""

    def __init__(self, entries: dict[str, LifecycleEntry] | None = None) -> None:
        self.entries = entries or {}
        self.lookups = 0

    def lookup(self, model_id: str, region: str | None = None, at: dt.datetime | None = None) -> LifecycleStatus:
        self.lookups += 1
        assert at is not None
        e = self.entries.get(model_id)
        if e is None:
            return LifecycleStatus(model_id, model_id, region, State.ACTIVE, at, source="none")
        return LifecycleStatus(
            model_id, e.model_id, region, state_of(e, at), at, e.legacy, e.extended_access, e.eol,
            e.replacements, "bundled", entry=e,
        )


HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0"
HAIKU45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
NOVA_LITE = "amazon.nova-lite-v1:0"
NOVA_PRO = "amazon.nova-pro-v1:0"
NOVA_MICRO = "amazon.nova-micro-v1:0"

# Claude 3 Haiku's real dates (S2/S3 rows): Legacy 2026-03-10, extended 2026-06-10, EOL 2026-09-10.
RETIRING = {
    HAIKU3: LifecycleEntry(
        HAIKU3, legacy=at("2026-03-10"), extended_access=at("2026-06-10"), eol=at("2026-09-10"),
        replacements=(HAIKU45,),
    )
}


def converse_response(text: str = "hi") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},
        "metrics": {"latencyMs": 1},
    }


def invoke_response(payload: bytes = b'{"ok": true}') -> dict[str, Any]:
    return {"body": StreamingBody(io.BytesIO(payload), len(payload)), "contentType": "application/json"}


MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``bedrock-lifecycle ARGV`` in-process: (exit code, stdout, stderr)."""
    from bedrock_lifecycle.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def compare_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean library environment for compare tests: no BEDROCK_LIFECYCLE_* from the
    caller, a private cache, the clock pinned to 2026-04-01, fresh warnings and prices."""
    from bedrock_lifecycle.api import reset_warnings
    from bedrock_lifecycle.lifecycle import prices

    clean_env(tmp_path, monkeypatch)
    monkeypatch.setenv("BEDROCK_LIFECYCLE_NOW", "2026-04-01T00:00:00Z")
    reset_warnings()
    prices.reset()


def framework_env(bedrock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment a framework's own client sees: the local Bedrock's endpoint and
    credentials, no profile or configuration from the machine, and botocore's retries kept
    short. Frameworks build clients with botocore's retries on (the library counts those
    attempts); standard mode with two attempts keeps their real backoff sleeps to about a
    second."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "BEDROCK_LIFECYCLE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in bedrock.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")


def config_file_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, config: str, cache_dir: Any = None) -> Any:
    """The documented set-up for CLI tests: no BEDROCK_LIFECYCLE_* from the caller,
    ``config`` in ``models.toml`` named by BEDROCK_LIFECYCLE_CONFIG, a private cache
    (``cache_dir``, default ``tmp_path/cache``) and us-east-1. Returns the file's path."""
    clean_env(tmp_path, monkeypatch, cache_dir)
    cfg = tmp_path / "models.toml"
    cfg.write_text(config)
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CONFIG", str(cfg))
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    return cfg


def clean_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, cache_dir: Any = None) -> None:
    """No BEDROCK_LIFECYCLE_* from the caller's environment, and a private cache
    (``cache_dir``, default ``tmp_path/cache``)."""
    import os

    for k in list(os.environ):
        if k.startswith("BEDROCK_LIFECYCLE_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CACHE_DIR", str(cache_dir if cache_dir is not None else tmp_path / "cache"))
