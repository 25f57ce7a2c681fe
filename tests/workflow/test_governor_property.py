"""Random action sequences against a reference model of the toy graph: every illegal move is
refused, no sequence crashes the governor, and the ledger verifies after each sequence."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from gov_toy import INITIAL_STATE, MOVES, SPECS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kassi_app.ledger.chain import Ledger
from kassi_app.ledger.verify import verify_ledger
from kassi_app.workflow.governor import Governor
from kassi_app.workflow.machine import build_governed_app

KEY = b"property-test-key"
Step = tuple[str, dict[str, Any]]

# Each step is drawn as an index into this table: integer draws keep thousands of examples cheap.
STEP_TABLE: list[Step] = [
    ("begin", {}),
    *[("work", {"amount": a, "fail": f}) for a in (-1, 0, 1, 2, 3) for f in (False, True)],
    ("judge", {}),
    ("end", {}),
    ("nope", {}),
    ("", {}),
]
sequences = st.lists(st.integers(0, len(STEP_TABLE) - 1).map(STEP_TABLE.__getitem__), max_size=12)
SCRATCH = Path("/dev/shm") if Path("/dev/shm").is_dir() else None  # ledgers on tmpfs when there is one


def model_legal(prior: str | None, count: int, error: bool) -> set[str]:
    """The toy graph's legal moves, written independently of the governor."""
    if prior is None:
        return {"begin"}
    return {
        "begin": {"work"},
        "work": {"work", "end"} if error else {"judge"},
        "judge": {"work"} if count < 3 else {"end"},
        "end": set(),
    }[prior]


def run_sequence(folder: Path, sequence: list[Step]) -> None:
    app = build_governed_app(SPECS, MOVES, entrypoint="begin", initial_state=INITIAL_STATE, run_id="prop")
    gov = Governor(app, SPECS, Ledger.open(folder, "prop"), key=KEY)
    prior: str | None = None
    count, error = 0, False
    for action, inputs in sequence:
        legal = model_legal(prior, count, error)
        assert {s.name for s in gov.legal_actions()} == legal
        out = gov.step(action, inputs)
        valid_inputs = action != "work" or inputs["amount"] >= 0
        assert out.accepted == (action in legal and valid_inputs), (action, inputs, legal)
        if out.accepted:
            prior, error = action, action == "work" and inputs["fail"]
            if action == "begin":
                count = 0
            elif action == "work" and not error:
                count += inputs["amount"]
            assert out.status == ("failed" if error else "ok")
        assert gov.state["count"] == count
    gov.seal()
    gov.ledger.close()
    assert verify_ledger(folder / "ledger.jsonl", KEY, "prop") == []


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences)
def test_random_sequences_are_governed(sequence: list[Step]) -> None:
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        run_sequence(Path(tmp) / "run", sequence)
