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
import pytest
from mcp import Client, StdioServerParameters

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
def http_server(home: Path) -> Iterator[str]:
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
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_streamable_http(http_server: str) -> None:
    async def main() -> dict[str, Any]:
        with anyio.fail_after(TIMEOUT_S):
            async with Client(http_server, read_timeout_seconds=TIMEOUT_S) as client:
                return await exercise(client)

    check(anyio.run(main))


def test_missing_workflow_is_a_one_line_bad_input() -> None:
    with pytest.raises(BadInput) as missing:
        load_factory("kassi_nonexistent_wf:new_governed_run")
    assert str(missing.value) == (
        "workflow module 'kassi_nonexistent_wf' is not installed "
        "(from --workflow kassi_nonexistent_wf:new_governed_run)"
    )
    with pytest.raises(BadInput, match="no callable 'nope'"):
        load_factory("gov_toy:nope")
