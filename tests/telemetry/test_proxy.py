"""The access-log proxy against a real uvicorn upstream over real loopback sockets."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
from collections.abc import Iterator, Sequence

import pytest

from kassi_app.events import AccessEvent
from kassi_app.telemetry.proxy import AccessLogProxy

ROUTES = ["/echo", "/items/{id}", "/items/new", "/files/{rest:path}", "/boom", "/stream", "/slow"]


class Collected:
    def __init__(self) -> None:
        self.events: list[AccessEvent] = []

    def __call__(self, batch: Sequence[AccessEvent]) -> None:
        self.events.extend(batch)


@pytest.fixture
def proxied(upstream_port: int) -> Iterator[tuple[int, Collected, AccessLogProxy]]:
    sink = Collected()
    proxy = AccessLogProxy("127.0.0.1", upstream_port, "run-1", "head", ROUTES, sink, upstream_timeout=1.0)
    port = proxy.start()
    try:
        yield port, sink, proxy
    finally:
        proxy.stop()


def _conn(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def test_forwards_method_body_headers_and_status(proxied: tuple[int, Collected, AccessLogProxy]) -> None:
    port, sink, proxy = proxied
    conn = _conn(port)
    body = os.urandom(5000)
    conn.request(
        "PUT",
        "/items/42?x=1",
        body=body,
        headers={
            "X-Custom": "yes",
            "X-Kassi-Route": "/items/{id}",
            "X-Kassi-Stage": "high",
            "X-Kassi-Block": "3",
            "X-Kassi-Request-Id": "3-7-k2x9q1-12",
        },
    )
    resp = conn.getresponse()
    seen = json.loads(resp.read())
    assert resp.status == 200
    assert seen["method"] == "PUT" and seen["path"] == "/items/42" and seen["query"] == "x=1"
    assert seen["body_size"] == 5000 and seen["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert seen["headers"]["x-custom"] == "yes"
    assert not any(h.startswith("x-kassi-") for h in seen["headers"])
    conn.request("GET", "/echo?status=404")
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 404
    proxy.stop()
    first, second = sink.events
    assert (first.http_method, first.route, first.uri_path, first.status) == (
        "PUT",
        "/items/{id}",
        "/items/42",
        200,
    )
    assert (first.stage, first.block, first.run_id, first.variant) == ("high", 3, "run-1", "head")
    assert first.bytes_out == len(json.dumps(seen)) and first.duration_ms > 0 and first.error is None
    assert (second.status, second.stage, second.block) == (404, "", -1)
    assert (first.request_id, second.request_id) == ("3-7-k2x9q1-12", None)


def test_route_templating_most_specific_wins(proxied: tuple[int, Collected, AccessLogProxy]) -> None:
    port, sink, proxy = proxied
    conn = _conn(port)
    for path in ["/items/7", "/items/new", "/files/a/b/c.txt", "/unknown/9"]:
        conn.request("GET", path)
        conn.getresponse().read()
    proxy.stop()
    assert [e.route for e in sink.events] == ["/items/{id}", "/items/new", "/files/{rest:path}", "/unknown/9"]


def test_keep_alive_both_sides(proxied: tuple[int, Collected, AccessLogProxy]) -> None:
    port, sink, proxy = proxied
    conn = _conn(port)
    client_ports, upstream_ports = set(), set()
    for _ in range(20):
        conn.request("GET", "/echo")
        resp = conn.getresponse()
        upstream_ports.add(json.loads(resp.read())["client_port"])
        assert conn.sock is not None
        client_ports.add(conn.sock.getsockname()[1])
    assert len(client_ports) == 1, "client connection was not kept alive"
    assert len(upstream_ports) == 1, "upstream connection was not reused from the pool"
    proxy.stop()
    assert len(sink.events) == 20


def test_chunked_request_and_large_streamed_response(proxied: tuple[int, Collected, AccessLogProxy]) -> None:
    port, sink, proxy = proxied
    conn = _conn(port)
    pieces = [os.urandom(100_000) for _ in range(5)]
    conn.request("POST", "/echo", body=iter(pieces), encode_chunked=True)
    seen = json.loads(conn.getresponse().read())
    assert seen["headers"]["transfer-encoding"] == "chunked"
    assert seen["body_size"] == 500_000
    assert seen["body_sha256"] == hashlib.sha256(b"".join(pieces)).hexdigest()
    size = 20 * 1024 * 1024
    conn.request("GET", f"/stream?n={size}")
    resp = conn.getresponse()
    assert resp.getheader("transfer-encoding") == "chunked"
    total = 0
    while chunk := resp.read(1 << 20):
        total += len(chunk)
    assert total == size
    proxy.stop()
    assert sink.events[-1].bytes_out == size and sink.events[-1].route == "/stream"


def test_head_204_and_connection_close(proxied: tuple[int, Collected, AccessLogProxy]) -> None:
    port, sink, proxy = proxied
    conn = _conn(port)
    conn.request("HEAD", "/echo")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read() == b"" and int(resp.getheader("content-length") or 0) > 0
    conn.request("GET", "/nocontent")
    resp = conn.getresponse()
    assert resp.status == 204 and resp.read() == b""
    conn.request("GET", "/echo", headers={"Connection": "close"})
    resp = conn.getresponse()
    resp.read()
    assert resp.getheader("connection") == "close"
    proxy.stop()
    assert [(e.http_method, e.status, e.bytes_out) for e in sink.events[:2]] == [
        ("HEAD", 200, 0),
        ("GET", 204, 0),
    ]


def test_5xx_body_excerpt(proxied: tuple[int, Collected, AccessLogProxy]) -> None:
    port, sink, proxy = proxied
    conn = _conn(port)
    conn.request("GET", "/boom")
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 500 and len(body) > 300
    proxy.stop()
    (event,) = sink.events
    assert event.error is not None
    assert event.error.startswith("sqlite3.OperationalError: database is locked detail")
    assert len(event.error) <= 300 and event.bytes_out == len(body)


def test_upstream_refusing_gives_502_event(closed_port: int) -> None:
    sink = Collected()
    with AccessLogProxy("127.0.0.1", closed_port, "run-2", "base", ROUTES, sink) as proxy:
        conn = _conn(proxy.port)
        conn.request("GET", "/items/3", headers={"X-Kassi-Block": "1"})
        resp = conn.getresponse()
        assert resp.status == 502 and b"refused" in resp.read()
    (event,) = sink.events
    assert event.status == 502 and event.route == "/items/{id}" and event.block == 1
    assert event.error is not None and "refused" in event.error


def test_upstream_timeout_gives_504(proxied: tuple[int, Collected, AccessLogProxy]) -> None:
    port, sink, proxy = proxied
    conn = _conn(port)
    conn.request("GET", "/slow?s=5")
    resp = conn.getresponse()
    assert resp.status == 504
    resp.read()
    conn.request("GET", "/echo")  # the client connection still works after a 504
    assert conn.getresponse().status == 200
    proxy.stop()
    assert sink.events[0].status == 504 and "no response within 1s" in (sink.events[0].error or "")
    # it waited its 1 s and gave up well before the upstream's 5 s answer (a busy machine may add
    # to the wait, never remove from it)
    assert 950 <= sink.events[0].duration_ms < 5000


def test_garbage_request_is_answered_400_and_closed(proxied: tuple[int, Collected, AccessLogProxy]) -> None:
    port, sink, proxy = proxied
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"NOT HTTP\r\nbad header line\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    proxy.stop()
    assert sink.events == []


def test_a_lookup_is_relayed_but_never_recorded(proxied: tuple[int, Collected, AccessLogProxy]) -> None:
    """The load's id and CSRF-token lookups (``X-Kassi-Lookup``) are not load: no event, so no
    lookup is ever counted as a measured route."""
    port, sink, proxy = proxied
    conn = _conn(port)
    conn.request("GET", "/items/7", headers={"X-Kassi-Lookup": "1", "X-Kassi-Route": "/items"})
    resp = conn.getresponse()
    seen = json.loads(resp.read())
    assert resp.status == 200 and seen["path"] == "/items/7"
    assert not any(h.startswith("x-kassi-") for h in seen["headers"])
    conn.request("GET", "/items/8", headers={"X-Kassi-Block": "1"})
    conn.getresponse().read()
    proxy.stop()
    assert [e.uri_path for e in sink.events] == ["/items/8"]
