"""The MCP transport: the same questions answered through a Splunk MCP Server stand-in over real
streamable HTTP on loopback (``splunk_mcp_stub``), equal to the SQLite store's answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from recorded import (
    ROUTES,
    RUN,
    SETTINGS,
    WINDOWS,
    assert_same,
    log_events,
    proxy_events,
    splunk_events,
)
from spl_eval import SplEngine
from splunk_mcp_stub import splunk_mcp_stub

from kassi_app.errors import InfrastructureError
from kassi_app.telemetry.queries import AccessEventsQuery, RouteStatsQuery, TopErrorsQuery
from kassi_app.telemetry.splunk_settings import McpConnection
from kassi_app.telemetry.splunk_store import SplunkStore
from kassi_app.telemetry.splunk_transport import McpTransport, open_transport
from kassi_app.telemetry.store import SQLiteStore

TOKEN = "mcp-audience-token-0123456789"


@pytest.fixture(scope="module")
def engine() -> SplEngine:
    return SplEngine(splunk_events(proxy_events(), log_events()))


@pytest.fixture(scope="module")
def url(engine: SplEngine) -> Iterator[str]:
    with splunk_mcp_stub(engine, TOKEN) as address:
        yield address


def _store(url: str, token: str = TOKEN, row_limit: int = 50_000) -> SplunkStore:
    settings = SETTINGS.model_copy(update={"connection": McpConnection(url=url, row_limit=row_limit, verify=True)})
    transport = open_transport(settings, token)
    assert isinstance(transport, McpTransport)
    store = SplunkStore(settings, transport, ROUTES)
    for window in WINDOWS:
        store.record_block(window)
    return store


def test_mcp_answers_like_sqlite(url: str, engine: SplEngine, tmp_path: Path) -> None:
    questions = [RouteStatsQuery(run_id=RUN), TopErrorsQuery(run_id=RUN, limit=2), AccessEventsQuery(run_id=RUN)]
    store = _store(url)
    with SQLiteStore(tmp_path / "kassi.db") as sqlite:
        sqlite.write_access(proxy_events())
        for query in questions:
            assert_same(store.ask(query), sqlite.ask(query))  # type: ignore[arg-type]
    assert engine.seen[-1].startswith('search index="web" sourcetype="access_combined"')


def test_a_wrong_token_is_inconclusive(url: str) -> None:
    """The server answers 401; mcp 2.3.0's client reports it as an error response (no status)."""
    with pytest.raises(InfrastructureError, match="splunk_run_query failed: MCPError") as caught:
        _store(url, token="not-the-token").ask(RouteStatsQuery(run_id=RUN))
    assert "not-the-token" not in str(caught.value)


def test_a_tool_error_carries_splunks_reason(url: str, engine: SplEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> list[dict[str, str]]:
        raise ValueError("Error in 'search' command: quota exceeded")

    monkeypatch.setattr(engine, "run", refuse)
    with pytest.raises(InfrastructureError, match="quota exceeded"):
        _store(url).ask(RouteStatsQuery(run_id=RUN))


def test_a_full_page_counts_as_partial(url: str) -> None:
    with pytest.raises(InfrastructureError, match="may be cut"):
        _store(url, row_limit=10).ask(AccessEventsQuery(run_id=RUN))
