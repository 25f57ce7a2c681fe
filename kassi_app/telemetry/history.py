"""A route's p95 over past runs: live mode's baseline, read from kassi's own run records.

Both stores answer it: SQLite from its ``runs`` table (the JSON record of each run), Splunk from the
``kassi:run`` events kassi publishes (the same record). The route and variant are JSON keys taken
literally on both sides (``json_each`` keys, SPL ``json_extract_exact``), so ``{id}`` or a dot in a
route is no path syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kassi_app.events import Variant
from kassi_app.telemetry.queries import SqlParam, spl_quote

RUN_SEARCH = "`kassi_index` sourcetype=kassi:run"
"""kassi's own published run records: fixed text of the kassi app (its macro), never user input."""
EPOCH = "kassi_epoch"
"""``_time`` copied: Splunk's JSON output renders ``_time`` itself as ISO text, a copy stays epoch seconds."""


@dataclass(frozen=True)
class P95Point:
    """One past run's p95 for a route; ``time`` is when the run was recorded (epoch seconds)."""

    run_id: str
    time: float
    p95_ms: float


@dataclass(frozen=True)
class RouteP95HistoryQuery:
    """This route's p95 (ms) at ``variant`` over the last ``runs`` recorded runs, newest first.
    ``target``: only runs against this base URL (a live run's ``--url``: the record's
    ``request.url``, the ``repo`` of its ``kassi:run`` event), so two services that share a route
    template do not share a history."""

    route: str
    variant: Variant = "live"
    runs: int = 20
    target: str | None = None

    def to_sql(self) -> tuple[str, tuple[SqlParam, ...]]:
        target = " AND json_extract(r.record, '$.request.url') = ?" if self.target is not None else ""
        return (
            "SELECT r.run_id, r.created, json_extract(e.value, '$.p95_ms') AS p95 "
            "FROM runs r, json_each(r.record, '$.telemetry') v, json_each(v.value) e "
            f"WHERE v.key = ? AND e.key = ? AND p95 IS NOT NULL{target} ORDER BY r.created DESC, r.run_id LIMIT ?",
            (self.variant, self.route, *((self.target,) if self.target is not None else ()), int(self.runs)),
        )

    def to_spl(self) -> str:
        p95 = (
            "tonumber(json_extract_exact(json_extract_exact(json_extract_exact(json_extract_exact("
            f'_raw, "telemetry"), {spl_quote(self.variant)}), {spl_quote(self.route)}), "p95_ms"))'
        )
        target = ""
        if self.target is not None:
            target = f' | where json_extract_exact(_raw, "repo")={spl_quote(self.target)}'
        return (
            f"search {RUN_SEARCH}{target} | eval kassi_p95={p95} | where isnotnull(kassi_p95) "
            f"| sort 0 - _time | head {int(self.runs)} | eval {EPOCH}=_time | table {EPOCH} run_id kassi_p95"
        )

    def read(self, rows: Sequence[tuple[Any, ...]]) -> tuple[P95Point, ...]:
        return tuple(P95Point(str(run_id), float(t), float(p95)) for run_id, t, p95 in rows)
