"""``RunSink``: the one way a run reports, whichever face started it.

The engine calls a sink at the run's milestones and never knows which face it serves: the CLI's
printer, the MCP server's walk, the Splunk search command's row stream, the modular input's event
stream and the HEC publisher are all sinks. A sink must not raise into the run; the run guards each
call (``SafeSink``) so a broken printer or a refused publish never loses a run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from kassi_app.workflow.governor import Governor, StepOutcome

PhaseStatus = Literal["running", "ok", "failed", "refused"]
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PhaseEvent:
    """One move of the governed machine: ``running`` when a phase starts, then its end status.

    ``seq`` is the move's ledger sequence number (-1 while running); ``detail`` is the error or the
    refusal's reason, empty when the phase went well.
    """

    run_id: str
    seq: int
    phase: str
    card: str
    status: PhaseStatus
    detail: str
    at: float
    duration_s: float | None = None


@dataclass(frozen=True)
class LedgerStatus:
    """Where the run's ledger is and whether it was sealed, as the run ended."""

    path: str
    head: str
    entries: int
    sealed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "head": self.head, "entries": self.entries, "sealed": self.sealed}


class RunSink(Protocol):
    """What a face implements to follow a run. Calls arrive on the thread that drives the run."""

    def begin(self, run_id: str, request: Mapping[str, Any]) -> None:
        """The run exists; ``request`` is what was asked (secrets already redacted)."""

    def phase(self, event: PhaseEvent) -> None:
        """A phase started (``running``) or ended (``ok``/``failed``), or a move was refused."""

    def route_result(self, run_id: str, route: Mapping[str, Any]) -> None:
        """One judged route (``RouteVerdict.to_dict()``), as soon as the judge has decided it."""

    def verdict(self, run_id: str, verdict: Mapping[str, Any]) -> None:
        """The run's final verdict (explained, or INCONCLUSIVE with the reason)."""

    def end(self, run_id: str, record: Mapping[str, Any], ledger: LedgerStatus) -> None:
        """The run record is written and the ledger sealed: nothing more will come."""


class NullSink:
    """A sink that ignores everything: a base to override only what a face needs."""

    def begin(self, run_id: str, request: Mapping[str, Any]) -> None:
        return None

    def phase(self, event: PhaseEvent) -> None:
        return None

    def route_result(self, run_id: str, route: Mapping[str, Any]) -> None:
        return None

    def verdict(self, run_id: str, verdict: Mapping[str, Any]) -> None:
        return None

    def end(self, run_id: str, record: Mapping[str, Any], ledger: LedgerStatus) -> None:
        return None


class SafeSink:
    """Calls every sink in order; a sink that raises is logged and skipped, never fails the run."""

    def __init__(self, sinks: Sequence[RunSink]) -> None:
        self._sinks = tuple(sinks)
        self.failures: list[str] = []

    def _each(self, method: str, *args: Any) -> None:
        for sink in self._sinks:
            try:
                getattr(sink, method)(*args)
            except Exception as exc:  # a face's failure must not end the run it reports on
                text = f"{type(sink).__name__}.{method}: {type(exc).__name__}: {exc}"
                self.failures.append(text)
                _log.warning("run sink failed: %s", text)

    def begin(self, run_id: str, request: Mapping[str, Any]) -> None:
        self._each("begin", run_id, request)

    def phase(self, event: PhaseEvent) -> None:
        self._each("phase", event)

    def route_result(self, run_id: str, route: Mapping[str, Any]) -> None:
        self._each("route_result", run_id, route)

    def verdict(self, run_id: str, verdict: Mapping[str, Any]) -> None:
        self._each("verdict", run_id, verdict)

    def end(self, run_id: str, record: Mapping[str, Any], ledger: LedgerStatus) -> None:
        self._each("end", run_id, record, ledger)


def follow(governor: Governor, sink: RunSink) -> None:
    """Report every move of ``governor`` to ``sink``: ``running`` when a legal action starts, then its
    outcome (refusals included)."""
    run_id = governor.run_id

    def started(action: str, card: str) -> None:
        sink.phase(PhaseEvent(run_id, -1, action, card, "running", "", time.time()))

    def ended(outcome: StepOutcome) -> None:
        sink.phase(PhaseEvent(run_id, outcome.seq, outcome.action, outcome.card, outcome.status,
                              outcome.reason or "", time.time(), outcome.duration_s))

    governor.observe(started, ended)
