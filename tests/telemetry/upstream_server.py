"""A tiny upstream MCP server (stdio) standing in for e.g. the Splunk MCP Server in tests."""

from __future__ import annotations

import time
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer(name="upstream")


@server.tool()
def run_query(query: str, delay_s: float = 0.0) -> dict[str, Any]:
    """Echo the query back as one result row."""
    time.sleep(delay_s)
    if query == "boom":
        raise ToolError("search failed for Authorization: Bearer abcdefghijklmnop")
    return {"results": [{"query": query}]}


if __name__ == "__main__":
    server.run()
