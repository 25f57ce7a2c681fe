"""The run-view picture (render_run_view.py) draws what kassi_run.xml defines: a panel for every
visualization, fed by the data source the view names, with the join and the empty states computed
as the view's SPL does. (The screenshot itself is made by hand; see docs/splunk-dashboards.md.)"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
from render_run_view import join, page, panels
from splunk_app import full_query, studio_views

from kassi_app.events import AccessEvent, Variant

VIEW = studio_views()["kassi_run"]
RUN: dict[str, Any] = {
    "_time": 1764391268.5, "run_id": "r1", "repo": "shop", "commit": "b" * 40, "change": "aaaa..bbbb",
    "route": "POST /api/loans", "verdict": "REGRESSION", "reason": "server errors up", "root_cause": "db locked",
    "failure": None, "wall_s": 41.0, "evidence": [{"source": "proxy", "fact": "296 x 500"}], "remedy": None,
    "ledger_head": "ab" * 32, "ledger_entries": 9, "ledger_sealed": True, "ledger_verified": True,
    "ledger_problem": None,
}


def access(request_id: str, variant: Variant, status: int, ms: float) -> dict[str, Any]:
    event = AccessEvent(1.0, "r1", variant, "POST", "/api/loans", "/api/loans", status, ms, 10).to_dict()
    return {**event, "request_id": request_id}


def client(request_id: str, variant: str, ms: float) -> dict[str, Any]:
    return {"request_id": request_id, "variant": variant, "http_method": "POST", "route": "/api/loans",
            "status": 200, "duration_ms": ms}


def test_every_visualization_of_the_view_gets_its_data_source() -> None:
    data = panels(RUN, [], [access("q1", "base", 200, 10.0)], [])
    assert {v["dataSources"]["primary"] for v in VIEW["visualizations"].values()} == set(data)


def test_the_join_pairs_requests_by_id_and_reports_the_gap() -> None:
    server = [access("q1", "head", 200, 10.0), access("q2", "head", 500, 30.0), access("q3", "head", 200, 5.0)]
    kind, rows = join(server, [client("q1", "head", 12.0), client("q2", "head", 33.0)])
    assert kind == "table"
    assert rows == [{"endpoint": "POST /api/loans", "variant": "head", "requests": 2,
                     "client_p50": 22.5, "server_p50": 20.0, "gap_p50": 2.5,
                     "client_p95": 31.9, "server_p95": 29.0, "gap_p95": 3.0}]


def test_empty_panels_say_why_and_the_page_shows_every_title() -> None:
    data = panels(RUN, [], [], [])
    assert data["ds_walk"] == ("table", [{"message": "No kassi:phase events for this run: was it published?"}])
    assert "message" in data["ds_join"][1][0] and "message" in data["ds_remedy"][1][0]
    html, height = page(VIEW, data, "r1")
    assert "Not Splunk itself" in html
    for viz in VIEW["visualizations"].values():
        assert viz["title"].replace("'", "&#x27;") in html
    assert height > max(i["position"]["y"] for i in VIEW["layout"]["layoutDefinitions"]["layout_main"]["structure"])


def spl_columns(query: str) -> list[str]:
    """The columns a search ends with: its last `| table`, then any `| rename A AS B, ...`."""
    tail = query.rsplit("| table ", 1)[1]
    columns = shlex.split(tail.split("\n", 1)[0])
    for renames in re.findall(r"\| rename (.+)", tail):
        for old, new in re.findall(r'(\S+) AS ("[^"]+"|\S+)', renames):
            columns[columns.index(old)] = new.strip('"')
    return columns


@pytest.mark.parametrize(
    "viz", [v for v in VIEW["visualizations"].values() if v["type"] == "splunk.table"], ids=lambda v: v["title"]
)
def test_tables_have_the_columns_of_the_views_searches(viz: dict[str, Any]) -> None:
    walk = [{"seq": 0, "card": "The Fool", "phase": "begin", "status": "ok", "duration_s": 0.1, "detail": ""}]
    run = {**RUN, "remedy": {"diff": "--- a/app.py\n+++ b/app.py\n-x\n+y"}}
    server, requester = [access("q1", "head", 200, 10.0)], [client("q1", "head", 12.0)]
    source = viz["dataSources"]["primary"]
    kind, rows = panels(run, walk, server, requester)[source]
    assert kind == "table"
    assert list(rows[0]) == spl_columns(full_query(VIEW, source))
