"""The small slice of HTTP/1.1 the access-log proxy needs: message heads and streamed body framing.

Hand-written over asyncio streams rather than h11: the proxy relays bodies as raw bytes (chunk
framing included) without re-encoding them, and h11's per-event object churn costs more than the
<= 1 ms p50 budget of ``kassi bench proxy`` allows on this 2-core machine.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

READ_SIZE = 65536
HEAD_LIMIT = 262144
"""Bytes one message head (or one chunk-size line) may take: larger is refused, never buffered."""
MAX_HEADERS = 128
"""Header lines one head may carry (real servers stop at about 100)."""
MAX_TRAILER_BYTES = 16384
"""Bytes of trailer fields after a chunked body."""
_DIGITS = re.compile(rb"^[0-9]{1,18}$")
_HEX = re.compile(rb"^[0-9A-Fa-f]{1,16}$")
HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"upgrade"})


class ProtocolError(Exception):
    """The peer sent something that is not HTTP/1.x this proxy can relay."""


@dataclass
class Head:
    """A request or response head. ``start`` holds the three parts of the first line."""

    start: tuple[bytes, bytes, bytes]
    headers: list[tuple[bytes, bytes]]

    def get(self, name: bytes) -> bytes | None:
        """The value of the last header called ``name`` (lower case), if any."""
        value = None
        for key, val in self.headers:
            if key.lower() == name:
                value = val
        return value

    def tokens(self, name: bytes) -> set[bytes]:
        """The comma-separated, lower-cased tokens of every header called ``name``."""
        out: set[bytes] = set()
        for key, val in self.headers:
            if key.lower() == name:
                out.update(t.strip().lower() for t in val.split(b","))
        return out

    def serialize(self, extra: bytes = b"") -> bytes:
        """The head as wire bytes, with the raw header lines ``extra`` appended."""
        lines = [b" ".join(self.start)]
        lines.extend(k + b": " + v for k, v in self.headers)
        return b"\r\n".join(lines) + b"\r\n" + extra + b"\r\n"


async def read_head(reader: asyncio.StreamReader) -> Head | None:
    """Read one message head; None on a clean end of stream before any byte."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise ProtocolError("connection closed inside a message head") from exc
    except asyncio.LimitOverrunError as exc:
        raise ProtocolError("message head too large") from exc
    lines = raw[:-4].split(b"\r\n")
    first = lines[0].split(b" ", 2)
    if len(first) == 2:  # a response line without a reason phrase
        first.append(b"")
    if len(first) != 3:
        raise ProtocolError(f"malformed start line: {lines[0][:80]!r}")
    if len(lines) - 1 > MAX_HEADERS:
        raise ProtocolError(f"more than {MAX_HEADERS} header lines")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise ProtocolError(f"malformed header line: {line[:80]!r}")
        headers.append((name, value.strip()))
    return Head((first[0], first[1], first[2]), headers)


class BodyTap:
    """Counts the payload bytes that pass and keeps the first ``keep`` of them (for error excerpts)."""

    __slots__ = ("count", "excerpt", "keep")

    def __init__(self, keep: int = 0) -> None:
        self.count = 0
        self.keep = keep
        self.excerpt = bytearray()

    def see(self, data: bytes) -> None:
        self.count += len(data)
        room = self.keep - len(self.excerpt)
        if room > 0:
            self.excerpt += data[:room]


def _see(tap: BodyTap | None, data: bytes) -> None:
    if tap is not None:
        tap.see(data)


async def _drain_if_full(writer: asyncio.StreamWriter) -> None:
    if writer.transport.get_write_buffer_size() > READ_SIZE:
        await writer.drain()


async def relay_exact(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    n: int,
    tap: BodyTap | None = None,
    prefix: bytes = b"",
) -> None:
    """Copy exactly ``n`` bytes after ``prefix`` (a head not yet sent).

    A body that fits one piece goes out with the prefix in one write (one syscall, one segment);
    a larger one goes in bounded pieces, so it never sits whole in memory.
    """
    if n <= READ_SIZE:
        data = await reader.readexactly(n)
        writer.write(prefix + data)
        _see(tap, data)
        return
    writer.write(prefix)
    while n > 0:
        data = await reader.read(min(n, READ_SIZE))
        if not data:
            raise asyncio.IncompleteReadError(b"", n)
        n -= len(data)
        writer.write(data)
        _see(tap, data)
        await _drain_if_full(writer)


async def relay_chunked(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    tap: BodyTap | None = None,
    prefix: bytes = b"",
) -> None:
    """Copy a chunked body as-is (sizes, extensions, trailers), counting only the payload.

    Each chunk is forwarded as soon as it has arrived (streaming), framing and data in one write.
    """
    out = bytearray(prefix)
    while True:
        size_line = await reader.readuntil(b"\r\n")
        digits = size_line.split(b";", 1)[0].rstrip(b" \t\r\n")
        if not _HEX.match(digits):  # not int(..., 16): it takes "0x10", "1_0", "+5" and spaces
            raise ProtocolError(f"bad chunk size line: {size_line[:40]!r}")
        size = int(digits, 16)
        out += size_line
        if size == 0:
            trailer = 0
            while True:  # trailers, then the empty line that ends the body
                line = await reader.readuntil(b"\r\n")
                trailer += len(line)
                if trailer > MAX_TRAILER_BYTES:
                    raise ProtocolError(f"trailers longer than {MAX_TRAILER_BYTES} bytes")
                out += line
                if line == b"\r\n":
                    writer.write(out)
                    return
        if size <= READ_SIZE:
            data = await reader.readexactly(size + 2)
            out += data
            _see(tap, data[:-2])
        else:
            await relay_exact(reader, writer, size, tap, bytes(out))
            data = await reader.readexactly(2)
            out = bytearray(data)
        if not data.endswith(b"\r\n"):
            raise ProtocolError("chunk not followed by CRLF")
        if size <= READ_SIZE:
            writer.write(out)
            out = bytearray()
        await _drain_if_full(writer)


async def relay_to_eof(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    tap: BodyTap | None = None,
    prefix: bytes = b"",
) -> None:
    """Copy a body delimited by the connection closing (responses with no length)."""
    writer.write(prefix)
    while data := await reader.read(READ_SIZE):
        writer.write(data)
        _see(tap, data)
        await _drain_if_full(writer)


def content_length(head: Head) -> int | None:
    """The declared Content-Length, None when absent; ProtocolError unless every Content-Length
    header is the same plain run of ASCII digits (``int()`` would take "1_0", "+5", " 5")."""
    values = {v for k, v in head.headers if k.lower() == b"content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise ProtocolError("conflicting Content-Length headers")
    (raw,) = values
    if not _DIGITS.match(raw):
        raise ProtocolError(f"bad Content-Length: {raw[:40]!r}")
    return int(raw)


def is_chunked(head: Head) -> bool:
    return b"chunked" in head.tokens(b"transfer-encoding")


def check_request_framing(head: Head) -> None:
    """Refuse the framings request smuggling is built on (RFC 9112 6.1, 6.3): Content-Length next to
    Transfer-Encoding, a Transfer-Encoding other than ``chunked``, a malformed length."""
    encodings = [t for t in head.tokens(b"transfer-encoding") if t]
    has_te = any(k.lower() == b"transfer-encoding" for k, _ in head.headers)
    if has_te and any(k.lower() == b"content-length" for k, _ in head.headers):
        raise ProtocolError("both Content-Length and Transfer-Encoding")
    if has_te and encodings != [b"chunked"]:
        raise ProtocolError("Transfer-Encoding other than chunked")
    content_length(head)
