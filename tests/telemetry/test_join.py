"""The client/server join: k6's view and the proxy's view of the same requests, paired by
``X-Kassi-Request-Id``, and the per-variant, per-endpoint gap the run record keeps."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from kassi_app.events import AccessEvent, ClientEvent
from kassi_app.load.points import client_events
from kassi_app.telemetry.join import gap_summary, pair_requests


def server(request_id: str | None, ms: float, method: str = "POST", variant: str = "head") -> AccessEvent:
    return AccessEvent(1.0, "r1", variant, method, "/api/loans", "/api/loans", 200, ms, 10,  # type: ignore[arg-type]
                       request_id=request_id)


def client(request_id: str | None, ms: float) -> ClientEvent:
    return ClientEvent(1.0, "r1", "head", request_id, "POST", "/api/loans", 200, ms, "high", 1)


def test_requests_pair_by_id_only_and_the_gap_is_per_request() -> None:
    pairs = pair_requests([client("a", 12.0), client("b", 33.0), client(None, 5.0), client("z", 9.0)],
                          [server("b", 30.0), server("a", 10.0), server(None, 5.0), server("c", 1.0)])
    assert [(p.request_id, p.gap_ms) for p in pairs] == [("a", 2.0), ("b", 3.0)]
    summary = gap_summary(pairs)
    assert summary == {"head": {"POST /api/loans": {
        "client_p50_ms": 22.5, "client_p95_ms": 31.95, "server_p50_ms": 20.0, "server_p95_ms": 29.0,
        "gap_p50_ms": 2.5, "gap_p95_ms": 2.95, "pairs": 2}}}


def test_gap_quantiles_are_of_the_differences_not_differences_of_quantiles() -> None:
    clients = [client(str(i), ms) for i, ms in enumerate([10.0, 20.0, 100.0])]
    servers = [server(str(i), ms) for i, ms in enumerate([9.0, 1.0, 99.0])]
    figures = gap_summary(pair_requests(clients, servers))["head"]["POST /api/loans"]
    assert figures["gap_p50_ms"] == pytest.approx(float(np.percentile([1.0, 19.0, 1.0], 50)))
    assert figures["gap_p50_ms"] != figures["client_p50_ms"] - figures["server_p50_ms"]


def test_client_events_come_from_each_blocks_points_with_their_ids(tmp_path: Path) -> None:
    folder = tmp_path / "k6-block02-base"
    folder.mkdir()
    lines = [
        {"metric": "http_req_duration", "type": "Point",
         "data": {"time": "2026-11-29T05:00:01.123456789Z", "value": 4.5,
                  "tags": {"method": "GET", "name": "/api/books", "status": "200", "scenario": "low"},
                  "metadata": {"kassi_request_id": "2-1-abc-1"}}},
        {"metric": "http_reqs", "type": "Point", "data": {"time": "2026-11-29T05:00:01Z", "value": 1, "tags": {}}},
        {"metric": "http_req_duration", "type": "Point",
         "data": {"time": "2026-11-29T05:00:02Z", "value": 0, "tags": {"method": "GET", "name": "/x", "status": "0"}}},
    ]
    with gzip.open(folder / "k6-seg0of2-points.json.gz", "wt") as fh:
        fh.write("\n".join(json.dumps(line, separators=(",", ":")) for line in lines) + "\n")
    (tmp_path / "k6-block03-nonsense").mkdir()
    first, second = client_events(tmp_path, "r1")
    assert (first.request_id, first.variant, first.block, first.stage, first.route, first.status) == (
        "2-1-abc-1", "base", 2, "low", "/api/books", 200)
    assert first._time == pytest.approx(1795928401.123456) and first.duration_ms == 4.5
    assert (second.request_id, second.stage, second.status) == (None, "", 0)
