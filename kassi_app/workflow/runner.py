"""Run one request to its sealed end in-process: what `kassi run`, `kassi demo` and the benchmarks share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kassi_app.errors import BadInput
from kassi_app.governance.governor import StepOutcome
from kassi_app.judge import exit_code_for
from kassi_app.target import cleanup
from kassi_app.workflow.autopilot import drive
from kassi_app.workflow.graph import BeginInputs, open_run
from kassi_app.workflow.request import RunRequest
from kassi_app.workflow.session import RunSession, write_record


@dataclass(frozen=True)
class RunOutcome:
    record: dict[str, Any]
    exit_code: int


def run_request(
    request: RunRequest,
    on_step: Callable[[RunSession, StepOutcome], None] = lambda _s, _o: None,
    home: Path | None = None,
    on_start: Callable[[str], None] = lambda _: None,
) -> RunOutcome:
    """Drive a governed run with the autopilot; the record carries the sealed ledger's head."""
    cleanup.install()
    session = RunSession(home)
    governor = open_run(session)
    try:
        drive(governor, BeginInputs.from_request(request).model_dump(), lambda o: on_step(session, o), on_start)
    finally:
        session.close()
    ledger = governor.ledger
    record = session.record or session.build_record({})
    record["ledger"] = {"path": str(ledger.path), "head": ledger.head, "entries": ledger.count,
                        "sealed": ledger.sealed}
    record["timings_s"] = dict(session.timer.seconds)
    write_record(session.run_dir, record)
    session.store.put_run(session.run_id, record)
    session.store.close()
    if isinstance(session.failure, BadInput):
        return RunOutcome(record, BadInput.exit_code)
    verdict = record.get("verdict") or {}
    return RunOutcome(record, exit_code_for(verdict.get("class", "INCONCLUSIVE")))
