"""The MCP face: `kassi serve`, the governed machine as an MCP server with one tool, `step`."""
