"""The ``kassi_watch`` modular input: splunkd starts it every ``interval`` seconds per watched repo;
each start is one poll of :class:`kassi_app.watch.Watcher`, whose events go to the input's own
event stream (``kassi:watch``, ``kassi:run``, ``kassi:phase``; JSON).

Its arguments are the ones the setup page sends (README/inputs.conf.spec): ``repo``, ``branch``,
``mode``, ``duration``, ``fix`` (``interval`` is splunkd's own). The app's settings (allowed hosts)
and the repo's git token (storage/passwords ``git_token.<name>``) are read through splunkd with the
session key the input receives; the token never reaches a .conf, a log or an event.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from splunklib.modularinput import Argument, Event, EventWriter, InputDefinition, Scheme, Script
from splunklib.modularinput.validation_definition import ValidationDefinition

from kassi_app.errors import BadInput
from kassi_app.faces.splunk import app_settings
from kassi_app.git import check_git_url, is_git_url
from kassi_app.home import kassi_home
from kassi_app.watch import CheckpointFile, Emit, RunFn, WatchConfig, Watcher, WatchMode
from kassi_app.watch.poll import duration_load

SCHEME = "kassi_watch"
MODES: tuple[WatchMode, ...] = ("every", "tip")
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off", ""})
"""Splunk's boolean spellings (as ``splunk.util.normalizeBoolean`` reads them)."""


def input_home() -> Path:
    """kassi's home inside Splunk: ``$KASSI_HOME``, else ``$SPLUNK_HOME/var/lib/kassi``."""
    if not os.environ.get("KASSI_HOME") and os.environ.get("SPLUNK_HOME"):
        os.environ["KASSI_HOME"] = str(Path(os.environ["SPLUNK_HOME"]) / "var" / "lib" / "kassi")
    return kassi_home()


def watch_config(name: str, params: Mapping[str, Any], allow_hosts: tuple[str, ...] = (),
                 token: SecretStr | None = None) -> WatchConfig:
    """A stanza's arguments as a :class:`WatchConfig`; BadInput naming the argument at fault."""
    def text(key: str, default: str = "") -> str:
        value = params.get(key)
        return str(value).strip() if value is not None and str(value).strip() else default

    repo = text("repo")
    if not repo:
        raise BadInput("repo is required: a local clone's path or a git URL")
    mode = text("mode", "every")
    if mode not in MODES:
        raise BadInput(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    fix = text("fix", "false").lower()
    if fix not in _TRUE | _FALSE:
        raise BadInput(f"fix must be true or false, got {fix!r}")
    duration = text("duration")
    try:
        seconds = float(duration) if duration else None
    except ValueError:
        raise BadInput(f"duration must be a number of seconds, got {duration!r}") from None
    return WatchConfig(name=name, repo=repo, branch=text("branch", "main"), mode=mode,
                       load=duration_load(seconds), allow_hosts=allow_hosts, fix=fix in _TRUE, token=token)


def input_name(stanza: str) -> str:
    """``kassi_watch://shop`` (a stanza as streamed) or ``shop`` (as validated) -> ``shop``."""
    return stanza.removeprefix(f"{SCHEME}://")


def splunk_emit(ew: EventWriter, stanza: str) -> Emit:
    """The watcher's events as modular-input events: compact JSON data (``_time`` first, as props.conf
    reads it), one sourcetype per kind, the event's ``<time>`` set from ``_time``."""
    def emit(sourcetype: str, data: Mapping[str, Any]) -> None:
        ew.write_event(Event(data=json.dumps(data, default=str, separators=(",", ":")), stanza=stanza,
                             sourcetype=sourcetype, time=f"{data['_time']:.3f}", unbroken=True, done=True))

    return emit


class KassiWatchInput(Script):  # type: ignore[misc]  # splunklib ships no type hints
    """splunklib's protocol (``--scheme``, ``--validate-arguments``, streaming) around the watcher.
    ``run`` replaces the real run (tests); by default each commit gets a full kassi run."""

    def __init__(self, run: RunFn | None = None) -> None:
        super().__init__()
        self._service: Any = None
        self._run = run

    def get_scheme(self) -> Scheme:
        scheme = Scheme("kassi watched repo")
        scheme.description = ("Runs kassi on every new commit of a git branch: an A/B load test of the "
                              "commit against its parent, judged with statistics.")
        scheme.use_external_validation = True
        scheme.use_single_instance = False
        scheme.streaming_mode = Scheme.streaming_mode_xml
        for name, title, description, required in (
            ("repo", "Repository", "A local clone's path or a git URL (https, ssh, git)", True),
            ("branch", "Branch", "The branch to watch (default: main)", False),
            ("mode", "Mode", "every: each new commit gets its own run; tip: one run per push", False),
            ("duration", "Load seconds", "Seconds of load per block; empty: the repo's kassi.toml", False),
            ("fix", "Propose a fix", "true: propose and verify a fix on a regression", False),
        ):
            scheme.add_argument(Argument(name, title=title, description=description,
                                         data_type=Argument.data_type_string,
                                         required_on_create=required, required_on_edit=False))
        return scheme

    def validate_input(self, definition: ValidationDefinition) -> None:
        """Refuse, with the message the setup page shows, a watch that cannot work."""
        name = input_name(str(definition.metadata.get("name") or "watch"))
        config = watch_config(name, definition.parameters)
        if is_git_url(config.repo):  # refuse a dangerous URL before asking splunkd for its token
            check_git_url(config.repo)
            config = replace(config, token=self._token(name, definition.parameters))
        Watcher(config, CheckpointFile(Path(definition.metadata.get("checkpoint_dir") or "."), name),
                input_home(), _discard).check()

    def stream_events(self, inputs: InputDefinition, ew: EventWriter) -> None:
        from kassi_app.target import cleanup

        cleanup.install()  # splunkd stops inputs with SIGTERM: the run's services stop with us
        home = input_home()
        checkpoints = Path(inputs.metadata["checkpoint_dir"])
        for stanza, params in inputs.inputs.items():
            name = input_name(stanza)
            emit = splunk_emit(ew, stanza)
            try:
                config = watch_config(name, params)
            except BadInput as exc:
                ew.log(EventWriter.ERROR, f"{stanza}: {exc}")
                continue
            try:
                settings = app_settings.settings_from_splunkd(self.service)
                models = app_settings.remedy_models(settings, self.service) if config.fix else None
                config = replace(config, allow_hosts=settings.allowed_hosts, token=self._token(name, params),
                                 models=models)
            except Exception as exc:  # splunklib's HTTPError, a refused socket, a kassi.conf kassi refuses
                Watcher(config, CheckpointFile(checkpoints, name), home, emit, self._run).fail(
                    f"reading the kassi app's settings from splunkd failed: {exc}")
                continue
            Watcher(config, CheckpointFile(checkpoints, name), home, emit, self._run).poll()

    def _token(self, name: str, params: Mapping[str, Any]) -> SecretStr | None:
        """The git token of watched repo ``name``, only for a URL (a local clone needs none)."""
        repo = str(params.get("repo") or "")
        if not is_git_url(repo):
            return None
        return app_settings.read_secret(self.service, app_settings.git_token_name(name))

    @property
    def service(self) -> Any:
        """splunklib's service for the input's splunkd and session key, with kassi's timeouts and TLS
        rule (:func:`app_settings.connect`) rather than Script's own (no timeout, no verification)."""
        if self._service is None:
            self._service = app_settings.connect(self._server_uri, self._session_key)
        return self._service


def _discard(_sourcetype: str, _data: Mapping[str, Any]) -> None:
    """Validation only checks; it records nothing."""


def main() -> None:
    sys.exit(KassiWatchInput().run(sys.argv))
