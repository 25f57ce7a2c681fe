"""The questions the judge asks of telemetry, as typed query objects with two renderings.

Each query renders to SQL for the embedded SQLite store (``to_sql``) and to SPL for the Splunk
store (``to_spl``), and turns the SQL rows into a typed result (``read``), so both adapters
answer the same question the same way. SQLite (3.40 here) has no percentile aggregate, so the
latency queries fetch the ordered durations and compute quantiles in Python (linear
interpolation, as numpy's default and Splunk's ``exactperc``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from itertools import groupby
from typing import Any, Generic, Protocol, TypeVar

from kassi_app.events import AccessEvent, LogEvent, ParsedException, StackFrame, Variant

R_co = TypeVar("R_co", covariant=True)
SqlParam = str | int | float
Row = tuple[Any, ...]

ACCESS_SEARCH = "`kassi_index` sourcetype=kassi:access"
LOG_SEARCH = "`kassi_index` sourcetype=kassi:log"
STATUS_CLASSES_SPL = (
    "count(eval(status>=200 AND status<300)) AS status_2xx, "
    "count(eval(status>=400 AND status<500 AND status!=429)) AS status_4xx, "
    "count(eval(status=429)) AS status_429, "
    "count(eval(status>=500)) AS status_5xx"
)
PERCENTILES_SPL = ", ".join(f"exactperc{q}(duration_ms) AS p{q}" for q in (50, 95, 99))


class Query(Protocol, Generic[R_co]):
    def to_sql(self) -> tuple[str, tuple[SqlParam, ...]]: ...
    def to_spl(self) -> str: ...
    def read(self, rows: Sequence[Row]) -> R_co: ...


def spl_quote(value: str) -> str:
    """A double-quoted SPL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of an ascending sequence, linearly interpolated; NaN when empty."""
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Which access events a query covers: one run, optionally one variant / route / stage / window."""

    run_id: str
    variant: Variant | None = None
    route: str | None = None
    stage: str | None = None
    earliest: float | None = None
    latest: float | None = None

    def where(self) -> tuple[str, tuple[SqlParam, ...]]:
        clauses: list[str] = ["run_id = ?"]
        params: list[SqlParam] = [self.run_id]
        for column in ("variant", "route", "stage"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.earliest is not None:
            clauses.append("_time >= ?")
            params.append(self.earliest)
        if self.latest is not None:
            clauses.append("_time < ?")
            params.append(self.latest)
        return " AND ".join(clauses), tuple(params)

    def search(self, base: str = ACCESS_SEARCH) -> str:
        """The events in scope: ``search`` terms narrow the events fetched from the index, but there
        a ``*`` is a wildcard no escape turns off and values match case-insensitively, so an exact
        ``where`` on the same values follows (there ``=`` compares the literal)."""
        values = [("run_id", self.run_id)] + [
            (column, getattr(self, column))
            for column in ("variant", "route", "stage")
            if getattr(self, column) is not None
        ]
        terms = [base, *(f"{column}={spl_quote(value)}" for column, value in values)]
        if self.earliest is not None:
            terms.append(f"earliest={self.earliest:.6f}")
        if self.latest is not None:
            terms.append(f"latest={self.latest:.6f}")
        exact = " AND ".join(f"{column}={spl_quote(value)}" for column, value in values)
        return f"{' '.join(terms)} | where {exact}"


@dataclass(frozen=True)
class RouteStats:
    variant: str
    route: str
    count: int
    status_2xx: int
    status_4xx: int  # 4xx other than 429
    status_429: int
    status_5xx: int
    p50: float
    p95: float
    p99: float


def _route_stats(variant: str, route: str, rows: Sequence[Row]) -> RouteStats:
    statuses = [r[2] for r in rows]
    durations = [r[3] for r in rows]
    return RouteStats(
        variant=variant,
        route=route,
        count=len(rows),
        status_2xx=sum(200 <= s < 300 for s in statuses),
        status_4xx=sum(400 <= s < 500 and s != 429 for s in statuses),
        status_429=statuses.count(429),
        status_5xx=sum(s >= 500 for s in statuses),
        p50=quantile(durations, 0.50),
        p95=quantile(durations, 0.95),
        p99=quantile(durations, 0.99),
    )


@dataclass(frozen=True, kw_only=True)
class RouteStatsQuery(Scope):
    """Per variant and route: request count, status classes, latency p50/p95/p99."""

    def to_sql(self) -> tuple[str, tuple[SqlParam, ...]]:
        where, params = self.where()
        return (
            f"SELECT variant, route, status, duration_ms FROM access_events WHERE {where} "
            "ORDER BY variant, route, duration_ms",
            params,
        )

    def to_spl(self) -> str:
        return f"search {self.search()} | stats count, {STATUS_CLASSES_SPL}, {PERCENTILES_SPL} by variant route"

    def read(self, rows: Sequence[Row]) -> tuple[RouteStats, ...]:
        return tuple(_route_stats(v, r, list(g)) for (v, r), g in groupby(rows, key=lambda x: (x[0], x[1])))


@dataclass(frozen=True)
class TimeBucket:
    start: float
    variant: str
    route: str
    count: int
    status_5xx: int
    p50: float
    p95: float


@dataclass(frozen=True, kw_only=True)
class TimeBucketsQuery(Scope):
    """Per ``span_s``-second bucket, variant and route: count, 5xx count, p50/p95 (onset, trend)."""

    span_s: int = 10

    def to_sql(self) -> tuple[str, tuple[SqlParam, ...]]:
        where, params = self.where()
        return (
            "SELECT CAST(_time / ? AS INTEGER) * ? AS bucket, variant, route, status, duration_ms "
            f"FROM access_events WHERE {where} ORDER BY bucket, variant, route, duration_ms",
            (self.span_s, self.span_s, *params),
        )

    def to_spl(self) -> str:
        return (
            f"search {self.search()} | bin _time span={self.span_s}s "
            f"| stats count, count(eval(status>=500)) AS status_5xx, "
            "exactperc50(duration_ms) AS p50, exactperc95(duration_ms) AS p95 by _time variant route"
        )

    def read(self, rows: Sequence[Row]) -> tuple[TimeBucket, ...]:
        out = []
        for (start, variant, route), group in groupby(rows, key=lambda x: (x[0], x[1], x[2])):
            members = list(group)
            durations = [m[4] for m in members]
            out.append(
                TimeBucket(
                    start=float(start),
                    variant=variant,
                    route=route,
                    count=len(members),
                    status_5xx=sum(m[3] >= 500 for m in members),
                    p50=quantile(durations, 0.50),
                    p95=quantile(durations, 0.95),
                )
            )
        return tuple(out)


@dataclass(frozen=True)
class ErrorCount:
    variant: str
    route: str
    error: str
    count: int


@dataclass(frozen=True, kw_only=True)
class TopErrorsQuery(Scope):
    """The most frequent ``error`` texts per variant and route (at most ``limit`` each)."""

    limit: int = 10

    def to_sql(self) -> tuple[str, tuple[SqlParam, ...]]:
        where, params = self.where()
        return (
            "SELECT variant, route, error, n FROM ("
            "SELECT variant, route, error, count(*) AS n, row_number() OVER "
            "(PARTITION BY variant, route ORDER BY count(*) DESC, error) AS rank "
            f"FROM access_events WHERE {where} AND error IS NOT NULL GROUP BY variant, route, error"
            ") WHERE rank <= ? ORDER BY variant, route, n DESC, error",
            (*params, self.limit),
        )

    def to_spl(self) -> str:
        return f"search {self.search()} AND isnotnull(error) | top limit={self.limit} error by variant route"

    def read(self, rows: Sequence[Row]) -> tuple[ErrorCount, ...]:
        return tuple(ErrorCount(*row) for row in rows)


ACCESS_COLUMNS = tuple(f.name for f in fields(AccessEvent))


@dataclass(frozen=True, kw_only=True)
class AccessEventsQuery(Scope):
    """The raw access events in scope, oldest first (the samples the statistics run on)."""

    def to_sql(self) -> tuple[str, tuple[SqlParam, ...]]:
        where, params = self.where()
        return f"SELECT {', '.join(ACCESS_COLUMNS)} FROM access_events WHERE {where} ORDER BY _time", params

    def to_spl(self) -> str:
        return f"search {self.search()} | sort 0 _time | table {' '.join(ACCESS_COLUMNS)}"

    def read(self, rows: Sequence[Row]) -> tuple[AccessEvent, ...]:
        return tuple(AccessEvent(*row) for row in rows)


@dataclass(frozen=True)
class ExceptionCount:
    variant: str
    exception: ParsedException
    count: int


@dataclass(frozen=True, kw_only=True)
class TopExceptionsQuery(Scope):
    """The most frequent exceptions (type and message) in the target's own output, per variant.

    Log events carry no route, so ``route`` and ``stage`` are ignored; a sample's frames come along.
    """

    limit: int = 10

    def to_sql(self) -> tuple[str, tuple[SqlParam, ...]]:
        where, params = _log_scope(self).where()
        return (
            "SELECT variant, exception_type, exception_message, sample, n FROM ("
            "SELECT variant, exception_type, exception_message, min(exception_json) AS sample, "
            "count(*) AS n, "
            "row_number() OVER (PARTITION BY variant ORDER BY count(*) DESC, exception_type) AS rank "
            f"FROM log_events WHERE {where} AND exception_type IS NOT NULL "
            "GROUP BY variant, exception_type, exception_message"
            ") WHERE rank <= ? ORDER BY variant, n DESC, exception_type",
            (*params, self.limit),
        )

    def to_spl(self) -> str:
        return (
            f"search {_log_scope(self).search(LOG_SEARCH)} AND isnotnull('exception.type') "
            f"| top limit={self.limit} exception.type exception.message by variant"
        )

    def read(self, rows: Sequence[Row]) -> tuple[ExceptionCount, ...]:
        out = []
        for variant, exc_type, message, raw, count in rows:
            frames = tuple(StackFrame(**f) for f in json.loads(raw)["frames"])
            out.append(ExceptionCount(variant, ParsedException(exc_type, message, frames), count))
        return tuple(out)


@dataclass(frozen=True, kw_only=True)
class LogEventsQuery(Scope):
    """The target's log events in scope, oldest first (what a publisher sends as ``kassi:log``).

    Log events carry no route or stage: only run, variant and time window narrow them.
    """

    def to_sql(self) -> tuple[str, tuple[SqlParam, ...]]:
        where, params = _log_scope(self).where()
        return (
            "SELECT _time, run_id, variant, stream, level, message, exception_json "
            f"FROM log_events WHERE {where} ORDER BY _time, rowid",
            params,
        )

    def to_spl(self) -> str:
        return (f"search {_log_scope(self).search(LOG_SEARCH)} | sort 0 _time "
                "| table _time run_id variant stream level message exception")

    def read(self, rows: Sequence[Row]) -> tuple[LogEvent, ...]:
        return tuple(LogEvent(t, run_id, variant, stream, level, message, _exception(raw))
                     for t, run_id, variant, stream, level, message, raw in rows)


def _log_scope(scope: Scope) -> Scope:
    """``scope`` for log events, which carry no route or stage."""
    return Scope(run_id=scope.run_id, variant=scope.variant, earliest=scope.earliest, latest=scope.latest)


def _exception(raw: str | None) -> ParsedException | None:
    if raw is None:
        return None
    data = json.loads(raw)
    frames = tuple(StackFrame(**f) for f in data.get("frames") or ())
    return ParsedException(data["type"], data["message"], frames)
