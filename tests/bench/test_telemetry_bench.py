"""The benchmarks run end to end (tiny sizes): real k6, the hello upstream, the proxy, SQLite."""

from __future__ import annotations

from kassi_bench.telemetry import bench_ingest, bench_proxy, k6_options


def test_blocks_alternate_abba() -> None:
    scenarios = k6_options(500, 2, 5)["scenarios"]
    order = sorted(scenarios, key=lambda name: int(scenarios[name]["startTime"].rstrip("s")))
    assert order == ["direct_0", "proxied_0", "proxied_1", "direct_1"]
    assert {s["executor"] for s in scenarios.values()} == {"constant-arrival-rate"}
    assert {s["rate"] for s in scenarios.values()} == {500}


def test_proxy_bench_small_run() -> None:
    # how many requests k6 manages in its 2 s blocks depends on how busy the machine is, so no floor:
    # what must hold anywhere is that no side exceeds the arrival rate, nothing fails, and every
    # proxied request reached the store exactly once
    result = bench_proxy(rate=100, blocks=1, block_s=2)
    for side in (result.direct, result.proxied):
        assert 0 < side.requests <= 100 * 2 + 1 and side.failed == 0
        assert 0 < side.p50_ms <= side.p95_ms
    assert result.events == result.proxied.requests


def test_ingest_bench_counts() -> None:
    result = bench_ingest(events=4000, batch=1000)
    assert result.events == 4000 and result.stored == 4000  # every event written was read back
    assert result.per_second == result.events / result.seconds > 0
