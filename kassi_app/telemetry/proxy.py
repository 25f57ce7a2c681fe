"""The access-log reverse proxy kassi puts in front of each target variant.

It measures every request where kassi can see it (request start to last response byte), names
its route template, keeps an excerpt of 5xx bodies, and emits one ``AccessEvent`` per request to
a batched sink. It runs on its own event loop in its own thread, so the caller's code (a Burr
action, a test) stays synchronous.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kassi_app.errors import InfrastructureError
from kassi_app.events import AccessEvent, Stage, Variant
from kassi_app.redact import redact_text
from kassi_app.telemetry.batcher import Batcher
from kassi_app.telemetry.http1 import (
    HEAD_LIMIT,
    HOP_BY_HOP,
    READ_SIZE,
    BodyTap,
    Head,
    ProtocolError,
    check_request_framing,
    content_length,
    is_chunked,
    read_head,
    relay_chunked,
    relay_exact,
    relay_to_eof,
)
from kassi_app.telemetry.pool import Conn, UpstreamPool
from kassi_app.telemetry.routes import RouteMatcher

AccessSink = Callable[[Sequence[AccessEvent]], None]
EXCERPT_BYTES = 300
IDLE_TIMEOUT_S = 60.0
"""How long a client connection may sit without sending a complete request head (or body piece)."""
_BLOCK = re.compile(rb"^-?[0-9]{1,9}$")
LINGER_S = 1.0
LINGER_BYTES = 4 * 1024 * 1024
HAND_OVER_S = 0.05
REQUEST_ID_MAX = 128
"""Bytes of ``X-Kassi-Request-Id`` kept (kassi's own ids are ~30): a client cannot bloat the store."""
_REQUEST_DROP = HOP_BY_HOP | {b"expect"}
_STAGES: dict[bytes, Stage] = {b"low": "low", b"high": "high"}
_WHITESPACE = re.compile(r"\s+")
_RELAY_ERRORS = (ConnectionError, ProtocolError, asyncio.IncompleteReadError, asyncio.LimitOverrunError)


class _BadRequest(Exception):
    """The client's request is not one a strict proxy relays: answered 400 and the connection closed."""


class _UpstreamFailed(Exception):
    """The upstream could not give a response head: answered to the client as 502 or 504."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


@dataclass
class _Request:
    head: Head
    started: float
    t0: float
    route: str
    stage: Stage
    block: int
    has_body: bool
    request_id: str | None
    lookup: bool = False
    """Sent with ``X-Kassi-Lookup`` (the load looking up ids or a CSRF token): relayed, never recorded."""


async def _reject(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reason: str) -> None:
    """Answer 400 with the reason and close, as a strict proxy does with a request it will not relay.

    The close lingers (write side shut, unread input discarded for a bounded time and size): closing
    with the client's bytes still unread makes the kernel send a reset that can destroy the answer.
    """
    body = f"kassi proxy: bad request: {reason}".encode()
    writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                 b"Connection: close\r\n\r\n%s" % (len(body), body))
    with contextlib.suppress(ConnectionError, TimeoutError, OSError, RuntimeError):
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        async with asyncio.timeout(LINGER_S):
            left = LINGER_BYTES
            while left > 0 and (data := await reader.read(READ_SIZE)):
                left -= len(data)


def _body_excerpt(tap: BodyTap, head: Head, status: int) -> str:
    encoding = head.get(b"content-encoding")
    if encoding and encoding.lower() != b"identity":
        return f"HTTP {status} ({encoding.decode('latin-1')} body)"
    text = _WHITESPACE.sub(" ", bytes(tap.excerpt).decode("utf-8", "replace")).strip()
    return redact_text(text) or f"HTTP {status}"  # events may be published before they are stored


def _no_body(method: bytes, status: int) -> bool:
    return method == b"HEAD" or status < 200 or status in (204, 304)


def _wants_close(head: Head, version: bytes) -> bool:
    tokens = head.tokens(b"connection")
    return b"close" in tokens or (version == b"HTTP/1.0" and b"keep-alive" not in tokens)


class AccessLogProxy:
    """``start()`` binds 127.0.0.1 on a free port and returns it; ``stop()`` drains and joins.

    ``routes`` are the known route templates; the ``X-Kassi-Route`` request header, when present,
    wins over them. ``sink`` receives batches of events on a background thread.
    """

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        run_id: str,
        variant: Variant,
        routes: Iterable[str],
        sink: AccessSink,
        *,
        upstream_timeout: float = 30.0,
        connect_timeout: float = 5.0,
        idle_timeout: float = IDLE_TIMEOUT_S,
    ) -> None:
        self.run_id = run_id
        self.variant: Variant = variant
        self._matcher = RouteMatcher(routes)
        self._sink = sink
        self._timeout = upstream_timeout
        self._idle = idle_timeout
        self._pool = UpstreamPool(upstream_host, upstream_port, connect_timeout)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()
        self._batcher: Batcher[AccessEvent] | None = None
        self._events: list[AccessEvent] = []  # touched only on the proxy's loop
        self.port = 0

    # ---- lifecycle (caller's thread) -------------------------------------------------------
    def start(self, timeout: float = 10.0) -> int:
        if self._thread is not None:
            raise RuntimeError("proxy already started")
        self._batcher = Batcher(self._sink)
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name=f"kassi-proxy-{self.variant}", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout) or failure:
            self.stop()
            raise InfrastructureError(
                f"access-log proxy did not start: {failure[0] if failure else 'timeout'}"
            )
        return self.port

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and every connection, then deliver the events still queued."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError, TimeoutError):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
            thread.join(timeout)
        if self._batcher is not None:
            self._batcher.close(timeout)
            self._batcher = None
        self._thread = None

    def __enter__(self) -> AccessLogProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", 0, limit=HEAD_LIMIT)
            )
            self.port = self._server.sockets[0].getsockname()[1]
        except OSError as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._clients):
            writer.close()
        self._pool.close()
        self._hand_over()
        asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)

    # ---- per connection (proxy thread) -----------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while await self._exchange(reader, writer):
                pass
        except (*_RELAY_ERRORS, TimeoutError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    def _read_request(self, head: Head) -> _Request:
        method, target, _ = head.start
        if not target.startswith(b"/"):  # absolute-form: keep only the path
            target = b"/" + target.split(b"/", 3)[-1] if target.count(b"/") >= 3 else b"/"
            head.start = (method, target, head.start[2])
        try:
            check_request_framing(head)
        except ProtocolError as exc:
            raise _BadRequest(str(exc)) from None
        route_header = head.get(b"x-kassi-route")
        block = head.get(b"x-kassi-block")
        if block is not None and not _BLOCK.match(block):
            raise _BadRequest(f"bad X-Kassi-Block header: {block[:40]!r}")
        request_id = head.get(b"x-kassi-request-id")
        path = target.decode("latin-1")
        return _Request(
            head=head,
            started=time.time(),
            t0=time.perf_counter(),
            route=route_header.decode("latin-1") if route_header else self._matcher.route_for(path),
            stage=_STAGES.get((head.get(b"x-kassi-stage") or b"").lower(), ""),
            block=int(block) if block is not None else -1,
            has_body=is_chunked(head) or bool(content_length(head)),
            request_id=request_id[:REQUEST_ID_MAX].decode("latin-1") if request_id else None,
            lookup=head.get(b"x-kassi-lookup") is not None,
        )

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Relay one request/response; True when the client connection may carry another."""
        try:
            async with asyncio.timeout(self._idle):
                head = await read_head(reader)
            if head is None:
                return False
            req = self._read_request(head)
        except (ProtocolError, _BadRequest) as exc:
            await _reject(reader, writer, str(exc))
            return False
        client_close = _wants_close(head, head.start[2])
        if b"100-continue" in head.tokens(b"expect"):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        forward = Head(
            head.start,
            [
                (k, v)
                for k, v in head.headers
                if k.lower() not in _REQUEST_DROP and not k.lower().startswith(b"x-kassi-")
            ],
        ).serialize()
        try:
            conn, resp = await self._send(forward, req, reader)
        except _BadRequest as exc:
            await _reject(reader, writer, str(exc))
            self._emit(req, 400, 0, f"bad request: {exc}")
            return False
        except _UpstreamFailed as failed:
            body = failed.error.encode()
            writer.write(
                b"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n%s"
                % (
                    failed.status,
                    b"Bad Gateway" if failed.status == 502 else b"Gateway Timeout",
                    len(body),
                    b"Connection: close\r\n" if client_close or req.has_body else b"",
                    body,
                )
            )
            await writer.drain()
            self._emit(req, failed.status, len(body), failed.error)
            return not (client_close or req.has_body)
        return await self._respond(conn, resp, req, writer, client_close)

    async def _send(self, forward: bytes, req: _Request, client: asyncio.StreamReader) -> tuple[Conn, Head]:
        """Send the request upstream and read the final response head (1xx heads are skipped)."""
        for attempt in (0, 1):
            try:
                conn, reused = await self._pool.acquire()
            except (OSError, TimeoutError) as exc:
                where = f"{self._pool.host}:{self._pool.port}"
                reason = "timed out" if isinstance(exc, TimeoutError) else "refused"
                raise _UpstreamFailed(502, f"upstream {where} {reason} the connection: {exc}") from exc
            up_reader, up_writer = conn
            try:
                if req.has_body:
                    await self._relay_request_body(req.head, client, up_writer, forward)
                else:
                    up_writer.write(forward)
                await up_writer.drain()
                async with asyncio.timeout(self._timeout):
                    resp = await read_head(up_reader)
                    while resp is not None and 100 <= int(resp.start[1]) < 200:
                        resp = await read_head(up_reader)
            except TimeoutError as exc:
                up_writer.close()
                raise _UpstreamFailed(504, f"upstream gave no response within {self._timeout:g}s") from exc
            except (ConnectionError, ValueError, asyncio.IncompleteReadError, ProtocolError) as exc:
                up_writer.close()
                if reused and attempt == 0 and not req.has_body:
                    continue  # a stale keep-alive connection: retry once on a fresh one
                raise _UpstreamFailed(502, f"upstream failed: {exc or type(exc).__name__}") from exc
            if resp is None:
                up_writer.close()
                if reused and attempt == 0 and not req.has_body:
                    continue
                raise _UpstreamFailed(502, "upstream closed the connection without a response")
            return conn, resp
        raise AssertionError("unreachable")

    async def _relay_request_body(self, head: Head, client: asyncio.StreamReader, up_writer: asyncio.StreamWriter,
                                  forward: bytes) -> None:
        """The client's body, upstream: a malformed, stalled or cut-short body is the client's fault
        (400, connection closed), not the upstream's."""
        try:
            async with asyncio.timeout(self._idle):
                await self._relay_body(head, client, up_writer, prefix=forward)
        except (ProtocolError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            up_writer.close()
            raise _BadRequest(f"request body: {exc or type(exc).__name__}") from None

    @staticmethod
    async def _relay_body(
        head: Head,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        tap: BodyTap | None = None,
        prefix: bytes = b"",
    ) -> None:
        if is_chunked(head):
            await relay_chunked(reader, writer, tap, prefix)
        else:
            await relay_exact(reader, writer, content_length(head) or 0, tap, prefix)

    async def _respond(
        self, conn: Conn, resp: Head, req: _Request, writer: asyncio.StreamWriter, client_close: bool
    ) -> bool:
        up_reader, up_writer = conn
        status = int(resp.start[1])
        method = req.head.start[0]
        upstream_close = _wants_close(resp, resp.start[0])
        delimited = _no_body(method, status) or is_chunked(resp) or content_length(resp) is not None
        client_close = client_close or not delimited
        out_head = Head(resp.start, [(k, v) for k, v in resp.headers if k.lower() not in HOP_BY_HOP])
        head_bytes = out_head.serialize(b"Connection: close\r\n" if client_close else b"")
        tap = BodyTap(EXCERPT_BYTES if status >= 500 else 0)
        error: str | None = None
        try:
            async with asyncio.timeout(self._timeout):
                if _no_body(method, status):
                    writer.write(head_bytes)
                elif delimited:
                    await self._relay_body(resp, up_reader, writer, tap, head_bytes)
                else:
                    await relay_to_eof(up_reader, writer, tap, head_bytes)
                await writer.drain()
        except TimeoutError:
            error, client_close, upstream_close = "upstream body timed out", True, True
        except _RELAY_ERRORS as exc:
            error, client_close, upstream_close = f"relay failed: {type(exc).__name__}", True, True
        if upstream_close or not delimited:
            up_writer.close()
        else:
            self._pool.release(conn)
        if error is None and status >= 500:
            error = _body_excerpt(tap, resp, status)
        self._emit(req, status, tap.count, error)
        return not client_close

    def _hand_over(self) -> None:
        """Pass the events gathered on the loop to the sink thread: one queue operation per tick."""
        if self._events and self._batcher is not None:
            self._batcher.put_many(self._events)
        self._events = []

    def _emit(self, req: _Request, status: int, bytes_out: int, error: str | None) -> None:
        if req.lookup:
            return
        if not self._events:
            asyncio.get_running_loop().call_later(HAND_OVER_S, self._hand_over)
        method, target, _ = req.head.start
        self._events.append(
            AccessEvent(
                _time=req.started,
                run_id=self.run_id,
                variant=self.variant,
                http_method=method.decode("latin-1"),
                route=req.route,
                uri_path=target.decode("latin-1").split("?", 1)[0],
                status=status,
                duration_ms=(time.perf_counter() - req.t0) * 1000.0,
                bytes_out=bytes_out,
                error=error,
                stage=req.stage,
                block=req.block,
                request_id=req.request_id,
            )
        )
