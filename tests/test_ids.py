"""Model ID parsing: every real form, every ARN kind, garbage, and round-trip properties."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_lifecycle.ids import (
    KNOWN_GEOGRAPHIES,
    KNOWN_PROVIDERS,
    ModelIdError,
    is_model_id,
    parse_model_id,
)

MODEL_IDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "model-ids.txt"
ACCT = "123456789012"


def test_every_reference_id_parses() -> None:
    if not MODEL_IDS.exists():
        pytest.skip("reference data not available")
    words = [line.split()[0] for line in MODEL_IDS.read_text().splitlines()
             if line.strip() and not line.startswith("#") and "." in line.split()[0]]
    ids = [w for w in words if not w.endswith(".") and "@" not in w]
    assert len(ids) > 200
    for i in ids:
        m = parse_model_id(i)
        assert m.base_model_id and m.provider in KNOWN_PROVIDERS, i


@pytest.mark.parametrize(
    ("raw", "base", "version", "ctx"),
    [
        ("anthropic.claude-v2:1:200k", "anthropic.claude-v2:1", "1", "200k"),
        ("amazon.titan-text-express-v1:0:8k", "amazon.titan-text-express-v1:0", "0", "8k"),
        ("anthropic.claude-sonnet-4-6", "anthropic.claude-sonnet-4-6", None, None),
        ("deepseek.v3.1", "deepseek.v3.1", None, None),
        ("openai.gpt-5.4", "openai.gpt-5.4", None, None),
    ],
)
def test_plain_and_context_window_forms(raw: str, base: str, version: str | None, ctx: str | None) -> None:
    m = parse_model_id(raw)
    assert (m.kind, m.base_model_id, m.version, m.context_window, m.geography) == (
        "foundation-model", base, version, ctx, None)


def test_lookup_keys_treat_colon_zero_as_no_version() -> None:
    assert parse_model_id("amazon.titan-text-express-v1:0:8k").lookup_keys == (
        "amazon.titan-text-express-v1:0", "amazon.titan-text-express-v1")
    assert parse_model_id("amazon.titan-text-express-v1").lookup_keys == (
        "amazon.titan-text-express-v1", "amazon.titan-text-express-v1:0")
    assert parse_model_id("anthropic.claude-v2:1").lookup_keys == ("anthropic.claude-v2:1",)


@pytest.mark.parametrize("geo", [*sorted(KNOWN_GEOGRAPHIES), "xyz"])
def test_every_geography_prefix(geo: str) -> None:
    m = parse_model_id(f"{geo}.anthropic.claude-3-haiku-20240307-v1:0")
    assert (m.kind, m.geography, m.base_model_id) == (
        "inference-profile", geo, "anthropic.claude-3-haiku-20240307-v1:0")


@pytest.mark.parametrize(
    ("arn", "kind", "base", "region", "account"),
    [
        ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2:1", "foundation-model",
         "anthropic.claude-v2:1", "us-east-1", None),
        (f"arn:aws:bedrock:us-west-2:{ACCT}:inference-profile/us.amazon.nova-lite-v1:0", "inference-profile",
         "amazon.nova-lite-v1:0", "us-west-2", ACCT),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/abcdef123456",
         "application-inference-profile", None, "us-east-1", ACCT),
        (f"arn:aws-us-gov:bedrock:us-gov-west-1:{ACCT}:provisioned-model/abcdef123456", "provisioned-model",
         None, "us-gov-west-1", ACCT),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model/amazon.titan-text-express-v1:0:8k/abcdef123456",
         "custom-model", "amazon.titan-text-express-v1:0", "us-east-1", ACCT),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model/imported/abcdef123456", "custom-model", None,
         "us-east-1", ACCT),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:imported-model/abcdef123456", "imported-model", None, "us-east-1", ACCT),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model-deployment/abcdef123456", "custom-model-deployment",
         None, "us-east-1", ACCT),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:default-prompt-router/anthropic.claude:1", "prompt-router", None,
         "us-east-1", ACCT),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:prompt/ABCDEFGHIJ:3", "prompt", None, "us-east-1", ACCT),
        (f"arn:aws:sagemaker:us-east-1:{ACCT}:endpoint/my-endpoint", "sagemaker-endpoint", None, "us-east-1", ACCT),
    ],
)
def test_every_arn_kind(arn: str, kind: str, base: str | None, region: str, account: str | None) -> None:
    m = parse_model_id(arn)
    assert (m.kind, m.base_model_id, m.region, m.account, m.is_arn) == (kind, base, region, account, True)


@pytest.mark.parametrize("bad", ["", "   ", "chat", "x" * 3000, "anthropic.claude v2", "arn:aws:s3:::bucket",
                                 "arn:aws:bedrock:us-east-1:123456789012:bucket/x", 42, None, b"amazon.nova", ["x"]])
def test_garbage_raises_a_clear_error(bad: object) -> None:
    with pytest.raises(ModelIdError) as info:
        parse_model_id(bad)  # type: ignore[arg-type]
    assert "modelId" in str(info.value)
    assert not is_model_id(bad)


name = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,6}){1,3}", fullmatch=True)
version = st.one_of(st.none(), st.from_regex(r"[0-9]{1,2}", fullmatch=True))
ctx = st.one_of(st.none(), st.from_regex(r"[0-9]{1,3}k", fullmatch=True))


@given(provider=st.sampled_from(sorted(KNOWN_PROVIDERS)), name=name, version=version, ctx=ctx,
       geo=st.sampled_from(sorted(KNOWN_GEOGRAPHIES)))
def test_round_trip_through_every_form(provider: str, name: str, version: str | None, ctx: str | None, geo: str) -> None:
    base = f"{provider}.{name}" + (f":{version}" if version else "")
    raw = base + (f":{ctx}" if ctx and version else "")
    plain = parse_model_id(raw)
    assert plain.base_model_id == base and plain.provider == provider
    assert plain.context_window == (ctx if ctx and version else None)
    profile = parse_model_id(f"{geo}.{raw}")
    assert (profile.base_model_id, profile.geography) == (base, geo)
    arn = parse_model_id(f"arn:aws:bedrock:eu-west-1::foundation-model/{raw}")
    assert arn.base_model_id == base and arn.region == "eu-west-1"
    assert parse_model_id(raw) is plain  # cached


@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_model_id_error(text: str) -> None:
    with contextlib.suppress(ModelIdError):
        parse_model_id(text)
