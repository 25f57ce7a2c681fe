"""`kassi serve` over the wire: a real MCP client over stdio and over streamable HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from gitrepo import git_repo
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


@contextmanager
def http_serve(home: Path, *args: str) -> Iterator[tuple[str, str]]:
    """`kassi serve --transport http ARGS` on a free port: its /mcp URL and the bearer token it wrote."""
    port = free_port()
    proc = subprocess.Popen(
        [KASSI, "serve", "--transport", "http", "--port", str(port), *args],
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


@pytest.fixture
def http_server(home: Path) -> Iterator[tuple[str, str]]:
    with http_serve(home, "--workflow", "gov_toy:new_governed_run") as served:
        yield served


def http_client(url: str, token: str) -> Client:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)
    return Client(streamable_http_client(url, http_client=http), read_timeout_seconds=TIMEOUT_S)


def test_streamable_http(http_server: tuple[str, str]) -> None:
    url, token = http_server

    async def main() -> dict[str, Any]:
        with anyio.fail_after(TIMEOUT_S):
            async with http_client(url, token) as client:
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


def test_a_begin_outside_the_allow_list_is_refused_an_allowed_one_begins(home: Path, tmp_path: Path) -> None:
    """The real kassi workflow over streamable HTTP with the token: repos and hosts come from
    `--allow-repo`/`--allow-host`, not from the client. A refused begin changes nothing (begin is still
    the legal move, nothing started); an allowed repo goes past begin."""
    app = {"app.py": "print('never started by begin')\n", "kassi.toml": '[target]\nstart = "{python} app.py {port}"\n'}
    allowed = git_repo(tmp_path / "allowed" / "shop", [app, {**app, "app.py": "# changed\n"}])
    elsewhere = git_repo(tmp_path / "elsewhere", [app, {**app, "app.py": "# changed\n"}])
    (tmp_path / "allowed" / "link").symlink_to(elsewhere)  # inside the allowed folder, resolving outside
    refused = {
        "a repo outside": {"repo": str(elsewhere)},
        "a symlink out of the allowed folder": {"repo": str(tmp_path / "allowed" / "link")},
        "a live host not allowed": {"mode": "live", "url": "http://10.9.8.7:8080", "endpoints": ["GET /x"]},
        "allow_hosts the server was not given": {"mode": "live", "url": "http://127.0.0.1:9", "endpoints": ["GET /x"],
                                                 "allow_hosts": ["10.9.8.7"]},
    }

    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        with anyio.fail_after(TIMEOUT_S * 2):
            async with http_client(url, token) as client:
                answers = {}
                for case, inputs in refused.items():
                    answer = await client.call_tool("step", {"action": "begin", "inputs": inputs})
                    answers[case] = answer.structured_content
                begun = await client.call_tool("step", {"action": "begin", "inputs": {"repo": str(allowed)}})
                return answers, begun.structured_content or {}

    flags = ("--allow-repo", str(tmp_path / "allowed"), "--allow-host", "staging.internal")
    with http_serve(home, *flags) as (url, token):
        answers, begun = anyio.run(main)
    for case, answer in answers.items():
        assert answer["status"] == "refused", case
        assert answer["reason"].startswith("begin refused by kassi serve's allow list: "), answer["reason"]
        assert [a["name"] for a in answer["legal_next"]] == ["begin"], case
    assert "not in a folder kassi serve allows" in answers["a repo outside"]["reason"]
    assert "not in a folder kassi serve allows" in answers["a symlink out of the allowed folder"]["reason"]
    assert "host '10.9.8.7' is not allowed" in answers["a live host not allowed"]["reason"]
    assert "--allow-host 10.9.8.7" in answers["allow_hosts the server was not given"]["reason"]
    assert begun["status"] == "ok", begun
    assert [a["name"] for a in begun["legal_next"]] == ["read_change"]
    (run,) = list_runs()
    ledger = home / "runs" / run.run_id / "ledger.jsonl"
    kinds = [(e["kind"], e["action"]) for e in map(json.loads, ledger.read_text().splitlines())]
    assert kinds == [("refusal", "begin")] * len(refused) + [("step", "begin")]
