"""``call_upstream``: kassi's own MCP client for servers it uses (e.g. the Splunk MCP Server).

Actions call it; the driver never sees these servers or their credentials. Every call has a
deadline covering connect, handshake and the tool call, and errors are redacted before they
travel anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import httpx2

from kassi_app.errors import InfrastructureError
from kassi_app.redact import redact_text

if TYPE_CHECKING:
    from mcp import Client


@dataclass(frozen=True)
class UpstreamServer:
    """An upstream MCP server: a streamable-HTTP ``url`` (with optional bearer ``token``) or a
    stdio ``command``. The token is never printed (``repr`` hides it)."""

    name: str
    url: str | None = None
    command: Sequence[str] = ()
    env: Mapping[str, str] | None = None
    token: str | None = field(default=None, repr=False)
    verify_tls: bool = True

    def __post_init__(self) -> None:
        if (self.url is None) == (not self.command):
            raise ValueError(f"upstream {self.name}: give exactly one of url or command")


def _client(server: UpstreamServer, timeout: float) -> Client:
    # Imported here, not at the top: the MCP SDK (with its server stack) costs ~1 s of start-up, and
    # every `kassi` process and Splunk script imports this module while few ever call a server.
    from mcp import Client, StdioServerParameters
    from mcp.client.streamable_http import streamable_http_client

    if server.command:
        params = StdioServerParameters(
            command=server.command[0],
            args=list(server.command[1:]),
            env=dict(server.env) if server.env is not None else None,
        )
        return Client(params, read_timeout_seconds=timeout)
    assert server.url is not None
    headers = {"Authorization": f"Bearer {server.token}"} if server.token else None
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(timeout), verify=server.verify_tls)
    return Client(streamable_http_client(server.url, http_client=http), read_timeout_seconds=timeout)


async def acall_upstream(server: UpstreamServer, tool: str, args: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """Call ``tool`` on ``server``; the structured result, else ``{"text": [...]}`` of its text parts.

    Raises ``InfrastructureError`` (message redacted) on timeout, transport failure or a tool error.
    """
    try:
        with anyio.fail_after(timeout):
            async with _client(server, timeout) as client:
                result = await client.call_tool(tool, dict(args), read_timeout_seconds=timeout)
    except TimeoutError as exc:
        raise InfrastructureError(f"upstream {server.name}: {tool} timed out after {timeout:g}s") from exc
    except Exception as exc:  # transport errors come in many types; all mean the upstream failed
        raise InfrastructureError(f"upstream {server.name}: {tool} failed: {_safe(exc, server)}") from exc
    texts = [str(getattr(part, "text", "")) for part in result.content if getattr(part, "type", "") == "text"]
    if result.is_error:
        detail = redact_text(" ".join(texts))[:500]
        raise InfrastructureError(f"upstream {server.name}: {tool} returned an error: {detail}")
    if result.structured_content is not None:
        return dict(result.structured_content)
    return {"text": texts}


def call_upstream(server: UpstreamServer, tool: str, args: Mapping[str, Any], timeout: float) -> dict[str, Any]:
    """Blocking ``acall_upstream`` for actions (they run in worker threads, outside any event loop)."""
    out: dict[str, Any] = anyio.run(acall_upstream, server, tool, args, timeout)
    return out


def _leaves(exc: BaseException) -> list[BaseException]:
    """The errors inside task-group wrappers: the transport's real reason (e.g. an HTTP 401)."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def _safe(exc: BaseException, server: UpstreamServer) -> str:
    text = "; ".join(f"{type(e).__name__}: {e}" for e in _leaves(exc))
    if server.token:
        text = text.replace(server.token, "***")
    return redact_text(text)[:500]
