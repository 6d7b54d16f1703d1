"""The pytest plugin, the standalone command, and what importing them costs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from bedrock_lifecycle.testing import LocalBedrock

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
_shared: dict[str, int] = {}


def test_plugin_import_is_light() -> None:
    code = (
        "import sys, bedrock_lifecycle.testing.plugin; "
        "print(sorted(m for m in ('boto3', 'botocore', 'bedrock_lifecycle.testing.server', "
        "'http.server') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# The next two tests run in file order: the first dirties the shared server, the second
# must not see it.
def test_isolation_first_dirties_the_server(local_bedrock: LocalBedrock) -> None:
    local_bedrock.fail("*", "AccessDeniedException", times=None)
    local_bedrock.remove_foundation_model("anthropic.claude-sonnet-4-20250514-v1:0")
    with pytest.raises(Exception, match="AccessDenied"):
        local_bedrock.runtime_client().converse(modelId=HAIKU, messages=[])
    assert local_bedrock.calls() == 1
    _shared["port"] = local_bedrock.port


def test_isolation_second_sees_a_clean_server(local_bedrock: LocalBedrock) -> None:
    assert local_bedrock.requests == []
    client = local_bedrock.runtime_client()
    client.converse(modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "x"}]}])
    control = local_bedrock.control_client()
    control.get_foundation_model(modelIdentifier="anthropic.claude-sonnet-4-20250514-v1:0")
    assert local_bedrock.port == _shared.get("port", local_bedrock.port)  # one server


def test_a_stopped_shared_server_is_replaced(local_bedrock: LocalBedrock) -> None:
    local_bedrock.stop()  # a careless test; the next one still gets a running server


def test_after_a_stop_the_fixture_starts_a_new_server(local_bedrock: LocalBedrock) -> None:
    assert local_bedrock.running
    assert local_bedrock.runtime_client().count_tokens(
        modelId=HAIKU, input={"converse": {"messages": []}}
    )["inputTokens"]


def test_env_fixture_scrubs_profiles(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-looking-token")
    bedrock = request.getfixturevalue("local_bedrock_env")
    assert "AWS_PROFILE" not in os.environ and "AWS_SESSION_TOKEN" not in os.environ
    assert os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == bedrock.endpoint_url


def test_standalone_command_prints_exports_and_serves() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bedrock_lifecycle.testing",
            "--port=0",
            "--region=eu-west-1",
            f"--eol={HAIKU}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        exports: dict[str, str] = {}
        for line in proc.stdout:
            if line.startswith("export "):
                name, _, value = line[len("export ") :].strip().partition("=")
                exports[name] = value
            if line.startswith("Ctrl-C"):
                break
        assert exports["AWS_DEFAULT_REGION"] == "eu-west-1"
        assert exports["AWS_ENDPOINT_URL_BEDROCK"] == exports["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"]
        url = exports["AWS_ENDPOINT_URL_BEDROCK"] + "/foundation-models"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert json.load(response)["modelSummaries"]
        converse = exports["AWS_ENDPOINT_URL_BEDROCK"] + f"/model/{HAIKU}/converse"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(
                urllib.request.Request(converse, b"{}", method="POST"), timeout=5
            )
        assert info.value.code == 404
        assert "end of its life" in json.load(info.value)["message"]
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_clients_ignore_a_missing_aws_profile(
    local_bedrock: LocalBedrock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile-on-this-machine")
    client = local_bedrock.runtime_client()
    assert client.count_tokens(modelId=HAIKU, input={"converse": {"messages": []}})["inputTokens"]
