"""``PublishingSink``: a run that publishes itself when it ends (``kassi run --publish``, the search
command, the watcher). Publishing happens after the ledger is sealed, so the walk sent is final; a
failure never fails the run: the run stays marked unpublished and the reason is kept here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kassi_app.errors import KassiError
from kassi_app.publish.publisher import PublishReport, Transport, publish_run
from kassi_app.workflow.sink import LedgerStatus, NullSink


class PublishingSink(NullSink):
    """Publishes the run through ``transport`` at ``end``; ``report`` or ``failure`` says how it went."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.report: PublishReport | None = None
        self.failure: str | None = None

    def close(self) -> None:
        """Release the transport (its connections)."""
        close = getattr(self._transport, "close", None)
        if callable(close):
            close()

    def end(self, run_id: str, record: Mapping[str, Any], ledger: LedgerStatus) -> None:
        run_dir = Path(ledger.path).parent
        try:
            self.report = publish_run(run_dir, self._transport)
        except KassiError as exc:  # the run is kept, marked unpublished, for a later `kassi publish`
            self.failure = str(exc)
