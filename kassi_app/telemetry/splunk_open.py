"""Open the Splunk store a live run reads its server-side truth from: settings file + token."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kassi_app.errors import BadInput
from kassi_app.home import kassi_home
from kassi_app.telemetry.splunk_settings import TOKEN_ENV, SplunkSettings, token_from_env
from kassi_app.telemetry.splunk_store import SplunkStore
from kassi_app.telemetry.splunk_transport import open_transport

SETTINGS_FILE = "splunk.toml"


@dataclass(frozen=True)
class SplunkSource:
    """Splunk settings and credential a face hands a run in-process: the search command's come from
    the app's kassi.conf and the search's session key. Neither travels in the run request (which is
    recorded and sealed) nor through a file."""

    settings: SplunkSettings
    session_key: str | None = field(default=None, repr=False)


def default_settings_path() -> Path:
    return kassi_home() / SETTINGS_FILE


def load_settings(path: Path | None) -> SplunkSettings:
    """The ``[splunk]`` settings (``--splunk-config``, else ``$KASSI_HOME/splunk.toml``); BadInput
    before any load is sent when they are missing or wrong, or when no token is set."""
    path = path or default_settings_path()
    if not path.is_file():
        raise BadInput(f"--telemetry splunk needs Splunk settings: no file {path} (see docs/splunk-telemetry.md)")
    settings = SplunkSettings.load(path)
    if token_from_env() is None:
        raise BadInput(f"--telemetry splunk needs a Splunk token in the environment variable {TOKEN_ENV}")
    return settings


def open_splunk_store(settings: SplunkSettings, routes: Sequence[str], session_key: str | None = None) -> SplunkStore:
    """Inside Splunk pass the search's ``session_key``; outside, the token comes from the environment."""
    token = session_key or token_from_env()
    if token is None:
        raise BadInput(f"no Splunk credential: set {TOKEN_ENV}")
    return SplunkStore(settings, open_transport(settings, token, session_key=session_key is not None), routes)
