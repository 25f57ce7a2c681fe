"""`kassi run --url ... --telemetry splunk`: a live run judged from the service's own access log.

The service (splunk_logged_service: a stdlib HTTP server in this process) ships one CIM Web event per
request it answers to the loopback splunkd stub (standing in for a Splunk indexer + search head), with no proxy in
the path. The real `kassi` console script drives real k6 at the service, then reads every number
it judges from the stub through splunklib.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kassi_cli import SHORT_LOAD, Kassi
from spl_eval import SplEngine
from splunk_logged_service import logged_service
from splunkd_stub import StubState, splunkd_stub

pytestmark = pytest.mark.e2e
TOKEN = "live-run-splunk-token-42"
ROUTE = "/api/items/{id}"


@pytest.fixture
def kassi(tmp_path: Path) -> Kassi:
    return Kassi(tmp_path / "home")


@pytest.fixture(params=[False, True], ids=["healthy", "failing"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path, StubState, bool]]:
    state = StubState(SplEngine([]), f"Bearer {TOKEN}")
    with logged_service(state.engine, request.param) as url, splunkd_stub(state) as port:
        config = tmp_path / "splunk.toml"
        config.write_text(
            "[splunk]\n"
            f'connection = {{ transport = "sdk", host = "127.0.0.1", port = {port}, scheme = "http" }}\n'
            'access = { index = "web", sourcetype = "access_combined", dest = "staging-1" }\n'
            "timing = { index_delay_s = 0.5, settle_poll_s = 0.5, settle_deadline_s = 30 }\n"
        )
        yield url, config, state, request.param


def test_live_run_judges_from_splunk(kassi: Kassi, world: tuple[str, Path, StubState, bool]) -> None:
    url, config, state, failing = world
    past = [2.0, 3.0, 4.0]  # earlier live runs of this service as kassi published them (kassi:run)
    for k, p95 in enumerate(past):
        body = {"run_id": f"past-{k}", "repo": url, "telemetry": {"live": {ROUTE: {"p95_ms": p95}}}}
        state.engine.events.append({"_time": time.time() - 3600 * (k + 1), "index": "kassi", "sourcetype": "kassi:run",
                                    "run_id": body["run_id"], "_raw": json.dumps(body)})
    other = {"run_id": "another-service", "repo": "http://10.0.0.9", "telemetry": {"live": {ROUTE: {"p95_ms": 900.0}}}}
    state.engine.events.append({"_time": time.time() - 60, "index": "kassi", "sourcetype": "kassi:run",
                                "run_id": other["run_id"], "_raw": json.dumps(other)})
    code, record, stderr = kassi.run_json(
        "--url", url, "--endpoint", "GET /api/items/{id}", "--telemetry", "splunk", "--splunk-config", str(config),
        *SHORT_LOAD, KASSI_SPLUNK_TOKEN=TOKEN,
    )
    assert record, stderr
    served = [e for e in state.engine.events if e.get("uri_path", "").startswith("/api/items/")]
    stats = record["telemetry"]["live"]["/api/items/{id}"]
    assert stats["requests"] == len(served) > 50  # every request the service logged, none from a proxy
    assert record["request"]["telemetry"] == "splunk"
    assert set(record["telemetry"]["live"]) == {"/api/items/{id}"}  # setup's GET /api/items is no loaded route
    assert any("| stats count" in spl and spl.endswith("| stats count") for spl in state.engine.seen)  # settle
    if failing:
        assert stats["5xx"] == len(served)
        assert record["verdict"]["class"] == "REGRESSION" and code == 1, record["verdict"]
    else:
        assert stats["5xx"] == 0
        assert record["verdict"]["class"] == "HEALTHY" and code == 0, record["verdict"]
    assert TOKEN not in json.dumps(record) and TOKEN not in stderr
    # Live mode's baseline, advisory: this run's p95 beside the route's own history in Splunk (not
    # another service's), in the route result and the evidence; the class above is the tests' alone.
    route = next(r for r in record["verdict"]["routes"] if r["route"] == ROUTE)
    assert route["history"]["runs"] == len(past) and route["history"]["median_ms"] == 3.0, route
    assert route["history"]["p95_ms"] == pytest.approx(stats["p95_ms"], abs=0.01)
    assert any(e["source"] == "store query" and "last 3 runs: median 3.0 ms" in e["fact"]
               for e in record["verdict"]["evidence"])


@pytest.mark.parametrize("world", [False], indirect=True, ids=["healthy"])
def test_missing_token_is_refused_before_any_load(kassi: Kassi, world: tuple[str, Path, StubState, bool]) -> None:
    url, config, state, _ = world
    code, record, _stderr = kassi.run_json(
        "--url", url, "--endpoint", "GET /api/items/{id}", "--telemetry", "splunk", "--splunk-config", str(config),
        *SHORT_LOAD, KASSI_SPLUNK_TOKEN="",
    )
    assert code == 2 and "KASSI_SPLUNK_TOKEN" in str(record.get("failure"))
    assert state.engine.events == [] and state.requests == []
