"""The judge's typed questions rendered to SPL over a service's own access events in Splunk.

``queries.py`` asks its questions of kassi's proxy events, which carry ``run_id``, ``variant`` and
``route``. A service's own access log carries none of these, so each search here rebuilds them from
typed parts before it asks: the CIM fields are mapped to kassi's names, the route is recovered from
the path with the route templates kassi loads (the same regexes as ``RouteMatcher``, most specific
first), and ``run_id`` / ``variant`` / ``block`` come from the time windows in which kassi drove each
block. Splunk then does the aggregation (status classes, ``exactperc`` quantiles, top errors) and
the rows come back as the same result types the SQLite store gives.

Quoting: every value is a double-quoted SPL string literal (``queries.spl_quote``: backslash and
quote escaped) compared with ``where``/``eval`` ``=``, which is an exact comparison. The ``search``
command is never given a value: there ``*`` is a wildcard that no escape turns off (Search Manual,
"Backslashes"). Pipes and backticks inside a quoted literal are plain characters (macros inside
quoted values are not expanded). Field names come from validated settings and are single-quoted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Generic, TypeVar, cast

from kassi_app.events import AccessEvent, ParsedException, Variant
from kassi_app.telemetry.history import EPOCH, P95Point, RouteP95HistoryQuery
from kassi_app.telemetry.queries import (
    ACCESS_COLUMNS,
    PERCENTILES_SPL,
    STATUS_CLASSES_SPL,
    AccessEventsQuery,
    ErrorCount,
    ExceptionCount,
    Query,
    RouteStats,
    RouteStatsQuery,
    Scope,
    TimeBucket,
    TimeBucketsQuery,
    TopErrorsQuery,
    TopExceptionsQuery,
    spl_quote,
)
from kassi_app.telemetry.routes import RouteMatcher
from kassi_app.telemetry.splunk_settings import AccessSource, ErrorSource, SplunkSettings

R = TypeVar("R")
SplRow = Mapping[str, Any]
_UNIT_TO_MS = {"ms": 1.0, "s": 1000.0, "us": 0.001}
RECENT_LIMIT = 5000
"""Recent requests read for ``--traffic splunk``: the newest ones, enough for the mix and the values."""


@dataclass(frozen=True)
class BlockWindow:
    """When kassi drove one block of load at one variant (epoch seconds, end exclusive)."""

    run_id: str
    variant: Variant
    block: int
    start: float
    end: float


@dataclass(frozen=True)
class SplSearch(Generic[R]):
    """One export search: its SPL, its time range (export arguments) and how to read its rows."""

    spl: str
    earliest: str
    latest: str
    read: Callable[[Sequence[SplRow]], R]


def field_ref(name: str) -> str:
    """A field in an eval expression: single-quoted (the settings allow no quote in a name)."""
    return f"'{name}'"


def epoch(value: float) -> str:
    return f"{value:.6f}"


def _num(row: SplRow, key: str) -> float:
    value = row.get(key)
    return float("nan") if value in (None, "") else float(value)


def _int(row: SplRow, key: str) -> int:
    value = row.get(key)
    return 0 if value in (None, "") else int(float(value))


def _text(row: SplRow, key: str) -> str | None:
    value = row.get(key)
    if isinstance(value, list):  # a multivalue field: kassi's fields are single-valued, keep the first
        value = value[0] if value else None
    return None if value in (None, "") else str(value)


class SplRenderer:
    """Renders typed queries for one service (its settings) and the routes kassi drives at it."""

    def __init__(self, settings: SplunkSettings, routes: Sequence[str]) -> None:
        self.settings = settings
        self.matcher = RouteMatcher(routes)

    # ---- shared pipeline pieces ------------------------------------------------------------------
    def _base(self, source: AccessSource | ErrorSource) -> str:
        terms = [f"index={spl_quote(source.index)}"]
        if source.sourcetype is not None:
            terms.append(f"sourcetype={spl_quote(source.sourcetype)}")
        return "search " + " ".join(terms)

    @staticmethod
    def _windows(windows: Sequence[BlockWindow], pad: float) -> str:
        """``block``, ``variant`` and ``run_id`` from the time windows. A block runs from its start to
        the next block's start (trailing requests stay with their block); only the run's outer edges
        are padded (clock skew between kassi and the service moves every block alike)."""
        ordered = sorted(windows, key=lambda w: w.start)
        arms = [f"_time<{epoch(nxt.start)}, {w.block}" for w, nxt in pairwise(ordered)]
        block = ", ".join([*arms, f"true(), {ordered[-1].block}"])
        variant = ", ".join(f"block={w.block}, {spl_quote(w.variant)}" for w in ordered)
        return (
            f"| where _time>={epoch(ordered[0].start - pad)} AND _time<{epoch(ordered[-1].end + pad)} "
            f"| eval block=case({block}), variant=case({variant}), run_id={spl_quote(ordered[0].run_id)}"
        )

    def _normalise(self) -> str:
        f = self.settings.access.fields
        error = (
            f"error={field_ref(f.error)}"
            if f.error
            else 'error=if(status>=500, "HTTP ".tostring(status), null())'
        )
        return (
            f"| eval http_method={field_ref(f.http_method)}, uri_path={field_ref(f.uri_path)}, "
            f"status=tonumber({field_ref(f.status)}), "
            f"duration_ms=tonumber({field_ref(f.duration)})*{_UNIT_TO_MS[f.duration_unit]!r}, "
            f"bytes_out=coalesce(tonumber({field_ref(f.bytes_out)}), 0), stage=\"\" | eval {error} "
            "| where isnotnull(status) AND isnotnull(duration_ms)"
        )

    def _route(self) -> str:
        """``route`` from the path, most specific template first; paths of no known route are dropped."""
        arms = ", ".join(
            f"match(uri_path, {spl_quote('^(?:' + regex + ')$')}), {spl_quote(route)}"
            for route, regex in self.matcher.patterns()
        )
        return f"| eval route=case({arms}) | where isnotnull(route)"

    @staticmethod
    def _scope(scope: Scope, with_route: bool = True) -> list[str]:
        terms = [
            f"| where {column}={spl_quote(getattr(scope, column))}"
            for column in ("variant", "route", "stage")
            if getattr(scope, column) is not None and (with_route or column == "variant")
        ]
        if scope.earliest is not None:
            terms.append(f"| where _time>={epoch(scope.earliest)}")
        if scope.latest is not None:
            terms.append(f"| where _time<{epoch(scope.latest)}")
        return terms

    def _range(self, scope: Scope, windows: Sequence[BlockWindow]) -> tuple[str, str]:
        pad = self.settings.timing.window_pad_s
        earliest = min(w.start for w in windows) - pad
        latest = max(w.end for w in windows) + pad
        if scope.earliest is not None:
            earliest = max(earliest, scope.earliest)
        if scope.latest is not None:
            latest = min(latest, scope.latest)
        return epoch(earliest), epoch(max(latest, earliest))

    def access_pipeline(self, scope: Scope, windows: Sequence[BlockWindow]) -> str:
        """The service's access events in ``scope`` with kassi's field names, ready to aggregate."""
        access = self.settings.access
        dest = [f"| where {field_ref(access.fields.dest)}={spl_quote(access.dest)}"] if access.dest else []
        return " ".join(
            [
                self._base(access),
                *dest,
                self._windows(windows, self.settings.timing.window_pad_s),
                self._normalise(),
                self._route(),
                *self._scope(scope),
            ]
        )

    # ---- the questions -------------------------------------------------------------------------
    def render(self, query: Query[R], windows: Sequence[BlockWindow]) -> SplSearch[R]:
        """The SPL of one typed query over the given windows (those of the query's run)."""
        if isinstance(query, RouteP95HistoryQuery):  # kassi's own run records: no window, no mapping
            days = f"-{self.settings.history_days}d"
            return cast(SplSearch[R], SplSearch(query.to_spl(), days, "now", read_history))
        if not isinstance(query, Scope):
            raise TypeError(f"no SPL rendering for {type(query).__name__}")
        mine = [w for w in windows if w.run_id == query.run_id]
        if not mine:
            raise LookupError(f"no load window recorded for run {query.run_id}")
        earliest, latest = self._range(query, mine)
        if isinstance(query, TopExceptionsQuery):
            return cast(SplSearch[R], self._exceptions(query, mine, earliest, latest))
        body = self.access_pipeline(query, mine)
        if isinstance(query, RouteStatsQuery):
            spl = f"{body} | stats count, {STATUS_CLASSES_SPL}, {PERCENTILES_SPL} by variant route"
            return cast(SplSearch[R], SplSearch(spl, earliest, latest, read_route_stats))
        if isinstance(query, TimeBucketsQuery):
            span = int(query.span_s)
            spl = (
                f"{body} | eval bucket=floor(_time/{span})*{span} | stats count, "
                "count(eval(status>=500)) AS status_5xx, exactperc50(duration_ms) AS p50, "
                "exactperc95(duration_ms) AS p95 by bucket variant route"
            )
            return cast(SplSearch[R], SplSearch(spl, earliest, latest, read_time_buckets))
        if isinstance(query, TopErrorsQuery):
            spl = (
                f"{body} | where isnotnull(error) | stats count AS n by variant route error "
                f"| sort 0 variant route -n error | streamstats count AS rank by variant route "
                f"| where rank<={int(query.limit)} | table variant route error n"
            )
            return cast(SplSearch[R], SplSearch(spl, earliest, latest, read_top_errors))
        if isinstance(query, AccessEventsQuery):
            columns = " ".join(c if c != "_time" else EPOCH for c in ACCESS_COLUMNS)
            spl = f"{body} | sort 0 _time | eval {EPOCH}=_time | table {columns}"
            return cast(SplSearch[R], SplSearch(spl, earliest, latest, read_access_events))
        raise TypeError(f"no SPL rendering for {type(query).__name__}")

    def count(self, run_id: str, windows: Sequence[BlockWindow]) -> SplSearch[int]:
        """How many access events of the run's routes Splunk holds so far (to wait for indexing)."""
        mine = [w for w in windows if w.run_id == run_id]
        scope = Scope(run_id=run_id)
        earliest, latest = self._range(scope, mine)
        spl = f"{self.access_pipeline(scope, mine)} | stats count"
        return SplSearch(spl, earliest, latest, lambda rows: _int(rows[0], "count") if rows else 0)

    def recent_requests(self, endpoints: Sequence[tuple[str, str]], earliest: float, latest: float,
                        limit: int = RECENT_LIMIT) -> SplSearch[tuple[tuple[str, str], ...]]:
        """The service's most recent requests (at most ``limit``) of ``endpoints`` (method, route
        template) in [earliest, latest): their method and path, to replay as load (``--traffic
        splunk``). Only the two fields leave Splunk: no header, no query string, no body."""
        access = self.settings.access
        dest = [f"| where {field_ref(access.fields.dest)}={spl_quote(access.dest)}"] if access.dest else []
        wanted = " OR ".join(f"(http_method={spl_quote(m)} AND route={spl_quote(r)})" for m, r in endpoints)
        spl = " ".join([
            self._base(access), *dest, self._normalise(), self._route(), f"| where {wanted}",
            f"| sort 0 -_time | head {int(limit)} | table http_method uri_path",
        ])
        return SplSearch(spl, epoch(earliest), epoch(latest), read_requests)

    def _exceptions(
        self, query: TopExceptionsQuery, windows: Sequence[BlockWindow], earliest: str, latest: str
    ) -> SplSearch[tuple[ExceptionCount, ...]]:
        source = self.settings.errors
        if source is None:
            return SplSearch("", earliest, latest, lambda _rows: ())
        spl = " ".join(
            [
                self._base(source),
                self._windows(windows, self.settings.timing.window_pad_s),
                f"| eval exception_type={field_ref(source.type_field)}, "
                f"exception_message={field_ref(source.message_field)} | where isnotnull(exception_type)",
                *self._scope(query, with_route=False),
                "| stats count AS n by variant exception_type exception_message "
                "| sort 0 variant -n exception_type | streamstats count AS rank by variant "
                f"| where rank<={int(query.limit)} | table variant exception_type exception_message n",
            ]
        )
        return SplSearch(spl, earliest, latest, read_top_exceptions)


# ---- Splunk rows -> kassi's result types (rows hold strings; absent fields are null) -------------
def read_route_stats(rows: Sequence[SplRow]) -> tuple[RouteStats, ...]:
    out = [
        RouteStats(
            variant=str(r["variant"]),
            route=str(r["route"]),
            count=_int(r, "count"),
            status_2xx=_int(r, "status_2xx"),
            status_4xx=_int(r, "status_4xx"),
            status_429=_int(r, "status_429"),
            status_5xx=_int(r, "status_5xx"),
            p50=_num(r, "p50"),
            p95=_num(r, "p95"),
            p99=_num(r, "p99"),
        )
        for r in rows
    ]
    return tuple(sorted(out, key=lambda s: (s.variant, s.route)))


def read_time_buckets(rows: Sequence[SplRow]) -> tuple[TimeBucket, ...]:
    out = [
        TimeBucket(
            start=_num(r, "bucket"),
            variant=str(r["variant"]),
            route=str(r["route"]),
            count=_int(r, "count"),
            status_5xx=_int(r, "status_5xx"),
            p50=_num(r, "p50"),
            p95=_num(r, "p95"),
        )
        for r in rows
    ]
    return tuple(sorted(out, key=lambda b: (b.start, b.variant, b.route)))


def read_top_errors(rows: Sequence[SplRow]) -> tuple[ErrorCount, ...]:
    out = [ErrorCount(str(r["variant"]), str(r["route"]), str(r["error"]), _int(r, "n")) for r in rows]
    return tuple(sorted(out, key=lambda e: (e.variant, e.route, -e.count, e.error)))


def read_access_events(rows: Sequence[SplRow]) -> tuple[AccessEvent, ...]:
    out = [
        AccessEvent(
            _time=_num(r, EPOCH),
            run_id=str(r["run_id"]),
            variant=cast(Variant, str(r["variant"])),
            http_method=_text(r, "http_method") or "",
            route=str(r["route"]),
            uri_path=_text(r, "uri_path") or "",
            status=_int(r, "status"),
            duration_ms=_num(r, "duration_ms"),
            bytes_out=_int(r, "bytes_out"),
            error=_text(r, "error"),
            stage="",
            block=_int(r, "block"),
            request_id=_text(r, "request_id"),
        )
        for r in rows
    ]
    return tuple(sorted(out, key=lambda e: e._time))


def read_requests(rows: Sequence[SplRow]) -> tuple[tuple[str, str], ...]:
    out = ((_text(r, "http_method"), _text(r, "uri_path")) for r in rows)
    return tuple((m.upper(), p) for m, p in out if m and p)


def read_top_exceptions(rows: Sequence[SplRow]) -> tuple[ExceptionCount, ...]:
    """Splunk's error events carry a type and a message, not kassi's parsed frames: frames stay empty."""
    out = [
        ExceptionCount(
            str(r["variant"]),
            ParsedException(str(r["exception_type"]), _text(r, "exception_message") or ""),
            _int(r, "n"),
        )
        for r in rows
    ]
    return tuple(sorted(out, key=lambda e: (e.variant, -e.count, e.exception.type)))


def read_history(rows: Sequence[SplRow]) -> tuple[P95Point, ...]:
    out = [P95Point(str(r["run_id"]), _num(r, EPOCH), _num(r, "kassi_p95")) for r in rows]
    return tuple(sorted(out, key=lambda p: p.time, reverse=True))
