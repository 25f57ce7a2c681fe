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
    result = bench_proxy(rate=100, blocks=1, block_s=2)
    assert result.direct.requests >= 150 and result.proxied.requests >= 150
    assert result.direct.failed == 0 and result.proxied.failed == 0
    assert result.events == result.proxied.requests
    assert result.proxied.p50_ms > 0 and 0.5 < result.throughput_ratio < 2


def test_ingest_bench_counts() -> None:
    result = bench_ingest(events=4000, batch=1000)
    assert result.events == 4000 and result.per_second > 0
