"""The governor over the toy graph: legal moves run, illegal ones are refused, failures route."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gov_toy import SLEPT, WORK_TIMEOUT_S, drive_to_end

from kassi_app.ledger.seal import seal_key
from kassi_app.ledger.verify import verify_ledger
from kassi_app.workflow.cards import REFUSAL_CARD
from kassi_app.workflow.governor import Governor
from kassi_app.workflow.machine import STATE_DB
from kassi_app.workflow.runs import read_entries


def names(gov: Governor) -> list[str]:
    return [s.name for s in gov.legal_actions()]


def test_only_the_entrypoint_is_legal_at_start(governor: Governor) -> None:
    assert names(governor) == ["begin"]
    out = governor.step("work", {})
    assert (out.accepted, out.status, out.card) == (False, "refused", REFUSAL_CARD)
    assert [a.name for a in out.legal_next] == ["begin"]
    assert out.legal_next[0].input_schema["properties"]["target"]["type"] == "string"


def test_refusal_leaves_state_unchanged_and_is_ledgered(governor: Governor) -> None:
    governor.step("begin", {})
    before = dict(governor.state)
    for action, inputs in [
        ("judge", {}),
        ("nope", {}),
        ("work", {"amount": "lots"}),
        ("work", {"amount": 99}),
    ]:
        out = governor.step(action, inputs)
        assert not out.accepted and out.reason
        assert dict(governor.state) == before
        assert names(governor) == ["work"]
    entries = read_entries(governor.ledger.path)
    assert [e["kind"] for e in entries] == ["step", "refusal", "refusal", "refusal", "refusal"]
    assert "no action named 'nope'" in entries[2]["outcome"]["reason"]
    assert "amount" in entries[3]["outcome"]["reason"]
    assert len({e["state_digest"] for e in entries}) == 1


def test_guarded_loop_back_then_end(governor: Governor) -> None:
    governor.step("begin", {})
    governor.step("work", {"amount": 1})
    governor.step("judge", {})
    assert names(governor) == ["work"]  # count 1 < 3: only the loop back
    governor.step("work", {"amount": 5})
    governor.step("judge", {})
    assert names(governor) == ["end"]  # count 6 >= 3
    out = governor.step("end", {})
    assert out.finished and governor.finished and governor.ledger.sealed
    assert governor.state["done"] is True
    assert governor.step("work", {}).reason == "the run has ended and its ledger is sealed"


def test_failure_and_timeout_open_only_error_routes(governor: Governor) -> None:
    governor.step("begin", {})
    failed = governor.step("work", {"fail": True})
    assert (failed.accepted, failed.status) == (True, "failed")
    assert failed.reason == "RuntimeError: work failed on request"
    assert governor.state["error"] == failed.reason
    assert [a.name for a in failed.legal_next] == ["work", "end"]
    timed_out = governor.step("work", {"sleep_s": WORK_TIMEOUT_S + 0.3})
    assert timed_out.status == "failed" and timed_out.reason == f"timed out after {WORK_TIMEOUT_S:g}s"
    assert SLEPT.acquire(timeout=10)  # the overrun has now returned its result (count + 1) ...
    assert governor.step("judge", {}).status == "refused"
    assert governor.state["count"] == 0  # ... and that late result was discarded
    retried = governor.step("work", {"amount": 1})
    assert retried.status == "ok" and governor.state["error"] is None
    assert governor.state["count"] == 1
    assert names(governor) == ["judge"]


def test_secrets_never_reach_the_ledger(governor: Governor) -> None:
    drive_to_end(governor)
    text = governor.ledger.path.read_text()
    assert "sk-live-123" not in text and '"api_key":"***"' in text


def test_sealed_run_verifies_and_state_is_persisted(governor: Governor, home: Path) -> None:
    drive_to_end(governor)
    assert verify_ledger(governor.ledger.path, seal_key(create=False), governor.run_id) == []
    db = governor.ledger.run_dir / STATE_DB
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT app_id, position FROM burr_state ORDER BY sequence_id").fetchall()
    assert rows[-1] == (governor.run_id, "end") and len(rows) == 6
