"""The roll-up and the gate: invariants over random occurrences."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_lifecycle.lifecycle.model import LifecycleStatus, State
from bedrock_lifecycle.toolkit.scan import Finding, scan_files
from bedrock_lifecycle.toolkit.scan.report import Occurrence, gate, roll_up

UTC = dt.timezone.utc
AT = dt.datetime(2026, 8, 1, tzinfo=UTC)
RANK = [State.EOL, State.EXTENDED_ACCESS, State.LEGACY, State.UNKNOWN, State.ACTIVE]

statuses = st.builds(
    lambda model, state, eol_days: LifecycleStatus(
        model_id=model, base_model_id=model, region="us-east-1", state=state, at=AT,
        eol_date=None if eol_days is None else AT + dt.timedelta(days=eol_days)),
    st.sampled_from(["a.m-1", "b.m-2", "c.m-3", "d.m-4"]), st.sampled_from(list(State)),
    st.none() | st.integers(-400, 400))
occurrences = st.lists(st.tuples(statuses, st.sampled_from(["x.py", "y.py", "z.tf"]), st.booleans()), max_size=30)


@settings(max_examples=300, deadline=None)  # timing depends on machine load, not on the code
@given(occurrences)
def test_roll_up_invariants(items: list[tuple[LifecycleStatus, str, bool]]) -> None:
    occ = [Occurrence(Finding(path, 1, 1, s.model_id), s, failing, "") for s, path, failing in items]
    rows = roll_up(occ)
    assert sum(r.occurrences for r in rows) == len(occ)
    assert len({r.model for r in rows}) == len(rows)
    for r in rows:
        group = [o for o in occ if o.key == r.model]
        assert r.failing == any(o.failing for o in group)
        assert r.files == len({o.finding.path for o in group})
    flags = [r.failing for r in rows]
    assert flags == sorted(flags, reverse=True)  # failing models first
    for a, b in itertools.pairwise(rows):
        if a.failing == b.failing:
            assert RANK.index(a.state) <= RANK.index(b.state)


@settings(max_examples=200, deadline=None)  # timing depends on machine load, not on the code
@given(statuses, st.integers(0, 500), st.booleans())
def test_gate(s: LifecycleStatus, within: int, strict: bool) -> None:
    expected = (
        s.state in (State.LEGACY, State.EXTENDED_ACCESS, State.EOL)
        or (strict and s.state is State.UNKNOWN)
        or (within > 0 and s.eol_date is not None and s.eol_date <= AT + dt.timedelta(days=within))
    )
    assert gate(s, AT, within, strict) is expected


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_named_special_file_is_reported_not_dropped(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (res,) = list(scan_files(fifo))
    assert (res.status, res.note, res.named) == ("unreadable", "not a regular file or directory", True)
