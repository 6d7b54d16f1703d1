"""The Python API's errors are as clear as the CLI's: a mistyped region, bad configuration
data, a state or an instant given as a string (issue 10, parts 2 and 10)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import boto3
import pytest

import bedrock_lifecycle as bl
from bedrock_lifecycle.api import runtime_of
from bedrock_lifecycle.clock import InstantError
from bedrock_lifecycle.config import Config
from bedrock_lifecycle.errors import ConfigError
from bedrock_lifecycle.lifecycle.model import State
from bedrock_lifecycle.lifecycle.registry import Registry
from bedrock_lifecycle.toolkit.scan import scan_paths

HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"  # EOL 2026-09-10 in us-east-1
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
UTC = _dt.timezone.utc


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for k in list(__import__("os").environ):
        if k.startswith("BEDROCK_LIFECYCLE_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("BEDROCK_LIFECYCLE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


# ------------------------------------------------------------------ region_name (part 2)


@pytest.mark.parametrize(
    ("region", "closest"),
    [("us-east1", "us-east-1"), ("US-EAST-1", "us-east-1"), ("eu-west1", "eu-west-1"), ("frankfurt", None)],
)
def test_client_with_a_mistyped_region_is_a_config_error_naming_it(region: str, closest: str | None) -> None:
    with pytest.raises(ConfigError) as info:
        bl.client(region_name=region)
    msg = str(info.value)
    assert msg.startswith("region_name: ") and repr(region) in msg
    assert "not a region of any AWS partition" in msg
    if closest:
        assert f"did you mean {closest!r}" in msg


def test_wrap_refuses_a_mistyped_region_before_changing_the_client() -> None:
    raw = boto3.session.Session().client("bedrock-runtime", region_name="us-east1")
    cls = type(raw)
    with pytest.raises(ConfigError, match=r"region_name: 'us-east1' .*did you mean 'us-east-1'"):
        bl.wrap(raw)
    assert type(raw) is cls  # untouched: still the plain botocore client
    assert "_bedrock_lifecycle" not in "".join(raw.__dict__)


def test_a_real_region_without_bundled_data_is_accepted_and_reads_unknown() -> None:
    c = bl.client(region_name="us-isof-south-1", config={"aliases": {"chat": {"targets": [{"model": HAIKU_45}]}}})
    st = runtime_of(c)
    assert st.region == "us-isof-south-1"
    status = st.version.registry.lookup(HAIKU_3, "us-isof-south-1", _dt.datetime(2026, 12, 1, tzinfo=UTC))
    assert status.state is State.UNKNOWN  # dates published for other regions only: not guessed
    assert "no lifecycle dates for us-isof-south-1" in status.note


def test_override_regions_in_the_configuration_are_validated() -> None:
    with pytest.raises(ConfigError) as info:
        Config.model_validate(
            {"registry": {"overrides": [{"model": HAIKU_45, "regions": ["us-east1"], "eol": "2027-01-01"}]}})
    msg = str(info.value)
    assert "regions" in msg and "'us-east1'" in msg and "did you mean 'us-east-1'" in msg
    ok = Config.model_validate(
        {"registry": {"overrides": [{"model": HAIKU_45, "regions": ["eu-central-2"], "eol": "2027-01-01"}]}})
    assert ok.registry.overrides[0].regions == ["eu-central-2"]


# ------------------------------------------------------------------ part 10


def test_config_with_bad_data_is_a_config_error_not_a_pydantic_error() -> None:
    with pytest.raises(ConfigError, match=r"aliases\.chat\.targets") as info:
        Config(aliases={"chat": {"targets": 5}})  # type: ignore[arg-type]
    assert type(info.value).__module__ == "bedrock_lifecycle.errors"
    with pytest.raises(ConfigError, match="bogus: unknown key"):
        Config(bogus=1)  # type: ignore[call-arg]


def test_client_config_path_is_loaded_and_a_missing_one_names_it(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text(f'[aliases.chat]\ntargets = [{{ model = "{HAIKU_45}" }}]\n')
    for given in (str(path), path):
        c = bl.client(config=given, region_name="us-east-1")
        assert list(runtime_of(c).version.config.aliases) == ["chat"]
    with pytest.raises(ConfigError, match=r"nope\.toml: cannot read"):
        bl.client(config=str(tmp_path / "nope.toml"), region_name="us-east-1")
    with pytest.raises(TypeError, match=r"config= takes .*got int"):
        bl.client(config=42, region_name="us-east-1")  # type: ignore[arg-type]


@pytest.mark.parametrize("state", [State.EOL, "eol", "EOL", " eol "])
def test_registry_list_takes_a_state_or_its_value(state: State | str) -> None:
    at = _dt.datetime(2026, 12, 1, tzinfo=UTC)
    got = Registry.default().list("us-east-1", at, state)
    assert got and all(s.state is State.EOL for s in got)
    assert HAIKU_3 in {s.model_id for s in got}


def test_registry_list_extended_access_spellings_agree() -> None:
    reg = Registry.default()
    at = "2026-12-01"
    assert [s.model_id for s in reg.list("us-east-1", at, "extended-access")] == [
        s.model_id for s in reg.list("us-east-1", at, State.EXTENDED_ACCESS)
    ]


@pytest.mark.parametrize("bad", ["bogus", "retired", "", 3])
def test_registry_list_refuses_an_unknown_state_naming_it_and_the_states(bad: object) -> None:
    with pytest.raises(ValueError) as info:
        Registry.default().list("us-east-1", None, bad)  # type: ignore[arg-type]
    msg = str(info.value)
    assert repr(bad) in msg
    assert all(s.value in msg for s in State)


def test_lookup_takes_an_iso_string_and_agrees_with_the_datetime() -> None:
    reg = Registry.default()
    by_str = reg.lookup(HAIKU_3, "us-east-1", "2026-09-10")
    by_dt = reg.lookup(HAIKU_3, "us-east-1", _dt.datetime(2026, 9, 10, tzinfo=UTC))
    assert by_str.at == by_dt.at and by_str.state is by_dt.state is State.EOL
    assert reg.lookup(HAIKU_3, "us-east-1", "2026-09-09T23:59:59Z").state is not State.EOL


@pytest.mark.parametrize("bad", ["2026-13-45", "tomorrow", "", "0001-01-01"])
def test_lookup_with_a_bad_instant_raises_a_value_error_naming_it(bad: str) -> None:
    with pytest.raises(InstantError) as info:
        Registry.default().lookup(HAIKU_3, "us-east-1", bad)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("at: ") and repr(bad) in str(info.value)


def test_lookup_with_a_non_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="at: expected a datetime or an ISO 8601 string, got int"):
        Registry.default().lookup(HAIKU_3, "us-east-1", 20260910)  # type: ignore[arg-type]


def test_scan_paths_takes_a_single_path(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(f'MODEL = "{HAIKU_3}"\n')
    one = [f.model_id for f in scan_paths(str(tmp_path))]
    listed = [f.model_id for f in scan_paths([str(tmp_path)])]
    as_path = [f.model_id for f in scan_paths(tmp_path)]
    assert one == listed == as_path == [HAIKU_3]
