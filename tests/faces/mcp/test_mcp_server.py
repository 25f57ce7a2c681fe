"""`kassi serve` over the wire: a real MCP client over stdio and over streamable HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from kassi_app.errors import BadInput
from kassi_app.faces.mcp.server import LEDGER_URI, STATE_URI
from kassi_app.faces.mcp.workflow_ref import load_factory
from kassi_app.workflow.runs import list_runs

KASSI = str(Path(sys.executable).parent / "kassi")
SUPPORT = Path(__file__).resolve().parents[2] / "support"
"""Where gov_toy lives: `kassi serve --workflow gov_toy:...` imports it from there."""
TIMEOUT_S = 30.0


def serve_env(home: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SUPPORT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "KASSI_HOME": str(home), "PYTHONPATH": path, "COLUMNS": "200"}
    env.pop("KASSI_SEAL_KEY", None)
    return env


async def exercise(client: Client) -> dict[str, Any]:
    """List tools, make one illegal and two legal moves, read both resources."""
    tools = await client.list_tools()
    illegal = await client.call_tool("step", {"action": "judge", "inputs": {}})
    begun = await client.call_tool("step", {"action": "begin", "inputs": {"target": "x", "api_key": "sk-9"}})
    worked = await client.call_tool("step", {"action": "work", "inputs": {"amount": 2}})
    state = await client.read_resource(STATE_URI)
    ledger = await client.read_resource(LEDGER_URI)
    return {
        "tools": [t.name for t in tools.tools],
        "illegal": illegal.structured_content,
        "begun": begun.structured_content,
        "worked": worked.structured_content,
        "state": json.loads(getattr(state.contents[0], "text", "")),
        "ledger": [json.loads(line) for line in getattr(ledger.contents[0], "text", "").splitlines()],
    }


def check(seen: dict[str, Any]) -> None:
    assert seen["tools"] == ["step"]
    illegal = seen["illegal"]
    assert illegal["accepted"] is False and illegal["card"] == "The Devil"
    assert [a["name"] for a in illegal["legal_next"]] == ["begin"]
    assert "properties" in illegal["legal_next"][0]["input_schema"]
    assert seen["begun"]["status"] == "ok" and seen["worked"]["result"] == {"count": 2}
    assert seen["state"]["state"]["count"] == 2
    assert [a["name"] for a in seen["state"]["legal_next"]] == ["judge"]
    ledger = seen["ledger"]
    assert [(e["kind"], e["action"]) for e in ledger] == [
        ("refusal", "judge"),
        ("step", "begin"),
        ("step", "work"),
    ]
    assert ledger[0]["outcome"]["legal"] == ["begin"]
    assert ledger[1]["inputs"]["api_key"] == "***"


def test_stdio(home: Path) -> None:
    params = StdioServerParameters(
        command=KASSI, args=["serve", "--workflow", "gov_toy:new_governed_run"], env=serve_env(home)
    )

    async def main() -> dict[str, Any]:
        with anyio.fail_after(TIMEOUT_S):
            async with Client(params, read_timeout_seconds=TIMEOUT_S) as client:
                return await exercise(client)

    check(anyio.run(main))
    assert len(list_runs()) == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def http_server(home: Path) -> Iterator[tuple[str, str]]:
    port = free_port()
    proc = subprocess.Popen(
        [
            KASSI,
            "serve",
            "--transport",
            "http",
            "--port",
            str(port),
            "--workflow",
            "gov_toy:new_governed_run",
        ],
        env=serve_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "kassi serve --transport http did not start"
                time.sleep(0.1)
        token_file = home / "serve.token"
        assert token_file.stat().st_mode & 0o777 == 0o600, "the token file is the owner's alone"
        yield f"http://127.0.0.1:{port}/mcp", token_file.read_text().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_streamable_http(http_server: tuple[str, str]) -> None:
    url, token = http_server

    async def main() -> dict[str, Any]:
        with anyio.fail_after(TIMEOUT_S):
            http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)
            async with Client(streamable_http_client(url, http_client=http), read_timeout_seconds=TIMEOUT_S) as client:
                return await exercise(client)

    check(anyio.run(main))


def test_streamable_http_refuses_a_client_without_the_token(http_server: tuple[str, str], home: Path) -> None:
    """No token, or a wrong one: 401 before the MCP session starts, and no run is begun."""
    url, token = http_server
    client_info = {"name": "t", "version": "0"}
    hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client_info}}
    for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": token}):
        answer = httpx2.post(url, json=hello, headers={"Accept": "application/json, text/event-stream", **headers},
                             timeout=TIMEOUT_S)
        assert answer.status_code == 401, headers
    assert list_runs() == []


def test_missing_workflow_is_a_one_line_bad_input() -> None:
    with pytest.raises(BadInput) as missing:
        load_factory("kassi_nonexistent_wf:new_governed_run")
    assert str(missing.value) == (
        "workflow module 'kassi_nonexistent_wf' is not installed "
        "(from --workflow kassi_nonexistent_wf:new_governed_run)"
    )
    with pytest.raises(BadInput, match="no callable 'nope'"):
        load_factory("gov_toy:nope")
