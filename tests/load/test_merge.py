"""Merging segment summaries: sums, recomputed rates, quantiles from points, conservative thresholds."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from kassi_app.errors import InfrastructureError
from kassi_app.load.points import iter_points, trend_stats, trend_values
from kassi_app.load.segments import merge_summaries


def _summary(count: int, failed: int, p95: float, crossed: bool, check_passes: int) -> dict[str, object]:
    return {
        "metrics": {
            "http_reqs": {"count": count, "rate": count / 2.0},
            "http_req_failed": {"passes": failed, "fails": count - failed, "value": failed / count},
            "vus_max": {"value": 3, "min": 3, "max": 3},
            "http_req_duration": {"avg": 1.0, "min": 0.5, "med": 1.0, "max": 9.0, "p(95)": p95,
                                  "p(99)": p95, "thresholds": {"p(95)<5": crossed}},
        },
        "root_group": {"name": "", "groups": {}, "checks": {
            "GET /x status < 500": {"name": "GET /x status < 500", "passes": check_passes, "fails": 1}}},
    }


def test_counts_add_rates_recompute_and_trends_come_from_points() -> None:
    first, second = [1.0, 2.0, 3.0], [10.0, 20.0, 30.0, 40.0]
    merged = merge_summaries(
        [_summary(3, 0, 2.9, False, 3), _summary(4, 2, 39.0, True, 2)],
        {"http_req_duration": first + second},
    )
    metrics = merged["metrics"]
    assert metrics["http_reqs"] == {"count": 7, "rate": 3.5}
    assert metrics["http_req_failed"]["value"] == pytest.approx(2 / 7)
    assert metrics["vus_max"]["value"] == 6
    trend = metrics["http_req_duration"]
    assert trend["p(95)"] == pytest.approx(float(np.percentile(first + second, 95)))
    assert trend["p(95)"] != pytest.approx((2.9 + 39.0) / 2)  # not the mean of the parts
    assert (trend["min"], trend["max"], trend["med"]) == (1.0, 40.0, 10.0)
    assert trend["thresholds"] == {"p(95)<5": True}
    assert merged["root_group"]["checks"]["GET /x status < 500"]["passes"] == 5
    assert merged["root_group"]["checks"]["GET /x status < 500"]["fails"] == 2


def test_k6_percentiles_interpolate_like_k6() -> None:
    stats = trend_stats([1.0, 2.0, 3.0, 4.0], ["p(50)", "p(90)", "avg", "count", "med"])
    assert stats == {"p(50)": 2.5, "p(90)": pytest.approx(3.7), "avg": 2.5, "count": 4.0, "med": 2.5}
    assert trend_stats([], ["p(95)"]) == {"p(95)": 0.0}


def test_points_are_read_fast_or_slow_with_the_same_values(tmp_path: Path) -> None:
    path = tmp_path / "points.json.gz"
    rows = [
        {"metric": "http_req_duration", "type": "Point",
         "data": {"time": "2026-01-01T00:00:00Z", "value": 1.5, "tags": {"name": "/a"}}},
        {"type": "Point", "metric": "http_req_duration", "data": {"value": 2.5e0, "time": "t"}},  # odd order
        {"metric": "http_reqs", "type": "Point", "data": {"time": "t", "value": 1}},
        {"type": "Metric", "data": {"name": "http_reqs", "type": "counter"}, "metric": "http_reqs"},
    ]
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)
    assert trend_values([path], frozenset({"http_req_duration"})) == {"http_req_duration": [1.5, 2.5]}
    assert [p.tags for p in iter_points(path, frozenset({"http_req_duration"}))] == [{"name": "/a"}, {}]
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(b"not gzip")
    with pytest.raises(InfrastructureError, match="cannot read k6 points"):
        trend_values([broken], frozenset({"http_req_duration"}))
