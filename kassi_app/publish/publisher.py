"""Publish one finished run through a transport, in batches, and never lose it.

A run folder is marked unpublished (``unpublished.json``) *before* the first event is sent and the
mark is removed only once every batch was accepted; so a run whose publishing failed, or was cut
short by a crash or Ctrl-C, stays marked with the reason, and ``kassi publish`` sends it later.
Sending twice is harmless: every event carries its stable key (``events.PublishEvent.key``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kassi_app.publish.events import PublishEvent, read_record, run_events
from kassi_app.publish.retry import PublishError
from kassi_app.telemetry.port import TelemetryStore
from kassi_app.telemetry.store import SQLiteStore

UNPUBLISHED_FILE = "unpublished.json"
MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 512 * 1024
"""Well under HEC's default request limit (``max_content_length``, 800 MB on Splunk 9+, 1 MB before)
and small enough that one retried batch costs little."""


class Transport(Protocol):
    """Where events go: HEC from outside Splunk, splunklib from inside it."""

    destination: str
    """Where the events go, for messages and the unpublished mark (never a credential)."""

    def send(self, batch: Sequence[PublishEvent]) -> None:
        """Deliver the batch (retrying what is transient) or raise ``PublishError``."""


@dataclass(frozen=True)
class PublishReport:
    run_id: str
    events: int
    batches: int
    seconds: float
    destination: str
    by_sourcetype: dict[str, int]


def batches(events: Sequence[PublishEvent], max_events: int = MAX_BATCH_EVENTS,
            max_bytes: int = MAX_BATCH_BYTES) -> Iterator[list[PublishEvent]]:
    """Consecutive slices of ``events`` within both bounds (one oversized event goes alone)."""
    batch: list[PublishEvent] = []
    size = 0
    for event in events:
        length = len(event.line()) + 256  # the envelope's fields around the body
        if batch and (len(batch) >= max_events or size + length > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += length
    if batch:
        yield batch


def mark_unpublished(run_dir: Path, reason: str, destination: str) -> None:
    (run_dir / UNPUBLISHED_FILE).write_text(
        json.dumps({"reason": reason, "destination": destination, "at": time.time()}, indent=2) + "\n",
        encoding="utf-8")


def unpublished_reason(run_dir: Path) -> dict[str, Any] | None:
    """The mark of a run not (fully) published, or None when it was published or never tried."""
    try:
        mark: dict[str, Any] = json.loads((run_dir / UNPUBLISHED_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"reason": "unreadable mark"}
    return mark


def unpublished_runs(home: Path) -> list[Path]:
    """Every run folder under ``home`` still marked unpublished, oldest first."""
    return sorted(p.parent for p in (home / "runs").glob(f"*/{UNPUBLISHED_FILE}"))


def publish_run(record_dir: Path, transport: Transport, store: TelemetryStore | None = None) -> PublishReport:
    """Send every event of the finished run in ``record_dir``. ``store`` defaults to the run's own
    telemetry store (``<home>/kassi.db``, the folder two levels above the run's). Raises
    ``PublishError`` (the run stays marked unpublished) or ``BadInput`` (not a finished run)."""
    run_id = str(read_record(record_dir)["run_id"])
    mark_unpublished(record_dir, "publishing started and did not finish", transport.destination)
    started = time.monotonic()
    try:
        if store is None:
            with SQLiteStore(record_dir.parent.parent / "kassi.db") as own:
                events = run_events(record_dir, own)
        else:
            events = run_events(record_dir, store)
        sent = 0
        for batch in batches(events):
            transport.send(batch)
            sent += 1
    except Exception as exc:
        mark_unpublished(record_dir, f"{type(exc).__name__}: {exc}", transport.destination)
        if isinstance(exc, PublishError):
            raise
        raise PublishError(f"run {run_id} not published to {transport.destination}: {exc}") from exc
    (record_dir / UNPUBLISHED_FILE).unlink(missing_ok=True)
    counts: dict[str, int] = {}
    for event in events:
        counts[event.sourcetype] = counts.get(event.sourcetype, 0) + 1
    return PublishReport(run_id, len(events), sent, time.monotonic() - started, transport.destination, counts)
