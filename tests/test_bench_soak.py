"""The soak benchmark, small enough for CI: a few hundred calls with every kind of fault
injected, and the figures that must hold at any size (nothing lost, no duplicate sends,
the client's attempts match the server's record)."""

from __future__ import annotations

from bench.bench_soak import FAULTS, run


def test_soak_smoke_loses_nothing_and_agrees_with_the_server() -> None:
    r = run(calls=300, threads=4, seed=7, quiet=True)
    assert r["lost"] == 0, r["lost_examples"]
    assert r["duplicate_sends"] == 0 and r["attempts_mismatches"] == 0 and r["untagged_requests"] == 0
    assert r["served"] + r["failed"] == 300
    assert r["requests"] > 300  # retries and fallbacks went over the wire
    assert set(r["injected"]) == {kind for kind, _ in FAULTS}  # every kind of fault was injected
    seen = set(r["attempt_codes"])  # ... and the client met them on the wire
    assert {"ThrottlingException", "ModelNotReadyException", "ReadTimeout", "ConnectionError",
            "ResourceNotFoundException"} <= seen, seen
    assert seen & {"InternalServerException", "ServiceUnavailableException"}
    assert r["eol_target_requests"] > 0
    assert r["rss_start_mb"] > 0 and r["rss_end_mb"] > 0 and r["p99_ms"] >= r["p50_ms"] > 0
