"""``bedrock-lifecycle diff OLD NEW`` end to end over HTTP (local Bedrock control plane)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bedrock_lifecycle.cli import main
from bedrock_lifecycle.readiness.diff import body_family
from bedrock_lifecycle.testing import LocalBedrock
from tests.helpers import clean_env

NOVA = "amazon.nova-lite-v1:0"
MICRO = "amazon.nova-micro-v1:0"
SONNET_4 = "anthropic.claude-sonnet-4-20250514-v1:0"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
US_SONNET_45 = "us." + SONNET_45


@pytest.fixture(autouse=True)
def env(local_bedrock_env: LocalBedrock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalBedrock:
    clean_env(tmp_path, monkeypatch)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    return local_bedrock_env


def diff_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code = main(["diff", *argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    return json.loads(out)  # type: ignore[no-any-return]


def test_side_by_side_with_provenance(capsys: pytest.CaptureFixture[str]) -> None:
    doc = diff_json(capsys, SONNET_4, US_SONNET_45, "--at", "2026-05-01")
    old = doc["old"]["facts"]  # type: ignore[index]
    new = doc["new"]["facts"]  # type: ignore[index]
    assert old["provider"] == {"value": "Anthropic", "source": "GetFoundationModel us-east-1"}
    assert old["input_modalities"]["value"] == ["TEXT", "IMAGE"]
    assert old["lifecycle"]["value"]["state"] == "legacy"
    assert old["lifecycle"]["value"]["eol"] == "2026-10-14"
    assert old["lifecycle"]["source"].startswith("registry (")
    assert new["profiles"]["value"][US_SONNET_45] == ["us-east-1", "us-east-2", "us-west-2"]
    assert "context_window" not in new  # unknown: no source, never guessed
    assert old["body_family"]["value"] == new["body_family"]["value"]
    changes = doc["changes"]
    assert not any("InvokeModel bodies" in c for c in changes)  # type: ignore[union-attr]


def test_what_the_application_must_change(capsys: pytest.CaptureFixture[str], env: LocalBedrock) -> None:
    env.add_foundation_model(
        "meta.llama3-8b-instruct-v1:0", regions=["us-west-2"], streaming=False,
        input_modalities=("TEXT",), customizations=(),
    )
    env.add_foundation_model(NOVA, name="Nova Lite", input_modalities=("TEXT", "IMAGE"),
                             customizations=("FINE_TUNING",))
    doc = diff_json(capsys, NOVA, "meta.llama3-8b-instruct-v1:0", "--region", "us-east-1", "--region", "us-west-2")
    changes = "\n".join(doc["changes"])  # type: ignore[arg-type]
    assert "different provider (Amazon → Meta)" in changes
    assert ("InvokeModel bodies change: Amazon Nova (schemaVersion messages-v1, messages) → "
            "Meta Llama (prompt, max_gen_len)") in changes
    assert "meta.llama3-8b-instruct-v1:0 does not stream" in changes
    assert "input modality lost: IMAGE" in changes
    assert "meta.llama3-8b-instruct-v1:0 is not offered in us-east-1" in changes
    assert "customisation not supported by meta.llama3-8b-instruct-v1:0: FINE_TUNING" in changes


def test_a_profile_only_model_by_its_plain_id(capsys: pytest.CaptureFixture[str]) -> None:
    doc = diff_json(capsys, NOVA, SONNET_45)
    changes = "\n".join(doc["changes"])  # type: ignore[arg-type]
    assert f"{SONNET_45} is not invocable on demand by its plain ID: call it through an inference profile" in changes
    assert US_SONNET_45 in changes


def test_text_output_and_missing_permission(capsys: pytest.CaptureFixture[str], env: LocalBedrock) -> None:
    env.fail_control("GetFoundationModel", "AccessDeniedException")
    code = main(["diff", SONNET_4, MICRO])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    assert f"not checked ({SONNET_4}): us-east-1: not checked: missing permission bedrock:GetFoundationModel" in out
    assert "lifecycle" in out and "registry (" in out  # the offline facts still show
    assert "What the application must change:" in out


def test_prices_come_from_the_price_table(capsys: pytest.CaptureFixture[str]) -> None:
    from bedrock_lifecycle.lifecycle import prices

    if prices.price_of(NOVA, "us-east-1") is None or prices.price_of(MICRO, "us-east-1") is None:
        pytest.skip("no bundled price for the Nova models")
    doc = diff_json(capsys, NOVA, MICRO)
    facts = doc["old"]["facts"]  # type: ignore[index]
    price = prices.price_of(NOVA, "us-east-1")
    assert price is not None
    assert facts["price"]["value"] == [price.input_per_1k, price.output_per_1k]
    assert any(c.startswith("on-demand price changes") for c in doc["changes"])  # type: ignore[union-attr]


def test_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "not a model", NOVA]) == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", "Anthropic Messages"),
        ("anthropic.claude-v2:1", "Anthropic Text Completions"),
        ("amazon.titan-text-express-v1", "Amazon Titan Text"),
        ("meta.llama3-1-70b-instruct-v1:0", "Meta Llama"),
        ("openai.gpt-oss-120b-1:0", None),
    ],
)
def test_body_families(model: str, family: str | None) -> None:
    got = body_family(model)
    assert (got is None) if family is None else (got is not None and got.startswith(family))
