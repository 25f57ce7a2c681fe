"""http1.py on its own, over real sockets: what the peer's bytes become (heads, relayed bodies) and
what it refuses. Each case feeds raw bytes into one end of a socket pair and reads the other."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable

import pytest

from kassi_app.telemetry.http1 import (
    HEAD_LIMIT,
    READ_SIZE,
    BodyTap,
    Head,
    ProtocolError,
    content_length,
    read_head,
    relay_chunked,
    relay_exact,
    relay_to_eof,
)

Relay = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def feed(data: bytes) -> socket.socket:
    """The reading end of a socket pair whose other end sends ``data`` (from a thread, so it may be
    larger than the socket buffers) and then closes."""
    ours, theirs = socket.socketpair()

    def send() -> None:
        with theirs:
            theirs.sendall(data)

    threading.Thread(target=send, daemon=True).start()
    return ours


async def _head(data: bytes) -> Head | None:
    reader, writer = await asyncio.open_connection(sock=feed(data), limit=HEAD_LIMIT)
    try:
        return await read_head(reader)
    finally:
        writer.close()


def head_of(data: bytes) -> Head | None:
    return asyncio.run(_head(data))


def relayed(data: bytes, relay: Relay) -> bytes:
    """What ``relay`` writes to a real socket when reading ``data`` from another."""
    out_ours, out_theirs = socket.socketpair()
    got = bytearray()

    def drain() -> None:
        with out_theirs:
            while piece := out_theirs.recv(65536):
                got.extend(piece)

    reader_thread = threading.Thread(target=drain, daemon=True)
    reader_thread.start()

    async def run() -> None:
        reader, in_writer = await asyncio.open_connection(sock=feed(data), limit=HEAD_LIMIT)
        _, writer = await asyncio.open_connection(sock=out_ours)
        try:
            await relay(reader, writer)
            await writer.drain()
        finally:
            writer.close()
            in_writer.close()

    asyncio.run(run())
    reader_thread.join(10)
    return bytes(got)


def test_heads_are_parsed_as_sent() -> None:
    sent = b"POST /a?b=1 HTTP/1.1\r\nHost: t\r\nX-A: 1\r\nx-a: 2\r\nConnection: keep-alive, TE\r\n\r\n"
    head = head_of(sent)
    assert head is not None and head.start == (b"POST", b"/a?b=1", b"HTTP/1.1")
    assert head.get(b"x-a") == b"2"  # the last of repeated headers
    assert head.tokens(b"connection") == {b"keep-alive", b"te"}
    assert head.serialize() == sent
    bare = head_of(b"HTTP/1.1 204\r\n\r\n")  # a status line without a reason phrase
    assert bare is not None and bare.start == (b"HTTP/1.1", b"204", b"")


def test_a_clean_end_of_stream_is_no_head() -> None:
    assert head_of(b"") is None
    assert head_of(b"\r\n") is None


@pytest.mark.parametrize(("data", "message"), [
    (b"GET / HTTP/1.1\r\nHost: t\r\n", "closed inside a message head"),
    (b"GARBAGE\r\n\r\n", "malformed start line"),
    (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", "malformed header line"),
    (b"GET / HTTP/1.1\r\nHost : t\r\n\r\n", "malformed header line"),  # space before the colon
    (b"GET / HTTP/1.1\r\nX: " + b"a" * (HEAD_LIMIT + 10) + b"\r\n\r\n", "message head too large"),
])
def test_bad_heads_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        head_of(data)


def test_content_length() -> None:
    assert content_length(Head((b"GET", b"/", b"HTTP/1.1"), [])) is None
    assert content_length(Head((b"GET", b"/", b"HTTP/1.1"), [(b"Content-Length", b"12")])) == 12
    for bad, message in ((b"12x", "bad Content-Length"), (b"-1", "bad Content-Length")):
        with pytest.raises(ProtocolError, match=message):
            content_length(Head((b"GET", b"/", b"HTTP/1.1"), [(b"Content-Length", bad)]))


def test_chunked_bodies_are_relayed_byte_for_byte_counting_only_the_payload() -> None:
    big = b"y" * (READ_SIZE + 5000)  # a chunk larger than one read takes the streaming path
    body = (b"5;ext=1\r\nhello\r\n" + b"%x\r\n" % len(big) + big + b"\r\n"
            + b"0\r\nX-Trailer: t\r\n\r\n")
    tap = BodyTap(keep=8)
    out = relayed(body + b"NEXT", lambda r, w: relay_chunked(r, w, tap, prefix=b"HEAD"))
    assert out == b"HEAD" + body  # framing, extensions and trailers as sent; nothing past the end
    assert tap.count == 5 + len(big) and bytes(tap.excerpt) == b"helloyyy"


@pytest.mark.parametrize(("body", "error"), [
    (b"zz\r\nhello\r\n0\r\n\r\n", ProtocolError),
    (b"5\r\nhelloXX0\r\n\r\n", ProtocolError),  # a chunk not followed by CRLF
    (b"5\r\nhel", asyncio.IncompleteReadError),  # the peer closed mid-chunk
])
def test_broken_chunked_bodies_are_refused(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        relayed(body, lambda r, w: relay_chunked(r, w))


@pytest.mark.parametrize("size", [10, READ_SIZE * 3 + 7])
def test_exact_bodies_are_relayed_whole_and_a_short_one_is_an_error(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    tap = BodyTap()
    assert relayed(data + b"NEXT", lambda r, w: relay_exact(r, w, size, tap, b"H")) == b"H" + data
    assert tap.count == size
    with pytest.raises(asyncio.IncompleteReadError):
        relayed(data[:-1], lambda r, w: relay_exact(r, w, size))


def test_a_body_delimited_by_close_is_relayed_to_the_end() -> None:
    data = b"q" * (READ_SIZE * 2 + 3)
    tap = BodyTap(keep=2)
    assert relayed(data, lambda r, w: relay_to_eof(r, w, tap, b"H")) == b"H" + data
    assert tap.count == len(data) and bytes(tap.excerpt) == b"qq"
