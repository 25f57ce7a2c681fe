"""Hand events to a sink in batches from a background thread, so the hot path only enqueues."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Batcher(Generic[T]):
    """``put`` / ``put_many`` are cheap and thread-safe; a daemon thread calls ``sink`` with about
    ``max_batch`` events at a time, at the latest ``max_delay`` seconds after the first arrived."""

    def __init__(
        self, sink: Callable[[Sequence[T]], None], max_batch: int = 2000, max_delay: float = 0.2
    ) -> None:
        self._sink = sink
        self._max_batch = max_batch
        self._max_delay = max_delay
        self._queue: queue.SimpleQueue[list[T] | None] = queue.SimpleQueue()  # None stops the thread
        self._thread = threading.Thread(target=self._run, name="kassi-batcher", daemon=True)
        self._thread.start()

    def put(self, event: T) -> None:
        self._queue.put([event])

    def put_many(self, events: list[T]) -> None:
        """Hand over a list the caller no longer touches (one queue operation for many events)."""
        self._queue.put(events)

    def close(self, timeout: float = 10.0) -> None:
        """Deliver everything queued so far, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = list(first)
            deadline = time.monotonic() + self._max_delay
            try:
                while len(batch) < self._max_batch:
                    more = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                    if more is None:
                        stopping = True
                        break
                    batch.extend(more)
            except queue.Empty:
                pass
            self._deliver(batch)

    def _deliver(self, batch: list[T]) -> None:
        try:
            self._sink(batch)
        except Exception:  # a failing sink must not kill the thread and lose later batches
            log.exception("telemetry sink failed on a batch of %d events", len(batch))
