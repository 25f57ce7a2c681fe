"""Live runs: each loaded route's p95 beside its own history, read from the run's telemetry store
(the embedded store's past run records, or the ``kassi:run`` events published to Splunk).

Advisory (``judge.baseline`` says why): a history that cannot be read is a warning, never a
failed run.
"""

from __future__ import annotations

from collections.abc import Sequence

from kassi_app.endpoint import Endpoint
from kassi_app.errors import KassiError
from kassi_app.judge.baseline import HISTORY_RUNS, P95History, p95_history
from kassi_app.telemetry.history import RouteP95HistoryQuery
from kassi_app.telemetry.port import TelemetryStore
from kassi_app.workflow.evidence import Telemetry


def live_histories(
    truth: TelemetryStore, telemetry: Telemetry, endpoints: Sequence[Endpoint], target: str
) -> tuple[dict[Endpoint, P95History], list[str]]:
    """Per endpoint with a p95 in this run: its history against ``target`` (the live URL), if long
    enough; and one warning per history that could not be read."""
    found: dict[Endpoint, P95History] = {}
    warnings: list[str] = []
    for endpoint in endpoints:
        now = telemetry.get("live", {}).get(endpoint.route)
        if now is None or now.stats.count == 0:
            continue
        try:
            past = truth.ask(RouteP95HistoryQuery(endpoint.route, "live", HISTORY_RUNS, target))
        except KassiError as exc:
            warnings.append(f"history of {endpoint} not read: {exc}")
            continue
        history = p95_history(now.stats.p95, [point.p95_ms for point in past])
        if history is not None:
            found[endpoint] = history
    return found, warnings
