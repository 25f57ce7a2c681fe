"""One run's context: its id and folder, what it has learned (``RunEvidence``), the live resources
that Burr state cannot hold (worktrees, target processes, the telemetry store), and its sink.

The phases in ``actions.py`` do the work; the graph in ``graph.py`` decides which may run when.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from kassi_app.errors import INTERRUPTED, InfrastructureError, Interrupted, KassiError
from kassi_app.events import LogEvent, Variant
from kassi_app.home import kassi_home, private_dir
from kassi_app.target import RunningTarget, cleanup
from kassi_app.target.linecov import LineCoverage
from kassi_app.telemetry.logparse import LogParser
from kassi_app.telemetry.port import TelemetryStore
from kassi_app.telemetry.splunk_open import SplunkSource
from kassi_app.telemetry.store import SQLiteStore
from kassi_app.workflow.evidence import RunEvidence
from kassi_app.workflow.runs import new_run_id
from kassi_app.workflow.sink import NullSink, RunSink, SafeSink

if TYPE_CHECKING:  # the model backends (httpx2) load only when a fix asks a model
    from kassi_app.remedy.backends import RemedyModels

T = TypeVar("T")
MAX_LOG_EVENTS = 200_000
"""Target log lines a run keeps (a few hundred bytes each: well under 100 MB)."""


@dataclass
class Side:
    """One variant under load: where its service listens, and (A/B) the running target."""

    variant: Variant
    host: str
    port: int
    target: RunningTarget | None = None
    parser: LogParser | None = None


@dataclass
class PhaseTimer:
    """Wall seconds per phase (a phase that runs twice, like drive_load, adds up)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.monotonic() - started, 3)


class RunResources:
    """What a run started and must stop: closed by ``conclude`` (and by the runner, whatever happens)."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.truth: TelemetryStore = store
        """Where the judge reads the server side: the proxy's events in ``store``, or (live runs with
        ``telemetry = splunk``) the service's own access log in Splunk."""
        self.sides: list[Side] = []
        self.stack = ExitStack()
        self.linecov: LineCoverage | None = None
        """The head target's changed-lines measurement (``[load] line_coverage``), until it is read."""
        self._logs_stored = 0

    def flush_logs(self, logs: list[LogEvent]) -> None:
        """Write the log events captured since the last flush to the store (one batch)."""
        fresh = logs[self._logs_stored :]
        self._logs_stored += len(fresh)
        if fresh:
            self.store.write_logs(fresh)

    def close(self) -> None:
        self.stack.close()


class RunContext:
    """A run in the making. One per run; the governor's actions close over it."""

    def __init__(
        self, home: Path | None = None, sink: RunSink | None = None, cancel: threading.Event | None = None,
        models: RemedyModels | None = None, splunk: SplunkSource | None = None,
    ) -> None:
        self.home = home or kassi_home()
        self.splunk = splunk
        """``telemetry = splunk`` settings and credential from the face (else a file and the environment)."""
        self.cancel = cancel or threading.Event()
        self.models = models
        """The fix's models as the face chose them; None: from the environment. Never recorded (keys)."""
        self.run_id = new_run_id()
        self.run_dir = private_dir(self.home / "runs" / self.run_id)
        self.evidence = RunEvidence()
        self.resources = RunResources(SQLiteStore(self.home / "kassi.db"))
        self.sink = SafeSink([sink or NullSink()])
        self.timer = PhaseTimer()
        self.record_path = self.run_dir / "run.json"
        self.children = cleanup.Scope()
        """The processes this run's phases registered for cleanup (targets, k6): what an overrun stops."""
        self.overrun: str | None = None
        """Why a phase was stopped at its deadline (None: none was)."""

    def guarded(self, name: str, work: Callable[[], T], *, cancellable: bool = True) -> T:
        """Run one phase's work, timing it and keeping the first kassi error (it sets the exit code).
        A ``cancellable`` phase of a cancelled run fails before it starts anything."""
        with self.timer.phase(name):
            try:
                if cancellable:
                    self.check_cancel()
                return work()
            except KassiError as exc:
                self.evidence.failure = self.evidence.failure or exc
                raise

    def check_cancel(self) -> None:
        """Raise Interrupted once the face cancelled the run (InfrastructureError once a phase overran):
        checked before each phase and each load block, so a cancelled run starts nothing new and goes
        on to abort and conclude (sealed)."""
        if self.cancel.is_set():
            raise Interrupted(INTERRUPTED)
        if self.overrun is not None:
            raise InfrastructureError(self.overrun)

    def stop_overrun(self, reason: str) -> None:
        """A phase overran its deadline (the governor's ``on_overrun``, on the stepping thread): the run
        fails with ``reason``, starts nothing new, and the processes it started are stopped now, so the
        phase's work (waiting on a target's health, on k6) returns instead of running on unseen."""
        self.overrun = self.overrun or reason
        self.evidence.failure = self.evidence.failure or InfrastructureError(reason)
        self.children.stop()

    def keep_log(self, event: LogEvent) -> None:
        """Keep one of the targets' log lines (both targets' reader threads call this; list.append is
        atomic). At most MAX_LOG_EVENTS are kept: a target that logs without end must not exhaust
        kassi's memory; the ones dropped are counted and named in the record."""
        if len(self.evidence.logs) < MAX_LOG_EVENTS:
            self.evidence.logs.append(event)
        else:
            self.evidence.logs_dropped += 1
