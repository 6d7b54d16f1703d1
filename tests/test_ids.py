"""Model ID parsing: every real ID and form, every ARN kind, garbage, and round-trip properties."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.ids import (
    KNOWN_GEOGRAPHIES,
    KNOWN_PROVIDERS,
    MAX_LENGTH,
    ModelIdError,
    is_model_id,
    parse_model_id,
)

REPO = Path(__file__).resolve().parents[1]
MODEL_IDS = REPO.parent / "shared" / "data" / "model-ids.txt"
ACCT = "123456789012"
HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0"
# litellm lists this Vertex-style spelling under Bedrock; botocore's InvokeModelIdentifier
# pattern has no "@", so Bedrock cannot accept it and the parser must refuse it.
NOT_BEDROCK = {"anthropic.claude-haiku-4-5@20251001"}


def reference_ids(sections: tuple[int, ...] = (1, 2, 3, 4)) -> list[str]:
    """First word of each data line in the given sections of model-ids.txt (skip if absent)."""
    if not MODEL_IDS.exists():
        pytest.skip(f"reference data not available at {MODEL_IDS}")
    out: list[str] = []
    section = 0
    for line in MODEL_IDS.read_text(encoding="utf-8").splitlines():
        m = re.match(r"## (\d+)\.", line)
        if m:
            section = int(m.group(1))
        elif section in sections and line.strip() and not line.startswith("#"):
            out.append(line.split()[0])
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------- real IDs


def test_every_reference_id_parses_as_a_foundation_model() -> None:
    ids = reference_ids()
    assert len(ids) >= 200
    assert set(ids) >= NOT_BEDROCK
    for raw in ids:
        if raw in NOT_BEDROCK:
            continue
        m = parse_model_id(raw)
        assert m.kind == "foundation-model", raw
        assert m.provider in KNOWN_PROVIDERS, raw
        assert m.base_model_id is not None and raw.startswith(m.base_model_id), raw
        assert m.geography is None and not m.is_arn, raw


@pytest.mark.parametrize("raw", sorted(NOT_BEDROCK))
def test_vertex_style_at_sign_is_refused(raw: str) -> None:
    with pytest.raises(ModelIdError, match=re.escape(repr(raw))):
        parse_model_id(raw)


def test_every_reference_id_as_a_profile_and_in_arns() -> None:
    for raw in reference_ids():
        if raw in NOT_BEDROCK:
            continue
        base = parse_model_id(raw).base_model_id
        for geo in KNOWN_GEOGRAPHIES:
            p = parse_model_id(f"{geo}.{raw}")
            assert (p.kind, p.geography, p.base_model_id) == ("inference-profile", geo, base), (geo, raw)
        fm = parse_model_id(f"arn:aws:bedrock:us-east-1::foundation-model/{raw}")
        assert (fm.kind, fm.base_model_id, fm.account) == ("foundation-model", base, None)
        ip = parse_model_id(f"arn:aws:bedrock:eu-west-1:{ACCT}:inference-profile/eu.{raw}")
        assert (ip.kind, ip.base_model_id, ip.geography, ip.region) == ("inference-profile", base, "eu", "eu-west-1")


def test_section_4_context_window_variants() -> None:
    for raw in reference_ids((4,)):
        m = parse_model_id(raw)
        if raw.count(":") == 2:
            assert m.context_window is not None and raw == f"{m.base_model_id}:{m.context_window}", raw
        else:
            assert m.context_window is None and m.base_model_id == raw, raw


@pytest.mark.parametrize(
    ("raw", "base", "version", "ctx"),
    [
        ("anthropic.claude-v2:1:200k", "anthropic.claude-v2:1", "1", "200k"),
        ("anthropic.claude-v2:0:18k", "anthropic.claude-v2:0", "0", "18k"),
        ("amazon.titan-text-express-v1:0:8k", "amazon.titan-text-express-v1:0", "0", "8k"),
        ("anthropic.claude-instant-v1:2:100k", "anthropic.claude-instant-v1:2", "2", "100k"),
        # Provisioned variants in AWS's Provisioned Throughput table and ListFoundationModels:
        # embedding dimensions, multimodal, million-token windows.
        ("cohere.embed-english-v3:0:512", "cohere.embed-english-v3:0", "0", "512"),
        ("cohere.embed-multilingual-v3:0:512", "cohere.embed-multilingual-v3:0", "0", "512"),
        ("amazon.nova-premier-v1:0:mm", "amazon.nova-premier-v1:0", "0", "mm"),
        ("amazon.nova-premier-v1:0:1000k", "amazon.nova-premier-v1:0", "0", "1000k"),
        ("amazon.nova-2-lite-v1:0:256k", "amazon.nova-2-lite-v1:0", "0", "256k"),
        ("cohere.command-light-text-v14:7:4k", "cohere.command-light-text-v14:7", "7", "4k"),
        ("anthropic.claude-3-haiku-20240307-v1:0:48k", "anthropic.claude-3-haiku-20240307-v1:0", "0", "48k"),
        ("amazon.titan-embed-image-v1:0", "amazon.titan-embed-image-v1:0", "0", None),
        ("anthropic.claude-sonnet-4-6", "anthropic.claude-sonnet-4-6", None, None),
        ("deepseek.v3.1", "deepseek.v3.1", None, None),
        ("openai.gpt-5.4", "openai.gpt-5.4", None, None),
        ("zai.glm-4.7-flash", "zai.glm-4.7-flash", None, None),
    ],
)
def test_plain_and_context_window_forms(raw: str, base: str, version: str | None, ctx: str | None) -> None:
    m = parse_model_id(raw)
    assert (m.kind, m.base_model_id, m.version, m.context_window, m.geography, m.is_arn) == (
        "foundation-model", base, version, ctx, None, False)
    assert m.raw == raw and m.provider == raw.partition(".")[0]


def test_lookup_keys() -> None:
    # ":0" is the same model as no version; other versions and context windows are not.
    assert parse_model_id("amazon.titan-text-express-v1:0:8k").lookup_keys == (
        "amazon.titan-text-express-v1:0", "amazon.titan-text-express-v1")
    assert parse_model_id("amazon.titan-text-express-v1").lookup_keys == (
        "amazon.titan-text-express-v1", "amazon.titan-text-express-v1:0")
    assert parse_model_id("anthropic.claude-v2:1:200k").lookup_keys == ("anthropic.claude-v2:1",)
    assert parse_model_id(f"us.{HAIKU3}").lookup_keys == (HAIKU3, HAIKU3[:-2])
    assert parse_model_id(f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU3}").lookup_keys[0] == HAIKU3
    assert parse_model_id(f"arn:aws:bedrock:us-east-1:{ACCT}:provisioned-model/abcdef123456").lookup_keys == ()


# --------------------------------------------------------------------------- geographies


@pytest.mark.parametrize("geo", ["us", "eu", "apac", "global", "jp", "au", "us-gov", "ca", "in"])
def test_every_known_geography_prefix(geo: str) -> None:
    assert geo in KNOWN_GEOGRAPHIES
    m = parse_model_id(f"{geo}.{HAIKU3}")
    assert (m.kind, m.geography, m.base_model_id, m.provider, m.version) == (
        "inference-profile", geo, HAIKU3, "anthropic", "0")


@pytest.mark.parametrize(
    ("raw", "geo", "hint"),
    [("ap.anthropic.claude-sonnet-4-6", "ap", "apac"), ("amer.amazon.nova-pro-v1:0", "amer", None),
     (f"custom.{HAIKU3}", "custom", None), ("mx.amazon.nova-lite-v1:0", "mx", None),
     ("latam.amazon.nova-lite-v1:0", "latam", None), ("ap-south.amazon.nova-lite-v1:0", "ap-south", None),
     ("apc.amazon.nova-lite-v1:0:24k", "apc", "apac"), (f"usa.{HAIKU3}", "usa", "us"),
     (f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/ap.{HAIKU3}", "ap", "apac")],
)
def test_made_up_geography_is_refused_naming_the_value(raw: str, geo: str, hint: str | None) -> None:
    # Bedrock has no such profile; reading it as one would give it the base model's lifecycle.
    with pytest.raises(ModelIdError) as info:
        parse_model_id(raw)
    msg = str(info.value)
    assert repr(raw)[:60] in msg and f"'{geo}.' is not a cross-region inference profile geography" in msg
    assert "known: apac, au, ca, eu, global, in, jp, us, us-gov" in msg
    assert (f"did you mean '{hint}.'" in msg) if hint else ("did you mean" not in msg)
    assert not is_model_id(raw)


def test_known_geographies_cover_the_reference_data() -> None:
    if not MODEL_IDS.exists():
        pytest.skip(f"reference data not available at {MODEL_IDS}")
    text = MODEL_IDS.read_text(encoding="utf-8")
    section = text[text.index("## 5."):text.index("## 6.")]
    prefixes = set(re.findall(r"^([a-z-]+)\.\s", section, re.M))
    assert len(prefixes) >= 9 and prefixes <= KNOWN_GEOGRAPHIES


def test_unknown_prefix_before_unknown_provider_is_a_dotted_name() -> None:
    # Without a known geography or provider there is no telling: the documented reading is
    # a foundation model whose name has a dot.
    m = parse_model_id("acme.widget.model-v1")
    assert (m.kind, m.provider, m.base_model_id, m.geography) == (
        "foundation-model", "acme", "acme.widget.model-v1", None)


def test_provider_is_never_taken_for_a_geography() -> None:
    m = parse_model_id("meta.llama3-8b-instruct-v1:0")
    assert (m.kind, m.provider, m.geography) == ("foundation-model", "meta", None)


def test_context_window_profile() -> None:
    m = parse_model_id("us.anthropic.claude-v2:1:200k")
    assert (m.kind, m.geography, m.base_model_id, m.context_window) == (
        "inference-profile", "us", "anthropic.claude-v2:1", "200k")


# --------------------------------------------------------------------------- ARNs


@pytest.mark.parametrize(
    ("arn", "kind", "base", "region", "account", "resource"),
    [
        (f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU3}", "foundation-model", HAIKU3,
         "us-east-1", None, HAIKU3),
        ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-v2:1:200k", "foundation-model",
         "anthropic.claude-v2:1", "us-west-2", None, "anthropic.claude-v2:1:200k"),
        (f"arn:aws:bedrock:us-west-2:{ACCT}:inference-profile/us.amazon.nova-lite-v1:0", "inference-profile",
         "amazon.nova-lite-v1:0", "us-west-2", ACCT, "us.amazon.nova-lite-v1:0"),
        (f"arn:aws-us-gov:bedrock:us-gov-west-1:{ACCT}:inference-profile/us-gov.{HAIKU3}",
         "inference-profile", HAIKU3, "us-gov-west-1", ACCT, f"us-gov.{HAIKU3}"),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:application-inference-profile/a1b2c3d4e5f6",
         "application-inference-profile", None, "us-east-1", ACCT, "a1b2c3d4e5f6"),
        (f"arn:aws:bedrock:eu-central-1:{ACCT}:provisioned-model/abcdef123456", "provisioned-model", None,
         "eu-central-1", ACCT, "abcdef123456"),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model/amazon.titan-text-express-v1:0:8k/abcdef123456",
         "custom-model", "amazon.titan-text-express-v1:0", "us-east-1", ACCT,
         "amazon.titan-text-express-v1:0:8k/abcdef123456"),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model/imported/abcdef123456", "custom-model", None,
         "us-east-1", ACCT, "imported/abcdef123456"),
        (f"arn:aws-cn:bedrock:cn-north-1:{ACCT}:imported-model/abcdef123456", "imported-model", None,
         "cn-north-1", ACCT, "abcdef123456"),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:custom-model-deployment/abcdef123456", "custom-model-deployment",
         None, "us-east-1", ACCT, "abcdef123456"),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:default-prompt-router/anthropic.claude:1", "prompt-router", None,
         "us-east-1", ACCT, "anthropic.claude:1"),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:prompt-router/abcdef123456", "prompt-router", None,
         "us-east-1", ACCT, "abcdef123456"),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:prompt/ABCDEFGHIJ:3", "prompt", None, "us-east-1", ACCT,
         "ABCDEFGHIJ:3"),
        (f"arn:aws:bedrock:us-east-1:{ACCT}:prompt/ABCDEFGHIJ", "prompt", None, "us-east-1", ACCT, "ABCDEFGHIJ"),
        (f"arn:aws:sagemaker:us-east-1:{ACCT}:endpoint/my-endpoint", "sagemaker-endpoint", None, "us-east-1",
         ACCT, "my-endpoint"),
    ],
)
def test_every_arn_kind(arn: str, kind: str, base: str | None, region: str, account: str | None,
                        resource: str) -> None:
    m = parse_model_id(arn)
    assert (m.kind, m.base_model_id, m.region, m.account, m.is_arn, m.resource_id) == (
        kind, base, region, account, True, resource)
    assert m.partition is not None and m.partition.startswith("aws")


def test_arn_geography_and_partition() -> None:
    m = parse_model_id(f"arn:aws:bedrock:ap-northeast-1:{ACCT}:inference-profile/jp.{HAIKU3}")
    assert (m.geography, m.partition, m.provider, m.version) == ("jp", "aws", "anthropic", "0")


@pytest.mark.parametrize(
    "bad",
    [
        "arn:aws:s3:::bucket/key",
        f"arn:aws:bedrock:us-east-1:{ACCT}:knowledge-base/ABCDEFGHIJ",
        f"arn:aws:sagemaker:us-east-1:{ACCT}:foundation-model/{HAIKU3}",
        f"arn:aws:bedrock:us-east-1:{ACCT}:endpoint/x",
        "arn:aws:bedrock:us-east-1::foundation-model/not-a-model-id",
        f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/anthropic",
        # A model ID missing its geography: "openai" is a provider, not a geography (this
        # parsed as geography "openai", base "gpt-5.4" before the fix).
        f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/openai.gpt-5.4",
        f"arn:aws:bedrock:us-east-1:{ACCT}:inference-profile/zai.glm-4.7",
        "arn:aws:bedrock",
    ],
)
def test_malformed_or_foreign_arns_are_refused(bad: str) -> None:
    with pytest.raises(ModelIdError) as info:
        parse_model_id(bad)
    assert repr(bad)[:60] in str(info.value)


# --------------------------------------------------------------------------- garbage


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\t\n", "empty"),
        ("chat", "'chat'"),
        ("anthropic", "'anthropic'"),
        ("anthropic.claude v2", "'anthropic.claude v2'"),
        (" anthropic.claude-v2", "' anthropic.claude-v2'"),
        ("ANTHROPIC.CLAUDE-V2", "'ANTHROPIC.CLAUDE-V2'"),
        ("anthropic..claude", "'anthropic..claude'"),
        ("anthropic.claude.", "'anthropic.claude.'"),
        ("x" * 3000, "3000 characters"),
        (42, "int: 42"),
        (None, "NoneType: None"),
        (b"amazon.nova-lite-v1:0", "bytes: b'amazon.nova-lite-v1:0'"),
        (["amazon.nova-lite-v1:0"], "list: ['amazon.nova-lite-v1:0']"),
        ({"modelId": "x"}, "dict: {'modelId': 'x'}"),
    ],
)
def test_garbage_raises_a_clear_error_naming_the_value(bad: object, named: str) -> None:
    with pytest.raises(ModelIdError) as info:
        parse_model_id(bad)  # type: ignore[arg-type]
    message = str(info.value)
    assert "modelId" in message and named in message
    assert "\n" not in message
    assert not is_model_id(bad)
    assert isinstance(info.value, ValueError)


def test_length_limit_is_botocores() -> None:
    head = "amazon.nova-lite-v1:0-"
    assert is_model_id(head + "a" * 40)
    too_long = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/" + "a" * MAX_LENGTH
    with pytest.raises(ModelIdError, match="at most 2048"):
        parse_model_id(too_long)


def test_domain_look_alikes_are_syntactically_model_ids() -> None:
    # The parser answers "could Bedrock accept this string?"; "anthropic.com" could be a model
    # named "com". Telling a domain from a model ID in source code is the scanner's job
    # (tests/test_scan.py checks it does not report these).
    for raw in ("anthropic.com", "amazon.com", "meta.json"):
        m = parse_model_id(raw)
        assert (m.kind, m.base_model_id) == ("foundation-model", raw)


# --------------------------------------------------------------------------- properties

segment = st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True)
providers = st.one_of(st.sampled_from(sorted(KNOWN_PROVIDERS)),
                      st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True))
names = st.builds(lambda first, rest: ".".join([first, *rest]), segment, st.lists(segment, max_size=2))
versions = st.one_of(st.none(), st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True))
# Every third-segment form the service uses (context window, dimensions, modality), and the
# general botocore form.
contexts = st.one_of(st.none(), st.from_regex(r"[0-9]{1,4}[km]", fullmatch=True), st.from_regex(r"[0-9]{1,4}",
                     fullmatch=True), st.just("mm"), st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True))
future_geos = st.from_regex(r"[a-z]{2,6}(-[a-z]{2,6})?", fullmatch=True)
regions = st.from_regex(r"[a-z]{2}(-gov)?-[a-z]{4,9}-[1-9]", fullmatch=True)


def _compose(provider: str, name: str, version: str | None, ctx: str | None) -> tuple[str, str]:
    base = f"{provider}.{name}" + (f":{version}" if version else "")
    return base, base + (f":{ctx}" if version and ctx else "")


@settings(max_examples=300, deadline=None)  # timing depends on machine load, not on the code
@given(provider=providers, name=names, version=versions, ctx=contexts)
def test_round_trip_plain(provider: str, name: str, version: str | None, ctx: str | None) -> None:
    # Outside this generator's reach on purpose: prefixes that read as a profile (a known
    # geography) or are refused as a made-up one (a 2-6 letter word before a known provider).
    assume(provider not in KNOWN_GEOGRAPHIES)
    assume(name.partition(".")[0] not in KNOWN_PROVIDERS or "." not in name)
    base, raw = _compose(provider, name, version, ctx)
    m = parse_model_id(raw)
    assert (m.kind, m.base_model_id, m.provider, m.geography) == ("foundation-model", base, provider, None)
    assert m.version == (version or None)
    assert m.context_window == (ctx if version else None)


@settings(max_examples=300, deadline=None)  # timing depends on machine load, not on the code
@given(provider=providers, name=names, version=versions, ctx=contexts,
       geo=st.sampled_from(sorted(KNOWN_GEOGRAPHIES)), region=regions)
def test_profile_and_arns_of_x_have_the_base_of_x(provider: str, name: str, version: str | None,
                                                  ctx: str | None, geo: str, region: str) -> None:
    assume(provider not in KNOWN_GEOGRAPHIES)
    assume(name.partition(".")[0] not in KNOWN_PROVIDERS or "." not in name)
    base, raw = _compose(provider, name, version, ctx)
    x = parse_model_id(raw)
    profile = parse_model_id(f"{geo}.{raw}")
    assert (profile.kind, profile.geography, profile.base_model_id) == ("inference-profile", geo, x.base_model_id)
    assert (profile.provider, profile.version, profile.context_window) == (x.provider, x.version, x.context_window)
    fm = parse_model_id(f"arn:aws:bedrock:{region}::foundation-model/{raw}")
    assert (fm.kind, fm.base_model_id, fm.region, fm.account) == ("foundation-model", base, region, None)
    ip = parse_model_id(f"arn:aws:bedrock:{region}:{ACCT}:inference-profile/{geo}.{raw}")
    assert (ip.kind, ip.base_model_id, ip.geography, ip.account) == ("inference-profile", base, geo, ACCT)
    cm = parse_model_id(f"arn:aws:bedrock:{region}:{ACCT}:custom-model/{raw}/abcdef123456")
    assert (cm.kind, cm.base_model_id) == ("custom-model", base)


id_alphabet = "abcdefghijklmnopqrstuvwxyz0123456789.-:/_@ ARN"


@settings(max_examples=500, deadline=None)  # timing depends on machine load, not on the code
@given(st.one_of(
    st.text(max_size=300),
    st.text(alphabet=id_alphabet, max_size=80),
    st.builds(lambda t: "arn:aws:bedrock:" + t, st.text(alphabet=id_alphabet, max_size=80)),
    st.builds(lambda g, t: f"{g}.anthropic.{t}", future_geos, st.text(alphabet=id_alphabet, max_size=40)),
))
def test_arbitrary_text_raises_only_model_id_error(text: str) -> None:
    with contextlib.suppress(ModelIdError):
        m = parse_model_id(text)
        assert m.raw == text
        assert m.base_model_id is None or m.kind in ("foundation-model", "inference-profile", "custom-model")
    assert is_model_id(text) in (True, False)


@settings(deadline=None)  # timing depends on machine load, not on the code
@given(st.one_of(st.sampled_from([HAIKU3, f"us.{HAIKU3}", "anthropic.claude-v2:1:200k"]),
                 st.text(alphabet=id_alphabet, max_size=40)))
def test_cached_result_equal_for_equal_input(text: str) -> None:
    copy = "".join(list(text))  # an equal string that is a different object
    try:
        first = parse_model_id(text)
    except ModelIdError as exc:
        with pytest.raises(ModelIdError) as again:
            parse_model_id(copy)
        assert str(again.value) == str(exc)
        return
    second = parse_model_id(copy)
    assert second == first and hash(second) == hash(first)
    assert second is first  # served from the cache


@settings(max_examples=200, deadline=None)  # timing depends on machine load, not on the code
@given(geo=future_geos, provider=st.sampled_from(sorted(KNOWN_PROVIDERS)), name=names)
def test_any_unknown_prefix_before_a_known_provider_is_refused(geo: str, provider: str, name: str) -> None:
    assume(geo not in KNOWN_GEOGRAPHIES and geo not in KNOWN_PROVIDERS)
    raw = f"{geo}.{provider}.{name}"
    with pytest.raises(ModelIdError, match=re.escape(f"'{geo}.' is not a cross-region inference profile")):
        parse_model_id(raw)
