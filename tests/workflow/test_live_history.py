"""A live run through kassi's proxy reports each route's p95 beside its own history from the embedded
store (past run records of the same URL), advisory: the class comes from this run's tests alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kassi_cli import SHORT_LOAD, Kassi
from spl_eval import SplEngine
from splunk_logged_service import logged_service

from kassi_app.telemetry.history import RouteP95HistoryQuery
from kassi_app.telemetry.store import SQLiteStore

pytestmark = pytest.mark.e2e
ROUTE = "/api/items/{id}"


def _past_run(url: str, run_id: str, p95: float) -> dict[str, object]:
    """A past live run's record, with the keys conclude writes (and the history query reads)."""
    return {"run_id": run_id, "mode": "live", "request": {"mode": "live", "url": url},
            "telemetry": {"live": {ROUTE: {"requests": 100, "p95_ms": p95}}}}


def test_a_live_run_reports_its_p95_against_the_routes_history(tmp_path: Path) -> None:
    kassi = Kassi(tmp_path / "home")
    kassi.home.mkdir()
    with logged_service(SplEngine([]), failing=False) as url:
        with SQLiteStore(kassi.home / "kassi.db") as store:
            for k, p95 in enumerate((5.0, 6.0, 7.0, 8.0)):
                store.put_run(f"past-{k}", _past_run(url, f"past-{k}", p95))
            store.put_run("other", _past_run("http://127.0.0.1:1", "other", 500.0))  # another service
        code, record, stderr = kassi.run_json("--url", url, "--endpoint", f"GET {ROUTE}", *SHORT_LOAD)
    assert record, stderr
    assert record["verdict"]["class"] == "HEALTHY" and code == 0, record["verdict"]
    route = next(r for r in record["verdict"]["routes"] if r["route"] == ROUTE)
    history = route["history"]
    assert (history["runs"], history["median_ms"], history["low_ms"], history["high_ms"]) == (4, 6.5, 5.75, 7.25)
    assert history["p95_ms"] == pytest.approx(record["telemetry"]["live"][ROUTE]["p95_ms"], abs=0.01)
    fact = f"GET {ROUTE}: p95 {history['p95_ms']:.1f} ms; last 4 runs: median 6.5 ms"
    assert any(fact in e["fact"] and e["source"] == "store query" for e in record["verdict"]["evidence"])
    run_dir = kassi.home / "runs" / record["run_id"]
    assert fact in (run_dir / "analysis.md").read_text()
    # This run's record is the next run's history: found first, by the same query.
    with SQLiteStore(kassi.home / "kassi.db") as store:
        points = store.ask(RouteP95HistoryQuery(ROUTE, "live", runs=20, target=url))
    assert [p.run_id for p in points][:1] == [record["run_id"]] and len(points) == 5
    stored = json.loads((run_dir / "run.json").read_text())["verdict"]["routes"]
    assert next(r for r in stored if r["route"] == ROUTE)["history"] == history
