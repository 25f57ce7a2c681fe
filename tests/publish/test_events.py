"""The events of a run, built once (kassi_app.publish.events): what the judge leaves undefined (NaN)
is sent as null, since JSON for Splunk has no NaN, and the same run always gives the same events."""

from __future__ import annotations

import json
import math

from publish_support import FinishedRun

from kassi_app.publish.events import run_events
from kassi_app.telemetry.store import SQLiteStore


def test_undefined_statistics_are_sent_as_null(finished_run: FinishedRun) -> None:
    path = finished_run.folder / "run.json"
    record = json.loads(path.read_text())
    record["verdict"]["routes"][0]["effects"]["p95_base_ms"] = math.nan
    path.write_text(json.dumps(record))  # json writes NaN, as conclude does
    with SQLiteStore(finished_run.home / "kassi.db") as store:
        events = run_events(finished_run.folder, store)
    run = json.loads(events[-1].line())
    assert run["routes"][0]["p95_base_ms"] is None and run["routes"][0]["p95_head_ms"] == 30.0


def test_the_same_run_gives_the_same_events(finished_run: FinishedRun) -> None:
    with SQLiteStore(finished_run.home / "kassi.db") as store:
        first, second = run_events(finished_run.folder, store), run_events(finished_run.folder, store)
    assert [(e.key, e.line()) for e in first] == [(e.key, e.line()) for e in second]
    assert len({e.key for e in first}) == len(first)
