"""The proxy's corner cases, produced on purpose over raw sockets on both sides: a scripted upstream
(scripted_upstream.py) and a client that writes bytes and reads what comes back."""

from __future__ import annotations

import gzip
import http.client
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from scripted_upstream import Peer, scripted_upstream

from kassi_app.events import AccessEvent
from kassi_app.telemetry.proxy import AccessLogProxy

ROUTES = ["/echo", "/items/{id}"]


def ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


@contextmanager
def proxy_to(upstream_port: int, timeout_s: float = 5.0) -> Iterator[tuple[int, list[AccessEvent]]]:
    """The proxy in front of the scripted upstream; the events are complete once the block ends."""
    events: list[AccessEvent] = []
    proxy = AccessLogProxy("127.0.0.1", upstream_port, "run-e", "head", ROUTES, events.extend,
                           upstream_timeout=timeout_s)
    port = proxy.start()
    try:
        yield port, events
    finally:
        proxy.stop()


def client(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def response(sock: socket.socket) -> tuple[int, bytes]:
    """One response read off a raw client socket (keep-alive: it reads only this message)."""
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    return resp.status, resp.read()


def until_eof(sock: socket.socket) -> bytes:
    data = b""
    while piece := sock.recv(65536):
        data += piece
    return data


@pytest.mark.parametrize("with_body", [False, True])
def test_a_stale_keep_alive_is_retried_once_unless_the_request_had_a_body(with_body: bool) -> None:
    def script(peer: Peer) -> None:
        if peer.index == 0:
            peer.request()
            peer.send(ok(b"first"))
            peer.request()  # the second request arrives on the kept connection: close, no answer
            return
        while peer.request():
            peer.send(ok(b"fresh"))

    second = (b"POST /items/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody" if with_body
              else b"GET /items/1 HTTP/1.1\r\nHost: t\r\n\r\n")
    with scripted_upstream(script) as (up, received), proxy_to(up) as (port, events), client(port) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n")
        assert response(sock) == (200, b"first")
        sock.sendall(second)
        status, body = response(sock)
    if with_body:  # the body may have been consumed upstream: not safe to send twice
        assert status == 502 and b"closed the connection without a response" in body
        assert len(received) == 2
    else:
        assert (status, body) == (200, b"fresh")
        assert len(received) == 3 and received[1] == received[2]  # the same request, sent again
    assert [e.status for e in events] == [200, status]


def test_expect_100_continue_is_answered_by_the_proxy_and_not_forwarded() -> None:
    def script(peer: Peer) -> None:
        while peer.request():
            peer.send(ok(b"got it"))

    with scripted_upstream(script) as (up, received), proxy_to(up) as (port, _), client(port) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        interim = b""
        while b"\r\n\r\n" not in interim:
            interim += sock.recv(1)  # byte by byte: nothing past the interim response is read here
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        assert response(sock) == (200, b"got it")
    (forwarded,) = received
    assert forwarded.endswith(b"\r\n\r\nhello") and b"expect" not in forwarded.lower()


def test_interim_1xx_from_upstream_is_skipped() -> None:
    def script(peer: Peer) -> None:
        peer.request()
        peer.send(b"HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n" + ok(b"final"))

    with scripted_upstream(script) as (up, _), proxy_to(up) as (port, events), client(port) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        raw = until_eof(sock)
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n") and raw.endswith(b"\r\n\r\nfinal")
    assert b"103" not in raw
    assert [(e.status, e.bytes_out) for e in events] == [(200, 5)]


def test_a_body_ended_by_close_is_relayed_whole_and_closes_the_client() -> None:
    body = bytes(range(256)) * 800  # 200 KiB: several reads

    def script(peer: Peer) -> None:
        peer.request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n" + body)

    with scripted_upstream(script) as (up, _), proxy_to(up) as (port, events), client(port) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n")  # the client asked to keep it open
        raw = until_eof(sock)
    head, _, relayed = raw.partition(b"\r\n\r\n")
    assert relayed == body
    assert b"Connection: close" in head  # the client learns why the connection ends
    assert [(e.status, e.bytes_out, e.error) for e in events] == [(200, len(body), None)]


def test_an_upstream_body_that_stalls_times_out_and_is_logged() -> None:
    release = threading.Event()

    def script(peer: Peer) -> None:
        peer.request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        release.wait(10)  # never sends the other 990 bytes while the test runs

    try:
        with scripted_upstream(script) as (up, _), proxy_to(up, timeout_s=0.5) as (port, events), \
                client(port) as sock:
            sock.sendall(b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n")
            raw = until_eof(sock)  # the proxy gives up and closes the client connection
            release.set()
    finally:
        release.set()
    # a body this small goes out with its head in one write once whole, so the client got nothing:
    # a closed connection, never a message that looks complete
    assert raw == b""
    (event,) = events
    assert (event.status, event.error) == (200, "upstream body timed out")
    assert event.duration_ms >= 500


@pytest.mark.parametrize(("target", "forwarded", "route", "path"), [
    (b"http://example.com:8080/items/7?x=1", b"/items/7?x=1", "/items/{id}", "/items/7"),
    (b"http://example.com", b"/", "/", "/"),
])
def test_absolute_form_targets_are_forwarded_as_paths(target: bytes, forwarded: bytes, route: str,
                                                      path: str) -> None:
    def script(peer: Peer) -> None:
        peer.request()
        peer.send(ok(b"{}"))

    with scripted_upstream(script) as (up, received), proxy_to(up) as (port, events), client(port) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
        assert until_eof(sock).startswith(b"HTTP/1.1 200")
    assert received[0].startswith(b"GET " + forwarded + b" HTTP/1.1\r\n")
    (event,) = events
    assert event.uri_path == path and event.route.startswith(route)


def test_a_compressed_5xx_body_is_relayed_as_is_and_not_excerpted_as_text() -> None:
    compressed = gzip.compress(b"sqlite3.OperationalError: database is locked")

    def script(peer: Peer) -> None:
        peer.request()
        peer.send(b"HTTP/1.1 500 Internal Server Error\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
                  % (len(compressed), compressed))

    with scripted_upstream(script) as (up, _), proxy_to(up) as (port, events), client(port) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: t\r\n\r\n")
        assert response(sock) == (500, compressed)
    (event,) = events
    assert event.error == "HTTP 500 (gzip body)"
