"""The telemetry port: what the engine asks of any store that holds the server-side truth.

Both adapters satisfy it: ``SQLiteStore`` (kassi's own proxy events, embedded) and ``SplunkStore``
(the service's own access log in Splunk). A store whose events arrive from outside kassi, with no
proxy in the path, is also told when each block of load ran and waits for its events to land.
"""

from __future__ import annotations

from typing import Protocol, TypeVar, runtime_checkable

from kassi_app.telemetry.queries import Query
from kassi_app.telemetry.spl import BlockWindow

R = TypeVar("R")


@runtime_checkable
class TelemetryStore(Protocol):
    """Answers the typed questions of ``queries.py`` with their typed results."""

    def ask(self, query: Query[R]) -> R: ...


@runtime_checkable
class ExternalTruth(TelemetryStore, Protocol):
    """A store that reads what the service itself logged: no proxy, so kassi reports the windows."""

    def record_block(self, window: BlockWindow) -> None:
        """Remember that ``window.variant`` was under load from ``start`` to ``end``."""
        ...

    def settle(self, run_id: str) -> int:
        """Wait until the run's events stop arriving (deadline: InfrastructureError); their count."""
        ...
