"""Run one request to its sealed end in-process: what every face that runs kassi to the end shares
(`kassi run`, `kassi demo`, the Splunk search command and watcher, the benchmarks)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kassi_app.config import RunRequest
from kassi_app.errors import BadInput
from kassi_app.judge import exit_code_for
from kassi_app.telemetry.splunk_open import SplunkSource
from kassi_app.workflow.autopilot import drive
from kassi_app.workflow.context import RunContext
from kassi_app.workflow.graph import open_run
from kassi_app.workflow.record import with_ledger
from kassi_app.workflow.sink import LedgerStatus, RunSink

if TYPE_CHECKING:
    from kassi_app.remedy.backends import RemedyModels


@dataclass(frozen=True)
class RunOutcome:
    """The run's record as a face shows it (with the sealed ledger's status) and its exit code."""

    record: dict[str, Any]
    exit_code: int

    @property
    def run_id(self) -> str:
        return str(self.record.get("run_id", ""))


def run_request(
    request: RunRequest, sink: RunSink | None = None, home: Path | None = None, cancel: threading.Event | None = None,
    models: RemedyModels | None = None, splunk: SplunkSource | None = None,
) -> RunOutcome:
    """Drive a governed run with the autopilot to its sealed end. Never raises for a run that failed:
    the failure is in the record (INCONCLUSIVE with the reason) and the exit code.

    Setting ``cancel`` (from another thread) makes every later phase fail with ``Interrupted``: the run
    aborts and concludes, INCONCLUSIVE "interrupted", sealed. To stop the phase in progress as well,
    the face also runs ``target.cleanup.run_all()`` (it stops the run's services and k6). ``models``
    are the fix's model backends as the face chose them (None: from the environment).

    ``splunk``: a face that holds Splunk settings and a session key (the search command) passes them
    here for ``telemetry = splunk``; otherwise they come from ``request.splunk_config`` and the
    environment."""
    ctx = RunContext(home, sink, cancel, models, splunk)
    governor = open_run(ctx)
    try:
        drive(governor, request.model_dump(mode="json"))
    finally:
        ctx.resources.close()
        ctx.resources.store.close()
    ledger = governor.ledger
    status = LedgerStatus(str(ledger.path), ledger.head, ledger.count, ledger.sealed)
    record: dict[str, Any] = json.loads(ctx.record_path.read_text(encoding="utf-8")) if ctx.record_path.exists() else {
        "run_id": ctx.run_id, "verdict": None, "failure": str(ctx.evidence.failure or "the run did not conclude"),
    }
    ctx.sink.end(ctx.run_id, record, status)
    if isinstance(ctx.evidence.failure, BadInput):
        return RunOutcome(with_ledger(record, status), BadInput.exit_code)
    verdict: dict[str, Any] = record.get("verdict") or {}
    return RunOutcome(with_ledger(record, status), exit_code_for(verdict.get("class", "INCONCLUSIVE")))
