"""Live-mode verdicts against real services (started here) loaded by real k6 through kassi's proxy.

Each service has one known behaviour (see ``live_targets``); the load is a few seconds per run.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kassi_cli import Kassi
from live_targets import LIVE_APP

pytestmark = pytest.mark.e2e
LOAD = ("--low-duration", "1.5", "--high-duration", "2.5", "--rounds", "2")
ITEMS = "GET /api/items"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Start the live service in a given mode; every one started is stopped after the test."""
    (tmp_path / "app.py").write_text(LIVE_APP)
    procs: list[subprocess.Popen[bytes]] = []

    def run(mode: str) -> str:
        port = _free_port()
        procs.append(subprocess.Popen([sys.executable, "app.py", str(port), mode], cwd=tmp_path))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1).close()
                return url
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the {mode} service did not start")

    yield run
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def _spec(tmp_path: Path, *routes: str) -> str:
    paths = {r: {"get": {"responses": {"200": {"description": "ok"}}}} for r in routes}
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths}))
    return str(spec)


def _route(record: dict[str, Any], route: str) -> dict[str, Any]:
    return next(r for r in record["verdict"]["routes"] if r["route"] == route)


def test_a_saturated_healthy_server_is_healthy(kassi: Kassi, start: Callable[[str], str]) -> None:
    """CPU-bound under the GIL: latency grows with users while throughput holds — queueing, not a fault."""
    code, record, stderr = kassi.run_json("--url", start("saturated"), "--endpoint", ITEMS, *LOAD)
    verdict = record["verdict"]
    assert code == 0 and verdict["class"] == "HEALTHY", (verdict.get("reason"), stderr[-2000:])
    effects = _route(record, "/api/items")["effects"]
    assert effects["throughput_drop_pct"] < 20 and "mde_ms" in effects
    assert "latency was not judged against an SLO" in verdict["reason"]


def test_a_global_lock_that_degrades_as_users_rise_is_flagged(kassi: Kassi, start: Callable[[str], str]) -> None:
    code, record, stderr = kassi.run_json("--url", start("convoy"), "--endpoint", ITEMS, *LOAD)
    verdict = record["verdict"]
    route = _route(record, "/api/items")
    assert code == 1 and verdict["class"] == "DEGRADING", (verdict.get("reason"), stderr[-2000:])
    assert "scaling" in {s["name"] for s in route["signals"]}
    assert route["effects"]["usl_kappa"] > 0
    assert verdict["root_cause"]["kind"] == "lock_contention"


def test_the_asked_route_decides_and_a_failing_background_route_is_also_seen(
    kassi: Kassi, start: Callable[[str], str], tmp_path: Path
) -> None:
    spec = _spec(tmp_path, "/api/items", "/api/broken")
    code, record, stderr = kassi.run_json("--url", start("mixed"), "--endpoint", ITEMS, "--openapi", spec, *LOAD)
    verdict = record["verdict"]
    assert code == 0 and verdict["class"] == "HEALTHY", (verdict.get("reason"), stderr[-2000:])
    broken = _route(record, "/api/broken")
    assert broken["class"] == "REGRESSION" and broken["decides"] is False
    assert "Also seen, not deciding: GET /api/broken: REGRESSION" in verdict["reason"]


def test_a_429_limiter_is_throttled(kassi: Kassi, start: Callable[[str], str]) -> None:
    code, record, stderr = kassi.run_json("--url", start("limited"), "--endpoint", ITEMS, *LOAD)
    verdict = record["verdict"]
    assert code == 0 and verdict["class"] == "THROTTLED", (verdict.get("reason"), stderr[-2000:])
    assert verdict["root_cause"]["kind"] == "rate_limit"
