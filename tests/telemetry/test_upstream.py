"""`call_upstream`: a real MCP client to an upstream server, bounded and redacted, usable in actions."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from kassi_app.errors import InfrastructureError
from kassi_app.ledger.chain import Ledger
from kassi_app.telemetry.upstream import UpstreamServer, call_upstream
from kassi_app.workflow.governor import Governor
from kassi_app.workflow.machine import ActionSpec, build_governed_app

UPSTREAM = UpstreamServer(
    "splunk-like", command=(sys.executable, str(Path(__file__).with_name("upstream_server.py")))
)


class Query(BaseModel):
    query: str


def _search(state: Mapping[str, Any], inputs: Query) -> dict[str, Any]:
    return {"rows": call_upstream(UPSTREAM, "run_query", {"query": inputs.query}, timeout=20)["results"]}


def test_action_reaches_upstream_through_the_governor(tmp_path: Path) -> None:
    spec = ActionSpec("search", "The High Priestess", "Query telemetry.", Query, _search, 30.0)
    app = build_governed_app([spec], [], entrypoint="search", initial_state={"rows": []}, run_id="up")
    gov = Governor(app, [spec], Ledger.open(tmp_path / "up", "up"), key=b"k")
    out = gov.step("search", {"query": "index=web"})
    assert out.status == "ok", out.reason
    assert gov.state["rows"] == [{"query": "index=web"}]
    assert out.finished  # no moves out of the only action: the run sealed itself


def test_tool_error_is_redacted_and_timeout_is_bounded() -> None:
    with pytest.raises(InfrastructureError) as failed:
        call_upstream(UPSTREAM, "run_query", {"query": "boom"}, timeout=20)
    assert "Bearer ***" in str(failed.value) and "abcdefghijklmnop" not in str(failed.value)
    with pytest.raises(InfrastructureError, match="timed out after 1s"):
        call_upstream(UPSTREAM, "run_query", {"query": "q", "delay_s": 10}, timeout=1)


def test_token_is_not_in_repr() -> None:
    server = UpstreamServer("splunk", url="https://127.0.0.1:8089/services/mcp", token="s3cr3t-token")
    assert "s3cr3t-token" not in repr(server)
