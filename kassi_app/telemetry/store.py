"""The embedded telemetry store: SQLite in WAL mode at ``<kassi home>/kassi.db``.

Writes go through one connection behind a lock (proxy and log batchers call in from their own
threads) as ``executemany`` in one transaction per batch; each read opens its own connection, which
WAL lets run alongside the writer. Every write goes through kassi's one redaction (error bodies,
request paths, log lines, run records), so a token a service prints never lands in kassi.db.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from kassi_app.errors import InfrastructureError
from kassi_app.events import AccessEvent, LogEvent
from kassi_app.home import kassi_home
from kassi_app.redact import redact, redact_text
from kassi_app.telemetry.queries import ACCESS_COLUMNS, Query

R = TypeVar("R")
_BUSY_TIMEOUT_S = 10.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS access_events (
    _time REAL NOT NULL, run_id TEXT NOT NULL, variant TEXT NOT NULL, http_method TEXT NOT NULL,
    route TEXT NOT NULL, uri_path TEXT NOT NULL, status INTEGER NOT NULL, duration_ms REAL NOT NULL,
    bytes_out INTEGER NOT NULL, error TEXT, stage TEXT NOT NULL, block INTEGER NOT NULL,
    request_id TEXT
);
CREATE INDEX IF NOT EXISTS access_by_run ON access_events (run_id, variant, route);
CREATE TABLE IF NOT EXISTS log_events (
    _time REAL NOT NULL, run_id TEXT NOT NULL, variant TEXT NOT NULL, stream TEXT NOT NULL,
    level TEXT NOT NULL, message TEXT NOT NULL,
    exception_type TEXT, exception_message TEXT, exception_json TEXT
);
CREATE INDEX IF NOT EXISTS logs_by_run ON log_events (run_id, variant);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, created REAL NOT NULL, record TEXT NOT NULL
);
"""

ADDED_COLUMNS = (("access_events", "request_id", "TEXT"),)
"""Columns added since the first schema: a store written by an older kassi gets them on open
(``CREATE TABLE IF NOT EXISTS`` leaves an existing table as it was). Old rows read as NULL."""


def _add_missing_columns(db: sqlite3.Connection) -> None:
    for table, column, kind in ADDED_COLUMNS:
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def default_db_path() -> Path:
    return kassi_home() / "kassi.db"


def _log_row(e: LogEvent) -> tuple[object, ...]:
    exc = e.exception
    return (
        e._time,
        e.run_id,
        e.variant,
        e.stream,
        e.level,
        redact_text(e.message),
        exc.type if exc else None,
        redact_text(exc.message) if exc else None,
        json.dumps(redact(asdict(exc))) if exc else None,
    )


class SQLiteStore:
    """The default telemetry store; ``write_access`` / ``write_logs`` are ready-made batch sinks."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_db_path()
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, check_same_thread=False)
            self._writer.execute("PRAGMA journal_mode=WAL")
            self._writer.execute("PRAGMA synchronous=NORMAL")
            self._writer.executescript(SCHEMA)
            with self._writer:
                _add_missing_columns(self._writer)
        except (OSError, sqlite3.Error) as exc:
            raise InfrastructureError(f"telemetry store {self.path} unusable: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._writer.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, rows: Sequence[tuple[object, ...]]) -> None:
        try:
            with self._lock, self._writer:
                self._writer.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise InfrastructureError(f"telemetry store write failed: {exc}") from exc

    def write_access(self, events: Sequence[AccessEvent]) -> None:
        self._write(
            f"INSERT INTO access_events ({', '.join(ACCESS_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(ACCESS_COLUMNS))})",
            [
                (
                    e._time,
                    e.run_id,
                    e.variant,
                    e.http_method,
                    e.route,
                    redact_text(e.uri_path),
                    e.status,
                    e.duration_ms,
                    e.bytes_out,
                    redact_text(e.error) if e.error else e.error,
                    e.stage,
                    e.block,
                    e.request_id,
                )
                for e in events
            ],
        )

    def write_logs(self, events: Sequence[LogEvent]) -> None:
        self._write(
            "INSERT INTO log_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [_log_row(e) for e in events]
        )

    def put_run(self, run_id: str, record: Mapping[str, Any]) -> None:
        """Insert or replace the run's JSON record."""
        self._write(
            "INSERT INTO runs VALUES (?, ?, ?) ON CONFLICT(run_id) DO UPDATE SET record = excluded.record",
            [(run_id, time.time(), json.dumps(redact(record), sort_keys=True, default=str))],
        )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self._reader() as conn:
            row = conn.execute("SELECT record FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def run_ids(self) -> list[str]:
        """Stored run ids, newest first."""
        with self._reader() as conn:
            return [r[0] for r in conn.execute("SELECT run_id FROM runs ORDER BY created DESC, run_id")]

    def ask(self, query: Query[R]) -> R:
        """Run a typed query's SQL and return its typed result."""
        sql, params = query.to_sql()
        with self._reader() as conn:
            return query.read(conn.execute(sql, params).fetchall())

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S)) as conn:
                yield conn
        except sqlite3.Error as exc:
            raise InfrastructureError(f"telemetry store read failed: {exc}") from exc
