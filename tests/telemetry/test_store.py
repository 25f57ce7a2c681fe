"""The embedded SQLite store and the typed queries, on known data; SPL renderings as strings."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from kassi_app.events import AccessEvent, LogEvent, ParsedException, StackFrame
from kassi_app.telemetry.queries import (
    AccessEventsQuery,
    ErrorCount,
    LogEventsQuery,
    RouteStatsQuery,
    TimeBucketsQuery,
    TopErrorsQuery,
    TopExceptionsQuery,
)
from kassi_app.telemetry.store import SQLiteStore

T0 = 1_700_000_000.0


def _events(variant: str, scale: float) -> list[AccessEvent]:
    out = []
    for i in range(100):
        status = 500 if i < 2 else 429 if i < 5 else 404 if i < 10 else 200
        error = ("db locked" if i == 0 else "timeout") if status == 500 else None
        out.append(
            AccessEvent(
                T0 + i,
                "r1",
                variant,
                "GET",
                "/a/{id}",
                f"/a/{i}",
                status,  # type: ignore[arg-type]
                (i + 1) * scale,
                10,
                error,
                "high" if i % 2 else "low",
                i // 50,
            )
        )
    return out


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "kassi.db")
    s.write_access(_events("base", 1.0) + _events("head", 2.0))
    s.write_access([AccessEvent(T0, "other-run", "base", "GET", "/a/{id}", "/a/1", 500, 1.0, 1, "x")])
    return s


def test_wal_and_round_trip(store: SQLiteStore) -> None:
    events = store.ask(AccessEventsQuery(run_id="r1", variant="head"))
    assert events == tuple(_events("head", 2.0))
    assert store._writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_route_stats(store: SQLiteStore) -> None:
    base, head = store.ask(RouteStatsQuery(run_id="r1"))
    assert (base.variant, base.route, base.count) == ("base", "/a/{id}", 100)
    assert (base.status_2xx, base.status_4xx, base.status_429, base.status_5xx) == (90, 5, 3, 2)
    durations = np.arange(1, 101) * 2.0
    assert head.p50 == pytest.approx(np.percentile(durations, 50))
    assert head.p95 == pytest.approx(np.percentile(durations, 95))
    assert head.p99 == pytest.approx(np.percentile(durations, 99))
    (low_only,) = store.ask(RouteStatsQuery(run_id="r1", variant="base", stage="low"))
    assert low_only.count == 50


def test_time_buckets_and_window(store: SQLiteStore) -> None:
    buckets = store.ask(TimeBucketsQuery(run_id="r1", variant="base", span_s=50, latest=T0 + 60))
    assert [(b.start - T0, b.count, b.status_5xx) for b in buckets] == [(0, 50, 2), (50, 10, 0)]
    assert buckets[0].p50 == pytest.approx(25.5)


def test_top_errors(store: SQLiteStore) -> None:
    assert store.ask(TopErrorsQuery(run_id="r1", limit=1)) == (
        ErrorCount("base", "/a/{id}", "db locked", 1),
        ErrorCount("head", "/a/{id}", "db locked", 1),
    )
    assert len(store.ask(TopErrorsQuery(run_id="r1", variant="head"))) == 2


def test_logs_top_exceptions_and_runs(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "k.db")
    exc = ParsedException(
        "sqlite3.OperationalError", "database is locked", (StackFrame("/app/db.py", 3, "q"),)
    )
    store.write_logs(
        [LogEvent(T0 + i, "r1", "head", "stderr", "ERROR", "x", exc) for i in range(3)]
        + [LogEvent(T0, "r1", "head", "stderr", "ERROR", "y", ParsedException("KeyError", "'k'"))]
        + [LogEvent(T0, "r1", "head", "stdout", "INFO", "started", None)]
    )
    top = store.ask(TopExceptionsQuery(run_id="r1"))
    assert [(t.exception, t.count) for t in top] == [(exc, 3), (ParsedException("KeyError", "'k'"), 1)]
    logs = store.ask(LogEventsQuery(run_id="r1"))
    assert len(logs) == 5 and [e.exception for e in logs].count(exc) == 3
    assert next(e for e in logs if e.message == "started").exception is None
    assert [e._time for e in logs] == sorted(e._time for e in logs)
    store.put_run("r1", {"verdict": "HEALTHY"})
    store.put_run("r1", {"verdict": "REGRESSION", "n": 2})
    assert store.get_run("r1") == {"verdict": "REGRESSION", "n": 2}
    assert store.get_run("nope") is None and store.run_ids() == ["r1"]


def test_a_store_from_before_request_ids_gains_the_column_and_keeps_its_rows(tmp_path: Path) -> None:
    """A kassi.db written before X-Kassi-Request-Id existed: opening it adds ``request_id`` (old rows
    read None), and new events keep theirs."""
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE access_events (_time REAL NOT NULL, run_id TEXT NOT NULL, variant TEXT NOT NULL, "
            "http_method TEXT NOT NULL, route TEXT NOT NULL, uri_path TEXT NOT NULL, status INTEGER NOT NULL, "
            "duration_ms REAL NOT NULL, bytes_out INTEGER NOT NULL, error TEXT, stage TEXT NOT NULL, "
            "block INTEGER NOT NULL)")
        db.execute("INSERT INTO access_events VALUES (1.0, 'r1', 'base', 'GET', '/a', '/a', 200, 2.0, 5, NULL, '', 0)")
    db.close()
    with SQLiteStore(path) as store:
        store.write_access([AccessEvent(2.0, "r1", "head", "GET", "/a", "/a", 200, 3.0, 5, request_id="0-1-x-1")])
        old, new = store.ask(AccessEventsQuery(run_id="r1"))
    assert (old.request_id, old.duration_ms) == (None, 2.0) and new.request_id == "0-1-x-1"
    SQLiteStore(path).close()  # a second open finds the column there and adds nothing


def test_concurrent_writers(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    batch = _events("base", 1.0)
    threads = [
        threading.Thread(target=lambda: [store.write_access(batch) for _ in range(5)]) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (stats,) = store.ask(RouteStatsQuery(run_id="r1"))
    assert stats.count == 4 * 5 * 100


def test_spl_values_are_exact_where_a_search_term_would_be_a_wildcard() -> None:
    spl = RouteStatsQuery(run_id="r1", route="/files/*").to_spl()
    assert 'route="/files/*" | where run_id="r1" AND route="/files/*" | stats' in spl


def test_spl_renderings() -> None:
    base = (
        '`kassi_index` sourcetype=kassi:access run_id="r\\"1" variant="head" '
        '| where run_id="r\\"1" AND variant="head"'
    )
    assert RouteStatsQuery(run_id='r"1', variant="head").to_spl() == (
        f"search {base} | stats count, count(eval(status>=200 AND status<300)) AS status_2xx, "
        "count(eval(status>=400 AND status<500 AND status!=429)) AS status_4xx, "
        "count(eval(status=429)) AS status_429, count(eval(status>=500)) AS status_5xx, "
        "exactperc50(duration_ms) AS p50, exactperc95(duration_ms) AS p95, exactperc99(duration_ms) AS p99 "
        "by variant route"
    )
    assert TimeBucketsQuery(run_id="r1", route="/a/{id}", span_s=5, earliest=T0).to_spl() == (
        'search `kassi_index` sourcetype=kassi:access run_id="r1" route="/a/{id}" earliest=1700000000.000000 '
        '| where run_id="r1" AND route="/a/{id}" | bin _time span=5s '
        "| stats count, count(eval(status>=500)) AS status_5xx, "
        "exactperc50(duration_ms) AS p50, exactperc95(duration_ms) AS p95 by _time variant route"
    )
    assert TopErrorsQuery(run_id="r1", limit=3).to_spl() == (
        'search `kassi_index` sourcetype=kassi:access run_id="r1" | where run_id="r1" AND isnotnull(error) '
        "| top limit=3 error by variant route"
    )
    assert AccessEventsQuery(run_id="r1", variant="base", stage="high").to_spl() == (
        'search `kassi_index` sourcetype=kassi:access run_id="r1" variant="base" stage="high" '
        '| where run_id="r1" AND variant="base" AND stage="high" | sort 0 _time '
        "| table _time run_id variant http_method route uri_path status duration_ms bytes_out error "
        "stage block request_id"
    )
    assert TopExceptionsQuery(run_id="r1", variant="head", route="/ignored").to_spl() == (
        'search `kassi_index` sourcetype=kassi:log run_id="r1" variant="head" '
        "| where run_id=\"r1\" AND variant=\"head\" AND isnotnull('exception.type') "
        "| top limit=10 exception.type exception.message by variant"
    )
