"""The transport inside Splunk: splunklib's real protocol code (Python 3.13, splunk-sdk 3.x) with a
session key, against a loopback HTTPS stand-in for splunkd (no Splunk runs here) that answers
``GET /services/server/info`` and ``POST /services/receivers/simple`` as the REST API reference shows
them: receivers/simple takes raw event text in the body and index, sourcetype, source and host as
query arguments, and answers an XML ``<response><results><result>`` with the event's metadata."""

from __future__ import annotations

import json
import ssl
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from kassi_bench.hec_stub import server_tls
from publish_support import REQUESTS, FinishedRun
from splunkd_stub import SERVER_INFO
from splunklib import client

from kassi_app.publish import PublishError, RetryPolicy, SplunklibTransport, publish_run

SESSION_KEY = "splunkd-session-key-0123456789"
FAST = RetryPolicy(attempts=3, first_delay_s=0.01, max_delay_s=0.05)


@dataclass
class Receiver:
    busy: int = 0
    posts: list[tuple[dict[str, str], str, str]] = field(default_factory=list)  # query, body, Authorization
    port: int = 0

    def lines(self, sourcetype: str) -> list[dict[str, Any]]:
        return [json.loads(line) for query, body, _ in self.posts if query.get("sourcetype") == sourcetype
                for line in body.splitlines()]


def _result(query: dict[str, str], size: int) -> str:
    fields = {"_index": query.get("index", "main"), "bytes": size, "host": query.get("host", ""),
              "source": query.get("source", ""), "sourcetype": query.get("sourcetype", "")}
    cells = "".join(f'<field k="{k}"><value><text>{v}</text></value></field>' for k, v in fields.items())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<response><results><result>{cells}</result></results></response>'


@pytest.fixture
def splunkd(certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            ok = urlsplit(self.path).path == "/services/server/info"
            self._reply(200 if ok else 404, SERVER_INFO if ok else "<response/>")

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if self.headers.get("Authorization") != f"Splunk {SESSION_KEY}":
                self._reply(401, '<response><messages><msg type="WARN">call not properly authenticated</msg>'
                                 "</messages></response>")
                return
            if url.path != "/services/receivers/simple":
                self._reply(404, "<response/>")
                return
            if state.busy > 0:
                state.busy -= 1
                self._reply(503, '<response><messages><msg type="ERROR">busy</msg></messages></response>')
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            state.posts.append((query, body, self.headers["Authorization"]))
            self._reply(200, _result(query, len(body)))

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_tls(*certificate).wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.port = server.server_address[1]
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def service(port: int, cert: Path) -> client.Service:
    """What a search command's ``self.service`` is: splunkd's URI and the session key it was handed."""
    return client.Service(scheme="https", host="127.0.0.1", port=port, token=SESSION_KEY, verify=True,
                          context=ssl.create_default_context(cafile=str(cert)))


@pytest.mark.skipif(sys.version_info < (3, 13), reason="Splunk 10.2+ runs app code on Python 3.13")
def test_this_is_the_python_and_sdk_splunk_runs() -> None:
    assert int(version("splunk-sdk").split(".")[0]) >= 3


def test_a_run_is_posted_to_receivers_simple_with_the_session_key(
        splunkd: Receiver, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    report = publish_run(finished_run.folder, SplunklibTransport(service(splunkd.port, certificate[0]), "kassi"))
    assert {auth for _, _, auth in splunkd.posts} == {f"Splunk {SESSION_KEY}"}
    assert {q["index"] for q, _, _ in splunkd.posts} == {"kassi"}
    assert {q["source"] for q, _, _ in splunkd.posts} == {"kassi"}
    assert len(splunkd.lines("kassi:access")) == len(splunkd.lines("kassi:client")) == REQUESTS
    assert [p["seq"] for p in splunkd.lines("kassi:phase")] == [0, 1, 2]
    run = splunkd.lines("kassi:run")
    assert len(run) == 1 and run[0]["run_id"] == finished_run.run_id and run[0]["ledger_verified"] is True
    assert sum(len(body.splitlines()) for _, body, _ in splunkd.posts) == report.events
    assert all(next(iter(json.loads(line))) == "_time" for _, body, _ in splunkd.posts for line in body.splitlines())


def test_busy_splunkd_is_retried_and_a_lasting_failure_keeps_the_run_unpublished(
        splunkd: Receiver, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    splunkd.busy = 2
    publish_run(finished_run.folder, SplunklibTransport(service(splunkd.port, certificate[0]), policy=FAST))
    assert len(splunkd.lines("kassi:run")) == 1
    assert all("index" not in q for q, _, _ in splunkd.posts), "no index: the role's default index"
    splunkd.busy = 1000
    with pytest.raises(PublishError, match="gave up after 3"):
        publish_run(finished_run.folder, SplunklibTransport(service(splunkd.port, certificate[0]), policy=FAST))
    assert (finished_run.folder / "unpublished.json").exists()
