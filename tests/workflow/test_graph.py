"""kassi's own governed graph: refusals, failure routing to an INCONCLUSIVE sealed end, rendering,
and `kassi serve` serving it to a real MCP client over stdio."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from kassi_app.ledger.seal import seal_key
from kassi_app.ledger.verify import verify_ledger
from kassi_app.workflow.context import RunContext
from kassi_app.workflow.graph import PHASES, build_moves, open_run
from kassi_app.workflow.render import as_mermaid, as_text
from kassi_app.workflow.runs import record_problems

KASSI = str(Path(sys.executable).parent / "kassi")


def test_illegal_moves_are_refused_and_a_failed_begin_ends_sealed(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KASSI_HOME", str(tmp_path))
    ctx = RunContext(tmp_path)
    governor = open_run(ctx)
    refused = governor.step("judge", {})
    assert not refused.accepted and refused.card == "The Devil"
    assert [a.name for a in refused.legal_next] == ["begin"]
    failed = governor.step("begin", {"mode": "ab", "repo": str(tmp_path / "nowhere")})
    assert failed.status == "failed" and "not a folder" in (failed.reason or "")
    assert [a.name for a in failed.legal_next] == ["abort"]
    assert not governor.step("read_change", {}).accepted  # no way forward after a failure but abort
    assert governor.step("abort", {}).status == "ok"
    done = governor.step("conclude", {})
    assert done.finished and governor.ledger.sealed
    record = json.loads(ctx.record_path.read_text())
    assert record["verdict"]["class"] == "INCONCLUSIVE"
    assert "not a folder" in record["verdict"]["reason"]
    conclude = json.loads(governor.ledger.path.read_text().splitlines()[-1])
    assert conclude["action"] == "conclude" and set(conclude["outcome"]["result"]["files_sha256"]) == {"run.json"}
    assert record_problems(governor.ledger.path) == []
    ctx.record_path.write_text(ctx.record_path.read_text().replace("INCONCLUSIVE", "HEALTHY"))
    assert [p.kind for p in record_problems(governor.ledger.path)] == ["file_edited"]
    ctx.record_path.unlink()
    assert [p.kind for p in record_problems(governor.ledger.path)] == ["file_missing"]
    assert verify_ledger(governor.ledger.path, seal_key()) == []
    kinds = [json.loads(line)["kind"] for line in governor.ledger.path.read_text().splitlines()]
    assert kinds == ["refusal", "step", "refusal", "step", "step"]


def test_every_phase_has_a_move_and_the_renderings_name_them() -> None:
    moves = build_moves()
    names = {p.name for p in PHASES}
    assert {m.from_ for m in moves} | {m.to for m in moves} == names
    text, mermaid = as_text(), as_mermaid()
    for phase in PHASES:
        assert f"{phase.name}  [{phase.card}]" in text
        assert f"{phase.name}[" in mermaid
    assert "judge -->|verdict reached| explain" in mermaid
    assert "judge -->|INCONCLUSIVE and planned rounds or extensions left| extend_load" in mermaid


def test_kassi_serve_drives_the_kassi_workflow_over_stdio(tmp_path: Path) -> None:
    env = {**os.environ, "KASSI_HOME": str(tmp_path)}
    params = StdioServerParameters(command=KASSI, args=["serve", "--allow-repo", str(tmp_path)], env=env)

    async def talk() -> tuple[list[str], dict[str, object], dict[str, object]]:
        with anyio.fail_after(60):
            async with Client(params) as client:
                tools = await client.list_tools()
                illegal = await client.call_tool("step", {"action": "drive_load", "inputs": {}})
                begun = await client.call_tool("step", {"action": "begin", "inputs": {"repo": str(tmp_path)}})
                return [t.name for t in tools.tools], illegal.structured_content or {}, begun.structured_content or {}

    tools, illegal, begun = anyio.run(talk)
    assert tools == ["step"]
    assert illegal["accepted"] is False
    assert [a["name"] for a in illegal["legal_next"]] == ["begin"]  # type: ignore[index]
    assert begun["status"] == "failed" and "not a git repository" in str(begun["reason"])


def test_the_fix_phases_open_only_for_an_asked_fix_of_a_failed_verdict() -> None:
    moves = {(m.from_, m.to, m.on_error): m for m in build_moves()}
    to_remedy = moves[("explain", "remedy", False)].when
    assert to_remedy is not None
    assert to_remedy({"fix": True, "verdict_class": "REGRESSION"})
    assert to_remedy({"fix": True, "verdict_class": "DEGRADING"})
    for state in ({"fix": False, "verdict_class": "REGRESSION"}, {"verdict_class": "REGRESSION"},
                  {"fix": True, "verdict_class": "HEALTHY"}, {"fix": True, "verdict_class": "THROTTLED"}):
        assert not to_remedy(state), state
    to_verify = moves[("remedy", "verify_fix", False)].when
    assert to_verify is not None and to_verify({"fix_ready": True}) and not to_verify({"fix_ready": False})
    # A failed fix phase concludes with the run's verdict: neither may route to abort.
    for phase in ("remedy", "verify_fix"):
        assert (phase, "conclude", False) in moves and (phase, "conclude", True) in moves
        assert not any(m.from_ == phase and m.to == "abort" for m in moves.values())
    assert ("explain", "conclude", False) in moves  # without --fix the explained verdict concludes
    mermaid = as_mermaid()
    assert "explain -->|fix asked and the verdict failed| remedy" in mermaid
    assert "remedy -->|a checked fix to verify| verify_fix" in mermaid


def test_the_autopilot_prefers_the_fix_phases_over_concluding() -> None:
    from kassi_app.workflow.autopilot import PREFERENCE

    assert {p.name for p in PHASES} == set(PREFERENCE)
    assert PREFERENCE.index("explain") < PREFERENCE.index("remedy") < PREFERENCE.index("verify_fix")
    assert PREFERENCE.index("verify_fix") < PREFERENCE.index("conclude")
