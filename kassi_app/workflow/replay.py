"""Where a run's recorded traffic comes from (``--traffic``): a HAR or access-log file, or, for a live
run whose telemetry is Splunk, the service's own recent access events there (``--traffic splunk``).
Either way the same replay machinery (load/traffic.py) keeps the changed routes' requests, secrets
dropped, and their counts set the mix."""

from __future__ import annotations

from pathlib import Path

from kassi_app.config import SPLUNK_TRAFFIC, RunRequest
from kassi_app.endpoint import Endpoint
from kassi_app.errors import BadInput
from kassi_app.load.traffic import Recorded, read_traffic, recorded_request, replay_for
from kassi_app.telemetry.splunk_open import open_splunk_store
from kassi_app.telemetry.splunk_settings import SplunkSettings

RECENT_WINDOW_S = 24 * 3600.0
"""How far back ``--traffic splunk`` looks for the service's requests (the newest ones are kept)."""


def check_traffic(request: RunRequest) -> None:
    """``--traffic splunk`` reads what a live run's Splunk telemetry reads: refuse it elsewhere."""
    if request.traffic == SPLUNK_TRAFFIC and (request.mode != "live" or request.telemetry != "splunk"):
        raise BadInput("--traffic splunk replays the service's access events in Splunk: it needs a live run "
                       "with --telemetry splunk (a file named splunk: give its path, e.g. ./splunk)")


def recorded_traffic(request: RunRequest, endpoints: list[Endpoint],
                     splunk: SplunkSettings | None) -> dict[Endpoint, list[Recorded]]:
    """The recorded requests of each of ``endpoints`` the request's ``traffic`` names."""
    if request.traffic != SPLUNK_TRAFFIC:
        assert request.traffic is not None
        return replay_for(read_traffic(Path(request.traffic)), endpoints)
    assert splunk is not None
    store = open_splunk_store(splunk, [e.route for e in endpoints])
    found = store.recent_requests([(e.method, e.route) for e in endpoints], RECENT_WINDOW_S)
    replay = replay_for([recorded_request(method, path) for method, path in found], endpoints)
    if not replay:
        asked = ", ".join(str(e) for e in endpoints)
        raise BadInput(f"--traffic splunk: Splunk holds no request of {asked} in the last "
                       f"{RECENT_WINDOW_S / 3600:g} h (index {splunk.access.index}): nothing to replay")
    return replay
