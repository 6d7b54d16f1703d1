"""Region validation: every partition's regions accepted, anything else refused with the closest one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle import regions
from bedrock_lifecycle.cli import main
from bedrock_lifecycle.regions import (
    RegionError,
    all_regions,
    closest_region,
    partition_of,
    validate_region,
)


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("eu-central-2", "aws"), ("mx-central-1", "aws"), ("cn-north-1", "aws-cn"),
     ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"),
     ("eu-isoe-west-1", "aws-iso-e"), ("us-isof-south-1", "aws-iso-f"), ("eusc-de-east-1", "aws-eusc")],
)
def test_every_partition_is_covered(region: str, partition: str) -> None:
    assert validate_region(region, "--region") == region
    assert partition_of(region) == partition


def test_installed_botocore_regions_are_all_accepted() -> None:
    import botocore

    path = f"{botocore.__path__[0]}/data/partitions.json"
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    for p in data["partitions"]:
        for r in p["regions"]:
            if not r.startswith("aws-"):
                assert validate_region(r) == r
    assert not any(r.startswith("aws-") for r in all_regions())  # aws-global is not a region


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [("us-east1", "us-east-1"), ("useast1", "us-east-1"), ("US-EAST-1", "us-east-1"), ("eu-west1", "eu-west-1"),
     ("us-gov-west1", "us-gov-west-1"), ("ap-southeast-22", None), ("frankfurt", None), ("", None)],
)
def test_mistyped_region_names_field_value_and_closest(value: str, suggestion: str | None) -> None:
    with pytest.raises(RegionError) as info:
        validate_region(value, "AWS_REGION")
    msg = str(info.value)
    assert isinstance(info.value, ValueError)
    assert msg.startswith("AWS_REGION: ") and repr(value) in msg
    if suggestion is None:
        assert "did you mean" not in msg or closest_region(value) is not None
    else:
        assert f"did you mean {suggestion!r}" in msg
        assert info.value.suggestion == suggestion


def test_non_string_is_refused() -> None:
    with pytest.raises(RegionError, match="region: 42 is not a region"):
        validate_region(42)


@settings(max_examples=300, deadline=None)  # timing depends on machine load, not on the code
@given(st.text(max_size=20))
def test_only_known_regions_pass(value: str) -> None:
    try:
        assert validate_region(value, "f") in all_regions()
    except RegionError as exc:
        assert value not in all_regions()
        assert exc.suggestion is None or exc.suggestion in all_regions()


@settings(max_examples=200, deadline=None)  # timing depends on machine load, not on the code
@given(region=st.sampled_from(sorted(regions.PARTITION_REGIONS["aws"])), data=st.data())
def test_one_typo_in_a_real_region_suggests_a_real_region(region: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(region) - 1))
    typo = region[:i] + region[i + 1:]  # one character dropped
    if typo in all_regions():
        return
    with pytest.raises(RegionError) as info:
        validate_region(typo, "--region")
    assert info.value.suggestion in all_regions()


def test_missing_botocore_data_leaves_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(regions, "_installed_botocore_regions", lambda: {})
    regions.partitions.cache_clear()
    regions.all_regions.cache_clear()
    try:
        assert validate_region("us-east-1") == "us-east-1"
        assert set(regions.PARTITION_REGIONS["aws-cn"]) <= all_regions()
    finally:
        regions.partitions.cache_clear()
        regions.all_regions.cache_clear()


def test_import_does_not_load_botocore() -> None:
    code = "import sys, bedrock_lifecycle.regions as r; r.validate_region('us-east-1'); print('botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("command", ["lookup anthropic.claude-3-haiku-20240307-v1:0", "list"])
def test_lookup_and_list_refuse_a_mistyped_region(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command.split(), "--region", "us-east1"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert "--region" in err and "'us-east1'" in err and "did you mean 'us-east-1'" in err
    assert len(err.strip().splitlines()) == 1
    assert err.count("--region") == 1  # no doubled prefix
