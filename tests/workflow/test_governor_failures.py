"""The governor when things go wrong: the step machinery itself failing, an action answering with
something that is not state updates, values too long for the ledger, and concurrent ``step`` calls.

A small graph of its own (begin -> produce -> end; a failed produce may retry or end), on the real
governor, Burr application, SQLite persister and ledger.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from pydantic import BaseModel

from kassi_app.ledger.seal import seal_key
from kassi_app.ledger.verify import verify_ledger
from kassi_app.workflow.governor import SUMMARY_VALUE_LIMIT, Governor
from kassi_app.workflow.machine import STATE_DB, ActionSpec, Move
from kassi_app.workflow.runs import open_governed_run, read_entries


class NoInputs(BaseModel):
    pass


class ProduceInputs(BaseModel):
    answer: str = "ok"


ANSWERS: dict[str, Any] = {
    "ok": {"made": 1},
    "list": [("made", 1)],
    "int-keys": {1: "one"},
    "reserved": {"__choice": "end"},
    "dunder": {"__sneaky": 1},
    "long": {"made": 1, "blob": "x" * (SUMMARY_VALUE_LIMIT * 4)},
}


def _produce(state: Mapping[str, Any], inputs: ProduceInputs) -> Any:
    return ANSWERS[inputs.answer]


SPECS: list[ActionSpec[Any]] = [
    ActionSpec("begin", "The Fool", "Start.", NoInputs, lambda s, i: {"made": 0}, 5.0),
    ActionSpec("produce", "The Magician", "Answer as asked.", ProduceInputs, _produce, 5.0),
    ActionSpec("end", "The World", "Finish.", NoInputs, lambda s, i: {}, 5.0),
]
MOVES = [Move("begin", "produce"), Move("produce", "end"),
         Move("produce", "produce", on_error=True), Move("produce", "end", on_error=True)]


@pytest.fixture
def gov(home: Any) -> Iterator[Governor]:
    governor = open_governed_run(SPECS, MOVES, entrypoint="begin", initial_state={"made": None})
    governor.step("begin", {})
    yield governor
    governor.ledger.close()


def _verified(governor: Governor) -> None:
    governor.seal()
    assert verify_ledger(governor.ledger.path, seal_key(create=False), governor.run_id) == []


@pytest.mark.parametrize(("answer", "reason"), [
    ("list", "returned list, not a mapping of state updates"),
    ("int-keys", "returned dict, not a mapping of state updates"),
    ("reserved", "tried to write reserved state keys ['__choice']"),
    ("dunder", "tried to write reserved state keys ['__sneaky']"),
])
def test_an_answer_that_is_not_state_updates_fails_the_step(gov: Governor, answer: str, reason: str) -> None:
    out = gov.step("produce", {"answer": answer})
    assert (out.accepted, out.status, out.reason) == (True, "failed", reason)
    assert gov.state["made"] == 0 and "__sneaky" not in gov.state
    assert [a.name for a in out.legal_next] == ["produce", "end"]  # only the error routes
    retried = gov.step("produce", {"answer": "ok"})
    assert retried.status == "ok" and gov.state["made"] == 1
    _verified(gov)


def test_a_long_value_is_ledgered_as_its_digest(gov: Governor) -> None:
    out = gov.step("produce", {"answer": "long"})
    assert out.status == "ok" and len(gov.state["blob"]) == SUMMARY_VALUE_LIMIT * 4  # the state keeps it
    logged = read_entries(gov.ledger.path)[-1]["outcome"]["result"]
    assert logged["made"] == 1
    assert set(logged["blob"]) == {"sha256", "chars"} and len(logged["blob"]["sha256"]) == 64
    assert "x" * SUMMARY_VALUE_LIMIT not in gov.ledger.path.read_text()
    _verified(gov)


def test_the_step_machinery_failing_leaves_the_state_where_it_was(gov: Governor) -> None:
    # Burr's persister writes every step to state.sqlite; take its table away and the step itself
    # (not the action) fails: the state must not move, and the failure is ledgered
    with sqlite3.connect(gov.ledger.run_dir / STATE_DB) as conn:
        conn.execute("DROP TABLE burr_state")
    before = dict(gov.state)
    out = gov.step("produce", {"answer": "ok"})
    assert (out.accepted, out.status) == (True, "failed")
    assert out.reason is not None and out.reason.startswith("step machinery failed: ")
    assert dict(gov.state) == before and gov.last_action == "begin"
    entry = read_entries(gov.ledger.path)[-1]
    assert entry["kind"] == "step" and entry["outcome"]["status"] == "failed"
    assert [a.name for a in gov.legal_next()] == ["produce"]  # the move can be tried again
    _verified(gov)


def test_concurrent_steps_run_one_at_a_time(gov: Governor) -> None:
    # eight drivers race for the one legal produce: exactly one runs it, the others are refused
    # against the state it left, and the ledger stays one unbroken chain
    racers = 8
    barrier = threading.Barrier(racers, timeout=30)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def race() -> None:
        barrier.wait()
        out = gov.step("produce", {"answer": "ok"})
        with lock:
            outcomes.append(out)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == racers
    assert sorted(o.status for o in outcomes) == ["ok"] + ["refused"] * (racers - 1)
    assert gov.state["made"] == 1
    assert sorted(o.seq for o in outcomes) == list(range(1, racers + 1))  # begin was seq 0
    assert all(o.reason == "produce is not a legal move after produce" for o in outcomes if not o.accepted)
    _verified(gov)
