"""``kassi serve``: an MCP server whose only tool is ``step``, plus read-only run resources.

The driver (any MCP client) can do nothing but ask the governor to move; upstream MCP servers kassi
uses (kassi_app.telemetry.upstream) are reached inside actions and never appear here.
"""

from __future__ import annotations

import json
import sys
import threading
from functools import partial
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer

from kassi_app.errors import BadInput
from kassi_app.faces.mcp.allow import ServeAllowList
from kassi_app.faces.mcp.auth import BearerAuth, serve_token
from kassi_app.home import kassi_home
from kassi_app.ledger.canonical import canonical_json
from kassi_app.workflow.governor import Governor, GovernorFactory, StepOutcome
from kassi_app.workflow.sink import NullSink, PhaseEvent, follow

STATE_URI = "kassi://run/state"
LEDGER_URI = "kassi://run/ledger"
INSTRUCTIONS = (
    "kassi drives a governed run. The only move is the `step` tool: name an action and give its "
    "inputs. Illegal moves are refused and the refusal lists the legal actions with their input "
    f"schemas. Read {STATE_URI} for the current state and legal actions, {LEDGER_URI} for the "
    "hash-chained ledger of every step and refusal."
)


class Walk(NullSink):
    """The MCP face's sink: the run's walk (every finished move, refusals included), shown in the
    state resource so a client sees what happened without replaying the ledger."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def phase(self, event: PhaseEvent) -> None:
        if event.status != "running":
            self.events.append({"seq": event.seq, "phase": event.phase, "card": event.card,
                                "status": event.status, "detail": event.detail, "duration_s": event.duration_s})


class _LazyGovernor:
    """Creates the run on first use, so probing the server (tools/list) starts no run; its requests
    are screened by the server's allow list."""

    def __init__(self, factory: GovernorFactory, allow: ServeAllowList) -> None:
        self._factory = factory
        self._allow = allow
        self._governor: Governor | None = None
        self._lock = threading.Lock()
        self.walk = Walk()

    def get(self) -> Governor:
        with self._lock:
            if self._governor is None:
                self._governor = self._factory()
                self._governor.screen(self._allow.screen)
                follow(self._governor, self.walk)
            return self._governor


def run_view(governor: Governor, walk: Walk | None = None) -> dict[str, Any]:
    """The state resource: run id, last action, finished flag, state, the walk, legal next actions."""
    view = {
        "run_id": governor.run_id,
        "last_action": governor.last_action,
        "finished": governor.finished,
        "state": dict(governor.state),
        "walk": walk.events if walk else [],
        "legal_next": [a.model_dump() for a in governor.legal_next()],
    }
    parsed: dict[str, Any] = json.loads(canonical_json(view))
    return parsed


def build_mcp_server(governor_factory: GovernorFactory, allow: ServeAllowList) -> MCPServer:
    """An MCP server for the run ``governor_factory`` opens (once, on first use); a ``begin`` naming a
    repo, host or file outside ``allow`` is refused."""
    lazy = _LazyGovernor(governor_factory, allow)
    server = MCPServer(name="kassi", instructions=INSTRUCTIONS)

    @server.tool(
        description="Make one move in the governed run: run `action` with `inputs` if it is legal now. "
        "Refused moves change nothing and return the legal actions with their input schemas."
    )
    async def step(action: str, inputs: dict[str, Any] | None = None) -> StepOutcome:
        governor = await anyio.to_thread.run_sync(lazy.get)
        return await anyio.to_thread.run_sync(partial(governor.step, action, inputs or {}))

    @server.resource(
        STATE_URI,
        name="run-state",
        mime_type="application/json",
        description="Current state and legal next actions of the run.",
    )
    async def state() -> str:
        governor = await anyio.to_thread.run_sync(lazy.get)
        return json.dumps(await anyio.to_thread.run_sync(run_view, governor, lazy.walk), indent=2)

    @server.resource(
        LEDGER_URI,
        name="run-ledger",
        mime_type="application/x-ndjson",
        description="The run's hash-chained ledger (JSON lines).",
    )
    async def ledger() -> str:
        governor = await anyio.to_thread.run_sync(lazy.get)
        path = governor.ledger.path
        return path.read_text(encoding="utf-8") if path.exists() else ""

    return server


def serve(governor_factory: GovernorFactory, transport: str, port: int, allow: ServeAllowList) -> None:
    """Serve until the client disconnects (stdio) or the process is stopped (HTTP on 127.0.0.1, behind
    a bearer token: see ``auth``)."""
    server = build_mcp_server(governor_factory, allow)
    if transport == "stdio":
        server.run()
    elif transport == "http":
        import uvicorn

        token, written = serve_token(kassi_home())
        if written is not None:
            print(f"kassi serve: bearer token in {written} (send 'Authorization: Bearer <token>')", file=sys.stderr)
        app = BearerAuth(server.streamable_http_app(host="127.0.0.1"), token)
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    else:
        raise BadInput(f"transport must be stdio or http, not {transport!r}")
