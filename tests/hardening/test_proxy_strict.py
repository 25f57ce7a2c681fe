"""The access-log proxy is as strict as a real proxy: raw sockets against the real proxy in front
of a real (stdlib) upstream that records every request path it receives."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator, Sequence

import pytest
from hardening_servers import Counting, serving

from kassi_app.events import AccessEvent
from kassi_app.telemetry.proxy import AccessLogProxy

HEAD = b"POST /x HTTP/1.1\r\nHost: t\r\n"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n"


@pytest.fixture
def proxy() -> Iterator[tuple[int, Counting, list[AccessEvent]]]:
    events: list[AccessEvent] = []

    def sink(batch: Sequence[AccessEvent]) -> None:
        events.extend(batch)

    with serving() as upstream:
        proxy = AccessLogProxy("127.0.0.1", upstream.server_address[1], "r", "head", ["/x"], sink,
                               upstream_timeout=5.0, idle_timeout=0.5)
        port = proxy.start()
        try:
            yield port, upstream, events
        finally:
            proxy.stop()


def exchange(port: int, data: bytes, pause_after: int | None = None) -> bytes:
    """Send ``data`` (optionally stalling after ``pause_after`` bytes) and read until the proxy closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        if pause_after is None:
            sock.sendall(data)
        else:
            sock.sendall(data[:pause_after])
        out = b""
        while chunk := sock.recv(65536):
            out += chunk
        return out


def still_serves(port: int, upstream: Counting) -> None:
    answer = exchange(port, b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert answer.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200")), answer[:200]
    assert "/x" in upstream.paths


CASES = {
    "Content-Length and Transfer-Encoding": HEAD + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                                            b"0\r\n\r\n" + SMUGGLED,
    "Transfer-Encoding not chunked": HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    "length with underscore": HEAD + b"Content-Length: 1_0\r\n\r\n0123456789" + SMUGGLED,
    "length in hex": HEAD + b"Content-Length: 0x10\r\n\r\n" + b"a" * 16 + SMUGGLED,
    "length with plus": HEAD + b"Content-Length: +5\r\n\r\nhello" + SMUGGLED,
    "negative length": HEAD + b"Content-Length: -1\r\n\r\n" + SMUGGLED,
    "conflicting lengths": HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!" + SMUGGLED,
    "chunk size with 0x": HEAD + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n" + SMUGGLED,
    "chunk size with underscore": HEAD + b"Transfer-Encoding: chunked\r\n\r\n1_0\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n",
    "too many headers": b"GET /x HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(300)) + b"\r\n",
    "head too large": b"GET /x HTTP/1.1\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n",
    "trailers too large": HEAD + b"Transfer-Encoding: chunked\r\n\r\n0\r\n"
                          + b"".join(b"X-T%d: %s\r\n" % (i, b"t" * 100) for i in range(400)) + b"\r\n",
    "long X-Kassi-Block": b"GET /x HTTP/1.1\r\nHost: t\r\nX-Kassi-Block: " + b"9" * 5000 + b"\r\n\r\n",
    "invalid X-Kassi-Block": b"GET /x HTTP/1.1\r\nHost: t\r\nX-Kassi-Block: 1e9\r\n\r\n",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_with_400_and_nothing_smuggled(proxy: tuple[int, Counting, list[AccessEvent]], case: str) -> None:
    port, upstream, _ = proxy
    answer = exchange(port, CASES[case])
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), answer[:200]
    assert answer.count(b"HTTP/1.1") == 1  # one answer, then the connection is closed
    assert "/smuggled" not in upstream.paths
    still_serves(port, upstream)


def test_an_idle_connection_is_closed(proxy: tuple[int, Counting, list[AccessEvent]]) -> None:
    port, upstream, _ = proxy
    started = time.monotonic()
    assert exchange(port, b"") == b""  # nothing sent: closed after the idle timeout, not held open
    assert time.monotonic() - started < 5
    partial = b"GET /x HTTP/1.1\r\nHost: t\r\n"
    assert exchange(port, partial + b"\r\n", pause_after=len(partial)) == b""  # a head that never ends
    still_serves(port, upstream)


def test_a_stalled_request_body_is_a_400(proxy: tuple[int, Counting, list[AccessEvent]]) -> None:
    port, upstream, _ = proxy
    data = HEAD + b"Content-Length: 10\r\n\r\n0123456789"
    answer = exchange(port, data, pause_after=len(data) - 7)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    still_serves(port, upstream)
    assert "/x" in upstream.paths


def test_the_error_excerpt_of_an_event_is_redacted_at_the_source() -> None:
    """Access events may be published (HEC) before they are stored: the proxy redacts the 5xx body
    excerpt it keeps, not only the store."""
    events: list[AccessEvent] = []
    with serving() as upstream:
        proxy = AccessLogProxy("127.0.0.1", upstream.server_address[1], "r", "head", ["/fail"], events.extend)
        with proxy:
            answer = exchange(proxy.port, b"GET /fail HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            assert b"abcdefghijklmnopqrstuvwxyz0123" in answer  # the client gets the body as it was
    (event,) = events
    assert event.status == 500 and event.error == "db error: Authorization: Bearer *** refused"
