"""A loopback stand-in for the official Splunk MCP Server (Splunkbase 7931), as kassi uses it.

It exposes the official server's query tool name and argument shape (``splunk_run_query`` with
``query``, ``earliest_time``, ``latest_time``, ``row_limit``; rows in ``structuredContent.results``)
over real streamable HTTP (mcp 2.3.0 ``MCPServer`` under uvicorn) behind a bearer-token check, and
runs the SPL it receives with ``spl_eval.SplEngine`` over recorded events.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from spl_eval import SplEngine

Scope = dict[str, Any]
Asgi = Callable[[Scope, Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]],
                Awaitable[None]]


def _server(engine: SplEngine) -> MCPServer:
    server = MCPServer(name="splunk-mcp-stub")

    @server.tool()
    def splunk_run_query(
        query: str, earliest_time: str = "-24h", latest_time: str = "now", row_limit: int = 100
    ) -> dict[str, Any]:
        """Run an SPL search and return its results."""
        try:
            rows = engine.run(query, earliest_time, latest_time)
        except ValueError as exc:
            raise ToolError(f"Splunk search failed: {exc}") from None
        return {"results": rows[:row_limit]}

    return server


def _bearer(app: Asgi, token: str) -> Asgi:
    async def guarded(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != f"Bearer {token}".encode():
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"invalid token"})
            return
        await app(scope, receive, send)

    return guarded


@contextmanager
def splunk_mcp_stub(engine: SplEngine, token: str) -> Iterator[str]:
    """Serve the stub on a free loopback port; yields its streamable HTTP URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = _server(engine).streamable_http_app(host="127.0.0.1")
    config = uvicorn.Config(_bearer(app, token), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the MCP stub did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
