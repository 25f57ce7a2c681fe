"""`kassi bench publish` measures what it says: every event it counts reached the HEC stub."""

from __future__ import annotations

from kassi_bench.publish import bench_publish


def test_the_publish_benchmark_delivers_every_event_it_counts() -> None:
    result = bench_publish(1200)  # three batches of at most 500
    assert (result.events, result.batches) == (1200, 3)
    assert result.bytes_sent > 1200 * 200 and result.per_second > 0
