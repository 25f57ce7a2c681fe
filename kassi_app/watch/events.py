"""The watcher's events as data: ``kassi:watch`` per commit (built in :mod:`kassi_app.watch.poll`), and
a run's own ``kassi:phase`` (one per finished phase or refusal) and ``kassi:run`` (the record).

The watcher hands every event to an :data:`Emit` function, ``emit(sourcetype, data, time)``: the
modular input writes it to its event stream, ``kassi watch`` prints it. Swapping that one function
(e.g. for a HEC publisher) changes where events go without touching the watcher.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kassi_app.workflow.sink import LedgerStatus, NullSink, PhaseEvent

Emit = Callable[[str, Mapping[str, Any], float], None]
"""``emit(sourcetype, data, epoch_seconds)``: one event, JSON-serialisable data."""


def phase_event(event: PhaseEvent) -> dict[str, Any]:
    """A ``kassi:phase`` event: one move of the run's governed machine."""
    return {"run_id": event.run_id, "seq": event.seq, "phase": event.phase, "card": event.card,
            "status": event.status, "detail": event.detail, "duration_s": event.duration_s}


class EventSink(NullSink):
    """A run's sink that turns its finished phases and its record into events."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit

    def phase(self, event: PhaseEvent) -> None:
        if event.status != "running":
            self._emit("kassi:phase", phase_event(event), event.at)

    def end(self, run_id: str, record: Mapping[str, Any], ledger: LedgerStatus) -> None:
        self._emit("kassi:run", {**record, "ledger": ledger.to_dict()}, time.time())
