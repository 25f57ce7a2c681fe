"""The watcher's events as data, in the shapes docs/splunk-dashboards.md fixes for the app's views and
alerts (every event a flat JSON object whose first key is ``_time``): ``kassi:watch`` per commit
(built in :mod:`kassi_app.watch.poll`), and a run's own ``kassi:phase`` (one per finished phase or
refusal) and ``kassi:run`` (the run, ``origin = watch``).

The watcher hands every event to an :data:`Emit` function, ``emit(sourcetype, data)``: the modular
input writes it to its event stream, ``kassi watch`` prints it. Swapping that one function (or
:func:`run_event` for the publisher's) changes where and how events go without touching the
watcher.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kassi_app.workflow.sink import LedgerStatus, NullSink, PhaseEvent

Emit = Callable[[str, Mapping[str, Any]], None]
"""``emit(sourcetype, data)``: one event; ``data`` is JSON-serialisable and starts with ``_time``."""


def phase_event(event: PhaseEvent) -> dict[str, Any]:
    """A ``kassi:phase`` event: one move of the run's governed machine."""
    return {"_time": event.at, "run_id": event.run_id, "seq": event.seq,
            "kind": "refusal" if event.status == "refused" else "step", "phase": event.phase,
            "card": event.card, "status": event.status, "duration_s": event.duration_s, "detail": event.detail}


def run_event(record: Mapping[str, Any], ledger: LedgerStatus, repo: str, at: float) -> dict[str, Any]:
    """A ``kassi:run`` event of a watched commit's run, from its record: the verdict, the decisive
    route, the root cause and the ledger's head as flat fields."""
    verdict: Mapping[str, Any] = record.get("verdict") or {}
    request: Mapping[str, Any] = record.get("request") or {}
    routes: list[Mapping[str, Any]] = verdict.get("routes") or []
    decisive = next((r for r in routes if r.get("class") == verdict.get("class")), None)
    cause: Mapping[str, Any] = verdict.get("root_cause") or {}
    base, head = request.get("base"), request.get("head")
    return {
        "_time": at, "run_id": record.get("run_id"), "origin": "watch", "mode": record.get("mode"), "repo": repo,
        "base": base, "commit": head, "change": f"{base}..{head}", "verdict": verdict.get("class"),
        "reason": verdict.get("reason"),
        "route": f"{decisive['method']} {decisive['route']}" if decisive else None,
        "root_cause": cause.get("summary"), "root_cause_kind": cause.get("kind"),
        "root_cause_location": cause.get("location"), "failure": record.get("failure"),
        "wall_s": round(sum((record.get("timings_s") or {}).values()), 3),
        "routes": [{k: r.get(k) for k in ("method", "route", "class", "reason", "change", "collateral")}
                   for r in routes],
        "evidence": verdict.get("evidence") or [],
        "ledger_head": ledger.head, "ledger_entries": ledger.entries, "ledger_sealed": ledger.sealed,
    }


class EventSink(NullSink):
    """A run's sink that turns its finished phases and its end into events."""

    def __init__(self, emit: Emit, repo: str) -> None:
        self._emit = emit
        self._repo = repo

    def phase(self, event: PhaseEvent) -> None:
        if event.status != "running":
            self._emit("kassi:phase", phase_event(event))

    def end(self, run_id: str, record: Mapping[str, Any], ledger: LedgerStatus) -> None:
        self._emit("kassi:run", run_event(record, ledger, self._repo, time.time()))
