"""`kassi run --url ... --telemetry splunk --traffic splunk`: the load is the service's own recent
requests, read from its access events in Splunk.

The loopback splunkd stub stands in for a Splunk search head (none can run here) and runs the SPL
kassi sends through ``spl_eval`` over events: some "recorded" before the run (the service's recent
traffic, one with a key in its path's query string, one from another host, one older than the
window), and those the service ships while kassi loads it. The real `kassi` CLI drives real k6.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from kassi_cli import SHORT_LOAD, Kassi
from spl_eval import SplEngine
from splunkd_stub import StubState, splunkd_stub

pytestmark = pytest.mark.e2e
TOKEN = "traffic-splunk-token-7"
ITEM_IDS = ("7", "42", "1001")


def _event(when: float, path: str, dest: str = "staging-1") -> dict[str, object]:
    return {"_time": when, "index": "web", "sourcetype": "access_combined", "dest": dest, "http_method": "GET",
            "uri_path": path, "status": "200", "response_time": "1.5", "bytes_out": "10"}


def _recorded(now: float) -> list[dict[str, object]]:
    """The service's traffic before the run: items 3:1 over users, in the last hour."""
    events = [_event(now - 3000 + i, f"/api/items/{ITEM_IDS[i % 3]}") for i in range(30)]
    events += [_event(now - 2000 + i, f"/api/users/{('ada', 'lin')[i % 2]}") for i in range(10)]
    events += [
        _event(now - 1500, "/api/items/9?api_key=s3cret-key"),  # a key logged in the path: never replayed
        _event(now - 1400, "/api/items/555", dest="prod-2"),  # another host's traffic
        _event(now - 90_000, "/api/items/888"),  # older than the window
        _event(now - 1300, "/api/other"),  # a route nobody asked for
    ]
    return events


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[str, Path, StubState, list[str]]]:
    state = StubState(SplEngine(_recorded(time.time())), f"Bearer {TOKEN}")
    served: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            started = time.time()
            if self.headers.get("X-Kassi-Lookup") is None:
                served.append(self.path)
            body = json.dumps([{"id": 1}]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            state.engine.events.append(_event(started, self.path))

        def log_message(self, *args: object) -> None:
            pass

    service = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=service.serve_forever, daemon=True)
    thread.start()
    with splunkd_stub(state) as port:
        config = tmp_path / "splunk.toml"
        config.write_text(
            "[splunk]\n"
            f'connection = {{ transport = "sdk", host = "127.0.0.1", port = {port}, scheme = "http" }}\n'
            'access = { index = "web", sourcetype = "access_combined", dest = "staging-1" }\n'
            "timing = { index_delay_s = 0.5, settle_poll_s = 0.5, settle_deadline_s = 30 }\n"
        )
        yield f"http://127.0.0.1:{service.server_address[1]}", config, state, served
    service.shutdown()
    service.server_close()
    thread.join(timeout=10)


def test_recent_splunk_traffic_is_the_load(kassi: Kassi, world: tuple[str, Path, StubState, list[str]]) -> None:
    url, config, state, served = world
    started = time.time()
    code, record, stderr = kassi.run_json(
        "--url", url, "--endpoint", "GET /api/items/{id}", "--endpoint", "GET /api/users/{name}",
        "--telemetry", "splunk", "--splunk-config", str(config), "--traffic", "splunk",
        *SHORT_LOAD, KASSI_SPLUNK_TOKEN=TOKEN,
    )
    assert code in (0, 1, 3), stderr
    assert record["replay"] == {"GET /api/items/{id}": 31, "GET /api/users/{name}": 10}
    # The SPL asked for exactly the asked routes, values quoted, over the recent window, and only the
    # method and path came back.
    recent = [r for r in state.requests if "| table http_method uri_path" in r["search"]]
    assert len(recent) == 1
    spl = recent[0]["search"]
    assert ('| where (http_method="GET" AND route="/api/items/{id}") OR '
            '(http_method="GET" AND route="/api/users/{name}")') in spl
    assert '| where \'dest\'="staging-1"' in spl
    assert spl.endswith("| sort 0 -_time | head 5000 | table http_method uri_path")
    assert started - 86_400 - 5 < float(recent[0]["earliest_time"]) < started - 86_400 + 60
    # The service got the recorded values, in the recorded mix; nothing from another host, nothing
    # older than the window, no key.
    items = Counter(p.rsplit("/", 1)[1] for p in served if p.startswith("/api/items/"))
    users = Counter(p.rsplit("/", 1)[1] for p in served if p.startswith("/api/users/"))
    assert set(items) == {*ITEM_IDS, "9"} and set(users) == {"ada", "lin"}
    assert not any("s3cret" in p or "api_key" in p for p in served)
    ratio = sum(items.values()) / sum(users.values())
    assert 2.0 < ratio < 4.5, (items, users)  # recorded 31:10


def test_splunk_traffic_needs_a_live_run_with_splunk_telemetry(kassi: Kassi, tmp_path: Path) -> None:
    code, record, _stderr = kassi.run_json(
        "--url", "http://127.0.0.1:9", "--endpoint", "GET /x", "--traffic", "splunk", *SHORT_LOAD)
    assert code == 2
    assert "--traffic splunk replays the service's access events in Splunk" in str(record.get("failure"))
