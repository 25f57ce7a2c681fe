"""The engine's cancel hook (``run_request(..., cancel=event)``): a cancelled run starts no new phase,
aborts and still concludes, INCONCLUSIVE "interrupted" with a sealed ledger. The search command's
protocol-level cancel (stdin closing, SIGTERM, with services running): tests/faces/splunk."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from kassi_app.config import RunRequest
from kassi_app.demos import init_demo
from kassi_app.ledger.chain import LEDGER_FILE
from kassi_app.ledger.verify import verify_ledger
from kassi_app.workflow.runner import run_request
from kassi_app.workflow.sink import NullSink, PhaseEvent

KEY = "cancel-test-seal-key"


class CancelAfter(NullSink):
    """Cancels the run when ``phase`` ends, and keeps every ended phase."""

    def __init__(self, phase: str, cancel: threading.Event) -> None:
        self.phase_name, self.cancel, self.ended = phase, cancel, []

    def phase(self, event: PhaseEvent) -> None:
        if event.status != "running":
            self.ended.append((event.phase, event.status, event.detail))
        if event.phase == self.phase_name and event.status == "ok":
            self.cancel.set()


def test_a_cancelled_run_starts_nothing_more_and_ends_sealed_inconclusive(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KASSI_SEAL_KEY", KEY)
    repo = init_demo("sqlite-write-lock", tmp_path / "repo")
    cancel = threading.Event()
    sink = CancelAfter("read_change", cancel)
    outcome = run_request(RunRequest(repo=str(repo.path), base=repo.base, head=repo.head), sink, tmp_path / "home",
                          cancel)
    assert [(p, s) for p, s, _ in sink.ended] == [
        ("begin", "ok"), ("read_change", "ok"), ("prepare_load", "failed"), ("abort", "ok"), ("conclude", "ok")]
    assert sink.ended[2][2] == "Interrupted: interrupted"
    assert outcome.record["verdict"]["class"] == "INCONCLUSIVE" and outcome.record["verdict"]["reason"] == "interrupted"
    assert outcome.exit_code == 3
    run_dir = tmp_path / "home" / "runs" / outcome.run_id
    assert json.loads((run_dir / "run.json").read_text())["verdict"]["reason"] == "interrupted"
    assert verify_ledger(run_dir / LEDGER_FILE, KEY.encode()) == []
