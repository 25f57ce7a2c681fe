"""Keep-alive connections to the proxied upstream, so each request does not pay a TCP handshake."""

from __future__ import annotations

import asyncio

from kassi_app.telemetry.http1 import HEAD_LIMIT

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class UpstreamPool:
    """A LIFO of idle connections (the most recently used is the least likely to have timed out)."""

    def __init__(self, host: str, port: int, connect_timeout: float, max_idle: int = 256) -> None:
        self.host = host
        self.port = port
        self._connect_timeout = connect_timeout
        self._max_idle = max_idle
        self._idle: list[Conn] = []

    async def acquire(self) -> tuple[Conn, bool]:
        """An open connection and whether it was reused (a reused one may still turn out stale)."""
        while self._idle:
            reader, writer = self._idle.pop()
            if not reader.at_eof() and not writer.is_closing():
                return (reader, writer), True
            writer.close()
        conn = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, limit=HEAD_LIMIT), self._connect_timeout
        )
        return conn, False

    def release(self, conn: Conn) -> None:
        if len(self._idle) < self._max_idle and not conn[0].at_eof():
            self._idle.append(conn)
        else:
            conn[1].close()

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()
