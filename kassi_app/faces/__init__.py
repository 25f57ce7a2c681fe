"""Faces: thin front ends (CLI, MCP, Splunk) over the one engine; the engine never imports them."""
