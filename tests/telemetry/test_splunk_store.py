"""Both telemetry adapters give the same answers on the same recorded events.

The SQLite side holds the events as kassi's proxy records them; the Splunk side holds the service's
own access log (CIM Web fields, plus noise) behind a loopback stub of splunkd's REST API that runs
the SPL it receives (``splunkd_stub``, ``spl_eval``: they stand in for a Splunk search head). The
Splunk side is read through splunklib's real protocol code (``jobs.export``, ``JSONResultsReader``).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from recorded import (
    ROUTES,
    RUN,
    SETTINGS,
    T0,
    WINDOWS,
    assert_same,
    log_events,
    proxy_events,
    splunk_events,
)
from spl_eval import SplEngine
from splunkd_stub import StubState, _handler, splunkd_stub

from kassi_app.errors import InfrastructureError
from kassi_app.telemetry.history import P95Point, RouteP95HistoryQuery
from kassi_app.telemetry.port import ExternalTruth, TelemetryStore
from kassi_app.telemetry.queries import (
    AccessEventsQuery,
    RouteStatsQuery,
    TimeBucketsQuery,
    TopErrorsQuery,
    TopExceptionsQuery,
)
from kassi_app.telemetry.splunk_settings import SdkConnection, SplunkSettings
from kassi_app.telemetry.splunk_store import SplunkStore
from kassi_app.telemetry.splunk_transport import SdkTransport
from kassi_app.telemetry.store import SQLiteStore

TOKEN = "eyJraWQiOiJzcGx1bmsuc2VjcmV0IiwiYWxnIjoiSFM1MTIifQ.test-token"
QUESTIONS = [
    RouteStatsQuery(run_id=RUN),
    RouteStatsQuery(run_id=RUN, variant="live", route="/api/owners/{id}"),
    RouteStatsQuery(run_id=RUN, route="/v1/items*"),
    RouteStatsQuery(run_id=RUN, earliest=T0 + 5, latest=T0 + 25),
    TimeBucketsQuery(run_id=RUN, span_s=10),
    TopErrorsQuery(run_id=RUN, limit=1),
    TopErrorsQuery(run_id=RUN),
    AccessEventsQuery(run_id=RUN),
    AccessEventsQuery(run_id=RUN, route="/files/{rest:path}", earliest=T0 + 10),
    TopExceptionsQuery(run_id=RUN),
]


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "kassi.db") as store:
        store.write_access(proxy_events())
        store.write_logs(log_events())
        yield store


@pytest.fixture
def state() -> StubState:
    return StubState(SplEngine(splunk_events(proxy_events(), log_events())), f"Bearer {TOKEN}")


def _store(port: int, settings: SplunkSettings = SETTINGS, token: str = TOKEN) -> SplunkStore:
    conn = SdkConnection(host="127.0.0.1", port=port, scheme="http")
    store = SplunkStore(settings, SdkTransport(conn, token, timeout_s=10), ROUTES)
    for window in WINDOWS:
        store.record_block(window)
    return store


@pytest.mark.parametrize("query", QUESTIONS, ids=lambda q: type(q).__name__)
def test_both_adapters_answer_alike(query: object, sqlite: SQLiteStore, state: StubState) -> None:
    with splunkd_stub(state) as port:
        splunk = _store(port)
        from_splunk = splunk.ask(query)  # type: ignore[call-overload]
    from_sqlite = sqlite.ask(query)  # type: ignore[call-overload]
    assert from_sqlite, "the recorded run must give this question a non-empty answer"
    assert_same(from_splunk, from_sqlite)
    (request,) = state.requests
    assert request["output_mode"] == "json"
    pad = SETTINGS.timing.window_pad_s  # the export's time range: the padded windows, cut to the question's
    assert float(request["earliest_time"]) == max(T0 - pad, getattr(query, "earliest", None) or 0.0)
    assert float(request["latest_time"]) == min(T0 + 40 + pad, getattr(query, "latest", None) or float("inf"))
    assert isinstance(splunk, TelemetryStore) and isinstance(sqlite, TelemetryStore)
    assert isinstance(splunk, ExternalTruth)


def test_spl_the_stub_received_is_kassis_own(state: StubState) -> None:
    """The search text is built from typed parts: the settings' index/sourcetype/dest, the route
    regexes, the windows. A change in how kassi writes its SPL shows up here."""
    with splunkd_stub(state) as port:
        _store(port).ask(RouteStatsQuery(run_id=RUN, route="/v1/items*"))
    (spl,) = state.engine.seen
    assert spl.startswith('search index="web" sourcetype="access_combined" | where \'dest\'="staging-1" ')
    assert '| where route="/v1/items*"' in spl
    assert 'match(uri_path, "^(?:/v1/items\\\\*/?)$"), "/v1/items*"' in spl
    assert f"| eval block=case(_time<{T0 + 20:.6f}, 0, true(), 1)" in spl


def test_settle_waits_until_the_count_stops_growing(state: StubState) -> None:
    """Splunk indexes late: the count search is repeated until two counts agree."""
    everything = list(state.engine.events)
    state.engine.events = everything[:100]
    seen_counts: list[int] = []

    def arrive(spl: str, earliest: str = "", latest: str = "") -> list[dict[str, str]]:
        rows = SplEngine.run(state.engine, spl, earliest, latest)
        seen_counts.append(int(rows[0]["count"]))
        state.engine.events = everything[: len(state.engine.events) + 150]
        return rows

    state.engine.run = arrive  # type: ignore[method-assign]
    with splunkd_stub(state) as port:
        total = _store(port).settle(RUN)
    assert total == len(proxy_events())
    assert seen_counts[-1] == seen_counts[-2] == total and seen_counts[0] < total


def test_settle_gives_up_at_the_deadline(state: StubState) -> None:
    state.engine.events = []
    settings = SETTINGS.model_copy(update={"timing": SETTINGS.timing.model_copy(update={"settle_deadline_s": 0.05})})
    with splunkd_stub(state) as port, pytest.raises(InfrastructureError, match="no access events"):
        _store(port, settings).settle(RUN)


def test_refused_token_is_inconclusive_with_the_reason(state: StubState) -> None:
    with splunkd_stub(state) as port, pytest.raises(InfrastructureError, match=r"refused the search: .*not logged in"):
        _store(port, token="wrong-token").ask(RouteStatsQuery(run_id=RUN))


@pytest.mark.parametrize(
    ("kind", "text"),
    [("FATAL", "Error in 'where' command"), ("WARN", "Search results might be incomplete: peer idx-2 is down")],
)
def test_error_and_partial_messages_are_inconclusive(state: StubState, kind: str, text: str) -> None:
    state.messages.append({"type": kind, "text": text})
    with splunkd_stub(state) as port, pytest.raises(InfrastructureError, match=kind):
        _store(port).ask(RouteStatsQuery(run_id=RUN))


def test_preview_rows_are_not_answers(state: StubState, sqlite: SQLiteStore) -> None:
    """export streams a reporting search's previews first: only the final rows count."""
    state.previews.append({"variant": "live", "route": "/api/owners", "count": "1", "p50": "999"})
    with splunkd_stub(state) as port:
        stats = _store(port).ask(RouteStatsQuery(run_id=RUN))
    assert_same(stats, sqlite.ask(RouteStatsQuery(run_id=RUN)))


def test_spl_the_engine_cannot_run_is_refused(state: StubState) -> None:
    """A 400 from splunkd (the stub answers FATAL for SPL it cannot evaluate) ends the same way."""
    state.engine.run = lambda *a: (_ for _ in ()).throw(ValueError("Unknown search command 'x'"))  # type: ignore[method-assign]
    with splunkd_stub(state) as port, pytest.raises(InfrastructureError, match="refused"):
        _store(port).ask(RouteStatsQuery(run_id=RUN))


def test_a_search_that_outlives_its_timeout_is_inconclusive(state: StubState) -> None:
    released = threading.Event()

    def hang(*_args: object) -> list[dict[str, str]]:
        released.wait(30)  # splunkd still searching: no answer until the test is over
        return []

    state.engine.run = hang  # type: ignore[method-assign]
    try:
        with splunkd_stub(state) as port:
            conn = SdkConnection(host="127.0.0.1", port=port, scheme="http")
            store = SplunkStore(SETTINGS, SdkTransport(conn, TOKEN, timeout_s=0.5), ROUTES)
            store.record_block(WINDOWS[0])
            with pytest.raises(InfrastructureError, match="timed out"):
                store.ask(RouteStatsQuery(run_id=RUN))
            released.set()
    finally:
        released.set()


def test_nothing_listening_is_inconclusive() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(StubState(SplEngine([]), "")))
    port = server.server_address[1]
    server.server_close()
    with pytest.raises(InfrastructureError, match="unreachable"):
        _store(port).ask(RouteStatsQuery(run_id=RUN))


def test_a_run_without_windows_is_inconclusive(state: StubState) -> None:
    with splunkd_stub(state) as port, pytest.raises(InfrastructureError, match="no load window"):
        _store(port).ask(RouteStatsQuery(run_id="another-run"))
    assert state.requests == []


def test_history_of_a_route_alike_from_run_records(state: StubState, sqlite: SQLiteStore) -> None:
    """Live mode's baseline: this route's p95 over the last N runs, from kassi's run records
    (SQLite's ``runs`` table; ``kassi:run`` events in Splunk)."""
    for k, p95 in enumerate((40.0, 42.5, 39.0, 80.0)):
        record = {"run_id": f"r{k}", "telemetry": {"live": {"/api/owners/{id}": {"p95_ms": p95}, "/x": {}}}}
        sqlite.put_run(f"r{k}", record)
        created = sqlite_created(sqlite, f"r{k}")
        state.engine.events.append(
            {"_time": created, "index": "kassi", "sourcetype": "kassi:run", "run_id": f"r{k}",
             "_raw": json.dumps(record)}
        )
    sqlite.put_run("r-other", {"run_id": "r-other", "telemetry": {"head": {"/api/owners/{id}": {"p95_ms": 1.0}}}})
    query = RouteP95HistoryQuery("/api/owners/{id}", runs=3)
    with splunkd_stub(state) as port:
        from_splunk = _store(port).ask(query)
    assert_same(from_splunk, sqlite.ask(query))
    assert [(p.run_id, p.p95_ms) for p in from_splunk] == [("r3", 80.0), ("r2", 39.0), ("r1", 42.5)]
    assert isinstance(from_splunk[0], P95Point)
    assert state.requests[0]["earliest_time"] == "-90d"


def sqlite_created(store: SQLiteStore, run_id: str) -> float:
    with sqlite3.connect(store.path) as conn:
        return float(conn.execute("SELECT created FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0])


@pytest.fixture
def tls_stub(tmp_path: Path, state: StubState) -> Iterator[tuple[int, Path]]:
    """The stub behind TLS with a self-signed certificate for 127.0.0.1."""
    import ssl

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], cert
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_tls_is_verified_by_default(tls_stub: tuple[int, Path]) -> None:
    """splunklib alone would accept any certificate; kassi's settings verify unless told not to."""
    port, cert = tls_stub
    untrusted = SdkConnection(host="127.0.0.1", port=port)
    with pytest.raises(InfrastructureError, match="CERTIFICATE_VERIFY_FAILED"):
        SplunkStore(SETTINGS, SdkTransport(untrusted, TOKEN, timeout_s=10), ROUTES).ask(RouteP95HistoryQuery("/a"))
    trusted = SdkConnection(host="127.0.0.1", port=port, ca_file=cert)
    assert SplunkStore(SETTINGS, SdkTransport(trusted, TOKEN, timeout_s=10), ROUTES).ask(
        RouteP95HistoryQuery("/a")
    ) == ()
