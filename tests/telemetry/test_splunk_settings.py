"""Opening the Splunk store: settings file and credential, refused before any load when wrong; which
of Splunk's messages make an answer unusable."""

from __future__ import annotations

from pathlib import Path

import pytest
from recorded import ROUTES, RUN, SETTINGS, WINDOWS, log_events, proxy_events, splunk_events
from spl_eval import SplEngine
from splunkd_stub import StubState, splunkd_stub

from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.telemetry.queries import RouteStatsQuery
from kassi_app.telemetry.splunk_open import load_settings, open_splunk_store
from kassi_app.telemetry.splunk_settings import TOKEN_ENV, SdkConnection
from kassi_app.telemetry.splunk_transport import check_messages


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (None, "no file"),
        ("[other]\nx = 1\n", r"no \[splunk\] table"),
        ("[splunk\n", "Splunk settings"),
        ('[splunk]\naccess = { index = "web", fields = { status = "status | delete" } }\n', "field name"),
        ('[splunk]\naccess = { index = "web" }\nsurprise = 1\n', "surprise"),
    ],
)
def test_bad_settings_are_bad_input(tmp_path: Path, text: str | None, reason: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "t0ken")
    path = tmp_path / "splunk.toml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(BadInput, match=reason):
        load_settings(path)


def test_a_token_is_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    path = tmp_path / "splunk.toml"
    path.write_text('[splunk]\naccess = { index = "web" }\n')
    with pytest.raises(BadInput, match=TOKEN_ENV):
        load_settings(path)


def test_inside_splunk_the_session_key_is_the_credential(monkeypatch: pytest.MonkeyPatch) -> None:
    """A search command or modular input passes its session key: sent as ``Splunk <key>``."""
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    state = StubState(SplEngine(splunk_events(proxy_events(), log_events())), "Splunk session-key-123")
    with splunkd_stub(state) as port:
        settings = SETTINGS.model_copy(
            update={"connection": SdkConnection(host="127.0.0.1", port=port, scheme="http")}
        )
        store = open_splunk_store(settings, ROUTES, session_key="session-key-123")
        for window in WINDOWS:
            store.record_block(window)
        assert store.ask(RouteStatsQuery(run_id=RUN))


@pytest.mark.parametrize(
    ("kind", "text", "fails"),
    [
        ("WARN", "Search results might be incomplete: the search process on peer idx-2 ended prematurely", True),
        ("WARN", "Unable to distribute to peer named idx-3 because peer is Down", True),
        ("WARN", "The search job was truncated at 50000 results", True),
        ("WARN", "Field 'drilldown' does not exist in the data.", False),
        ("INFO", "Your timerange was substituted based on your search string", False),
        ("ERROR", "Error in 'eval' command", True),
    ],
)
def test_splunk_messages_decide_whether_rows_are_whole(kind: str, text: str, fails: bool) -> None:
    if fails:
        with pytest.raises(InfrastructureError, match=kind):
            check_messages([(kind, text)])
    else:
        check_messages([(kind, text)])
