"""util.files (atomic writes, exact modes whatever the umask) and util.jsonlimits."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_lifecycle.util import files, jsonlimits

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


@pytest.fixture(params=[0o000, 0o022, 0o277], ids=["umask000", "umask022", "umask277"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@posix_only
def test_file_0600_and_created_dirs_0700_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "a" / "b" / "c" / "f.json"
    files.atomic_write_json(target, {"k": 1})
    assert json.loads(target.read_text()) == {"k": 1}
    assert mode(target) == 0o600
    for d in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert mode(d) == 0o700, d
    # Rewriting keeps 0600 even when someone widened the old file.
    os.chmod(target, 0o644)
    files.atomic_write_text(target, "new\n")
    assert target.read_text() == "new\n" and mode(target) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.json"]


@posix_only
def test_existing_directory_is_left_alone_unless_tightened(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    files.atomic_write_bytes(shared / "x", b"1")
    assert mode(shared) == 0o755 and mode(shared / "x") == 0o600
    files.ensure_private_dir(shared, tighten=True)
    assert mode(shared) == 0o700


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f"
    files.atomic_write_text(target, "old")

    def boom(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        files.atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


# --------------------------------------------------------------------------- jsonlimits


def test_deep_json_is_a_value_error_not_a_recursion_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(jsonlimits.JSONDepthError, match="100000 levels deep"):
        jsonlimits.loads(deep, what="the cache")
    assert jsonlimits.loads('{"a": [[1]]}', max_depth=3) == {"a": [[1]]}
    with pytest.raises(ValueError, match="limit 2"):
        jsonlimits.loads('{"a": [[1]]}', max_depth=2)


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"s": "[[[[{{{{\\\"]]", "t": ["\\"]})
    assert jsonlimits.depth(text) == 2
    assert jsonlimits.loads(text, max_depth=2)["s"] == '[[[[{{{{\\"]]'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=20,
)


def _true_depth(v: object) -> int:
    if isinstance(v, list):
        return 1 + max((_true_depth(x) for x in v), default=0)
    if isinstance(v, dict):
        return 1 + max((_true_depth(x) for x in v.values()), default=0)
    return 0


@given(json_values)
def test_depth_matches_the_structure(value: object) -> None:
    assert jsonlimits.depth(json.dumps(value)) == _true_depth(value)
