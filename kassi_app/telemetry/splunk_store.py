"""The Splunk adapter of the telemetry port: the service's own access log as the server-side truth.

It answers the same typed questions as ``SQLiteStore`` with the same result types, by rendering
them to SPL (``spl.py``) and running them through a transport (splunklib or the Splunk MCP Server).
With no proxy in the path, kassi tells the store when each block of load ran; before the judge
asks, ``settle`` waits out Splunk's indexing delay until the window's event count stops growing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from kassi_app.errors import InfrastructureError
from kassi_app.telemetry.queries import Query
from kassi_app.telemetry.spl import BlockWindow, SplRenderer, SplSearch
from kassi_app.telemetry.splunk_settings import SplunkSettings
from kassi_app.telemetry.splunk_transport import SplunkTransport

R = TypeVar("R")


class SplunkStore:
    """Typed questions answered from Splunk. ``routes`` are the templates kassi drives (route recovery)."""

    def __init__(
        self,
        settings: SplunkSettings,
        transport: SplunkTransport,
        routes: Sequence[str],
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.renderer = SplRenderer(settings, routes)
        self.windows: list[BlockWindow] = []
        self._clock = clock
        self._sleep = sleep

    def record_block(self, window: BlockWindow) -> None:
        self.windows.append(window)

    def _run(self, search: SplSearch[R]) -> R:
        rows = self.transport.export(search.spl, search.earliest, search.latest) if search.spl else []
        try:
            return search.read(rows)
        except (KeyError, TypeError, ValueError) as exc:
            raise InfrastructureError(
                f"Splunk answered rows kassi cannot read ({exc!r}): check the field mapping"
            ) from None

    def ask(self, query: Query[R]) -> R:
        try:
            search = self.renderer.render(query, self.windows)
        except LookupError as exc:
            raise InfrastructureError(str(exc)) from None
        return self._run(search)

    def recent_requests(self, endpoints: Sequence[tuple[str, str]], window_s: float) -> tuple[tuple[str, str], ...]:
        """The service's newest requests of ``endpoints`` over the last ``window_s`` seconds: (method, path)."""
        now = self._clock()
        return self._run(self.renderer.recent_requests(endpoints, now - window_s, now))

    def settle(self, run_id: str) -> int:
        """Wait until Splunk's count of the run's access events stops growing; that count.

        First the indexing delay after the last window ends, then one count per poll until two
        counts in a row agree (and are not zero). Past the deadline the run cannot be judged.
        """
        mine = [w for w in self.windows if w.run_id == run_id]
        if not mine:
            raise InfrastructureError(f"no load window recorded for run {run_id}")
        timing = self.settings.timing
        search = self.renderer.count(run_id, mine)
        wait = max(w.end for w in mine) + timing.index_delay_s - self._clock()
        if wait > 0:
            self._sleep(wait)
        deadline = self._clock() + timing.settle_deadline_s
        last = -1
        while True:
            count = self._run(search)
            if count > 0 and count == last:
                return count
            if self._clock() + timing.settle_poll_s > deadline:
                what = "still growing" if count > 0 else "no access events of the loaded routes"
                raise InfrastructureError(
                    f"Splunk did not settle within {timing.settle_deadline_s:.0f}s ({what}; last count {count}): "
                    "check the index, sourcetype and field mapping, or raise timing.settle_deadline_s"
                )
            last = count
            self._sleep(timing.settle_poll_s)
