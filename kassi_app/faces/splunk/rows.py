"""The search command's results: one row per phase as it ends, then one verdict row.

The run reports on its own thread through ``RowSink``; the command's thread takes the rows in
batches (``RowStream.next_batch``), one batch per protocol round, so each phase reaches the search
as soon as it ends. Every row carries every field: splunklib writes each answer's CSV header from its
first row, so a field only the verdict row had would be dropped otherwise.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Mapping
from typing import Any

from kassi_app.workflow.sink import LedgerStatus, NullSink, PhaseEvent

PHASE_FIELDS = ("_time", "run_id", "seq", "phase", "card", "status", "detail")
VERDICT_FIELDS = ("verdict", "reason", "route", "root_cause", "ledger_head")
FIELDS = (*PHASE_FIELDS, *VERDICT_FIELDS)
Row = dict[str, Any]


def row(**values: Any) -> Row:
    """A result row with every field, empty where ``values`` has none."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a kassi result field: {sorted(unknown)}")
    return {name: values.get(name, "") for name in FIELDS}


class RowStream:
    """Rows handed from the run's thread to the command's, with the end of the run marked."""

    _END = None

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Row | None] = queue.SimpleQueue()
        self._ended = False

    def put(self, item: Row) -> None:
        self._queue.put(item)

    def close(self) -> None:
        """No more rows will come (the run ended, or never started)."""
        self._queue.put(self._END)

    @property
    def ended(self) -> bool:
        return self._ended

    def next_batch(self, on_wait: Callable[[], None] | None = None, poll_s: float = 0.25) -> list[Row]:
        """Wait for at least one row (or the end), then take every row ready now.

        Waits in slices of ``poll_s``, calling ``on_wait`` between them (the command watches its
        stdin there); a signal handler on the waiting thread runs between slices too."""
        batch: list[Row] = []
        if self._ended:
            return batch
        while True:
            try:
                item = self._queue.get(timeout=poll_s)
                break
            except queue.Empty:
                if on_wait is not None:
                    on_wait()
        while True:
            if item is self._END:
                self._ended = True
                return batch
            batch.append(item)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch


class RowSink(NullSink):
    """The command's run sink: a row per ended phase or refusal, and the verdict row once sealed."""

    def __init__(self, stream: RowStream) -> None:
        self._stream = stream

    def phase(self, event: PhaseEvent) -> None:
        if event.status == "running":
            return
        self._stream.put(row(_time=round(event.at, 3), run_id=event.run_id, seq=event.seq, phase=event.phase,
                             card=event.card, status=event.status, detail=event.detail))

    def end(self, run_id: str, record: Mapping[str, Any], ledger: LedgerStatus) -> None:
        self._stream.put(verdict_row(run_id, record, ledger))


def verdict_row(run_id: str, record: Mapping[str, Any], ledger: LedgerStatus) -> Row:
    """The last row: the verdict, the routes it names (a multivalue field), the root cause and the
    sealed ledger's head."""
    verdict: Mapping[str, Any] = record.get("verdict") or {}
    routes = [f"{r['method']} {r['route']}" for r in verdict.get("routes") or []
              if r.get("class") == verdict.get("class")]
    cause: Mapping[str, Any] = verdict.get("root_cause") or {}
    summary, location = str(cause.get("summary") or ""), str(cause.get("location") or "")
    cause_text = f"{cause.get('kind')}: {summary}" if cause else ""
    if location and location not in summary:
        cause_text += f" (at {location})"
    return row(_time=round(time.time(), 3), run_id=run_id, seq=ledger.entries, phase="verdict", card="",
               status="sealed" if ledger.sealed else "unsealed",
               detail=str(record.get("failure") or ""),
               verdict=verdict.get("class", "INCONCLUSIVE"), reason=verdict.get("reason", ""),
               route=routes, root_cause=cause_text, ledger_head=ledger.head)
