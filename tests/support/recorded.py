"""One recorded load run, served two ways: as kassi's proxy events (into SQLite) and as the raw
access/error events a service ships to Splunk (CIM Web field names), plus the noise a real index
holds next to them (another host, an unknown path, a request outside the load, another sourcetype,
an event without a duration). Both adapters must answer every typed question the same way."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Sequence
from typing import Any

from kassi_app.events import AccessEvent, LogEvent, ParsedException
from kassi_app.telemetry.spl import BlockWindow
from kassi_app.telemetry.splunk_settings import AccessSource, ErrorSource, SplunkSettings, Timing

T0 = 1_764_390_000.0
RUN = "20261129T043600Z-abc123"
ROUTES = ("/api/owners/{id}", "/api/owners", "/files/{rest:path}", "/v1/items*", "/v1/itemsX")
WINDOWS = (BlockWindow(RUN, "live", 0, T0, T0 + 20), BlockWindow(RUN, "live", 1, T0 + 20, T0 + 40))
SETTINGS = SplunkSettings(
    access=AccessSource(index="web", sourcetype="access_combined", dest="staging-1"),
    errors=ErrorSource(index="app", sourcetype="app:errors"),
    timing=Timing(window_pad_s=0.5, index_delay_s=0, settle_poll_s=0.01, settle_deadline_s=5),
)
_PATHS = {
    "/api/owners/{id}": lambda r: f"/api/owners/{r.randint(1, 999)}",
    "/api/owners": lambda r: "/api/owners",
    "/files/{rest:path}": lambda r: f"/files/{r.choice('ab')}/{r.randint(1, 9)}.txt",
    "/v1/items*": lambda r: "/v1/items*",
    "/v1/itemsX": lambda r: "/v1/itemsX",
}
_EXCEPTIONS = (("sqlite3.OperationalError", "database is locked", 5), ("KeyError", "'owner'", 2))


def proxy_events() -> list[AccessEvent]:
    """What kassi's proxy would have recorded: the truth both adapters are asked about."""
    rng = random.Random(16)
    out = []
    for i in range(400):
        t = T0 + i * 0.1 + rng.random() * 0.05
        route = ROUTES[rng.randrange(len(ROUTES))]
        status = rng.choice((200,) * 12 + (404, 429, 500, 503))
        out.append(
            AccessEvent(
                _time=round(t, 6),
                run_id=RUN,
                variant="live",
                http_method="GET",
                route=route,
                uri_path=_PATHS[route](rng),
                status=status,
                duration_ms=round(rng.uniform(1, 50) * (3 if route == "/api/owners/{id}" and t > T0 + 20 else 1), 3),
                bytes_out=rng.randint(10, 5000),
                error=f"HTTP {status}" if status >= 500 else None,
                block=0 if t < T0 + 20 else 1,
            )
        )
    return out


def log_events() -> list[LogEvent]:
    return [
        LogEvent(T0 + 1 + k, RUN, "live", "stderr", "ERROR", f"{t}: {m}", ParsedException(t, m))
        for t, m, n in _EXCEPTIONS
        for k in range(n)
    ]


def splunk_events(events: Sequence[AccessEvent], logs: Sequence[LogEvent]) -> list[dict[str, Any]]:
    """The same requests as the service's own access log in Splunk, and the noise around them."""
    raw: list[dict[str, Any]] = [
        {
            "_time": e._time,
            "index": "web",
            "sourcetype": "access_combined",
            "dest": "staging-1",
            "http_method": e.http_method,
            "uri_path": e.uri_path,
            "status": str(e.status),
            "response_time": repr(e.duration_ms),
            "bytes_out": str(e.bytes_out),
        }
        for e in events
    ]
    noise = dict(raw[0])
    raw += [
        {**noise, "dest": "staging-2"},  # another host of the same service
        {**noise, "uri_path": "/not/a/route"},  # a path of no route kassi loads
        {**noise, "_time": T0 - 30},  # before the load
        {**noise, "sourcetype": "access_other"},
        {k: v for k, v in noise.items() if k != "response_time"},  # no duration: not a sample
    ]
    raw += [
        {"_time": e._time, "index": "app", "sourcetype": "app:errors", "exception_type": e.exception.type,
         "message": e.exception.message}
        for e in logs
        if e.exception
    ]
    return raw


def assert_same(left: object, right: object) -> None:
    """Equal results: same types, same fields; floats equal to 1e-9 relative (quantile formulas
    differ in the last bits between SQLite's Python quantile and the stub's ``statistics``)."""
    if dataclasses.is_dataclass(left) and not isinstance(left, type):
        assert type(left) is type(right), (left, right)
        for f in dataclasses.fields(left):
            assert_same(getattr(left, f.name), getattr(right, f.name))
    elif isinstance(left, tuple | list):
        assert isinstance(right, tuple | list) and len(left) == len(right), (left, right)
        for a, b in zip(left, right, strict=True):
            assert_same(a, b)
    elif isinstance(left, float) and isinstance(right, int | float):
        assert math.isclose(left, right, rel_tol=1e-9), (left, right)
    else:
        assert left == right, (left, right)
