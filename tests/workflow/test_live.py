"""Live mode end to end: a running service, no baseline, loaded through the proxy with real k6."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from kassi_cli import SHORT_LOAD, Kassi
from stdlib_app import DYING_APP

pytestmark = pytest.mark.e2e
SPEC = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/api/items": {"get": {"responses": {"200": {"description": "ok"}}}}}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "app.py").write_text(DYING_APP)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "app.py", str(port)], cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx2.get(f"{url}/health", timeout=1)
                break
            except httpx2.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the live service never answered /health (exit code {proc.poll()})")
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_live_run_of_a_healthy_service(kassi: Kassi, service: str, tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    code, record, stderr = kassi.run_json("--url", service, "--endpoint", "GET /api/items", "--openapi", str(spec),
                                          *SHORT_LOAD)
    assert code == 0, stderr
    assert record["mode"] == "live" and record["verdict"]["class"] == "HEALTHY"
    assert record["telemetry"]["live"]["/api/items"]["requests"] > 100
    assert record["telemetry"]["live"]["/api/items"]["5xx"] == 0


def test_live_bad_input_and_unreachable_service(kassi: Kassi, service: str, tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    code, record, _ = kassi.run_json("--url", service, "--endpoint", "GET /nope", "--openapi", str(spec))
    assert code == 2 and "endpoint not in the OpenAPI spec: GET /nope" in record["verdict"]["reason"]
    (tmp_path / "empty.json").write_text(json.dumps({"openapi": "3.1.0", "paths": {}}))
    code, record, _ = kassi.run_json("--url", service, "--endpoint", "GET /api/items", "--openapi",
                                     str(tmp_path / "empty.json"))
    assert code == 2 and "no usable operations" in record["verdict"]["reason"]
    code, record, _ = kassi.run_json("--url", service, "--endpoint", "items")
    assert code == 2 and "not an endpoint" in record["verdict"]["reason"]
    closed = f"http://127.0.0.1:{_free_port()}"
    code, record, _ = kassi.run_json("--url", closed, "--endpoint", "GET /api/items", *SHORT_LOAD)
    assert code == 3 and "nothing answers at 127.0.0.1" in record["verdict"]["reason"]
    assert record["ledger"]["sealed"] is True
