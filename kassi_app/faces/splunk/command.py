"""``| kassi``: the generating search command (custom search command protocol v2, ``chunked = true``).

splunkd sends ``getinfo`` (the options are checked there: a bad one is ``Error in 'kassi' command``
before anything starts), then ``execute`` rounds until the command answers ``finished: true``. The
run goes on its own thread and reports through ``RowSink``; each execute round answers with the rows
of the phases that ended since the last one, so the search shows the walk as it happens.

splunklib's ``GeneratingCommand`` answers a round only when it has ``maxresultrows`` rows or its
generator ended, and protocol v2 has no partial answers, so ``_execute_chunk_v2`` (a private method
of splunk-sdk 3.0.1, which the app pins; tests/faces/splunk drives it over the real protocol) is
overridden to answer as soon as a phase has ended.

Cancel: splunkd closes the command's stdin (seen while waiting for rows) or sends SIGTERM (turned
into SystemExit by ``target.cleanup``). Either way the run's cancel flag is set, its services and k6
are stopped, and the run aborts and concludes: INCONCLUSIVE "interrupted", ledger sealed.
"""

from __future__ import annotations

import os
import select
import shutil
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from splunklib.searchcommands import Configuration, GeneratingCommand, Option, validators

import kassi_app
from kassi_app.config import RunRequest
from kassi_app.errors import BadInput, KassiError
from kassi_app.faces.splunk.access import require_capability
from kassi_app.faces.splunk.app_settings import AppSettings, connect, remedy_models, settings_from_splunkd
from kassi_app.faces.splunk.options import SearchOptions, SearchPlan, plan_search
from kassi_app.faces.splunk.rows import Row, RowSink, RowStream, row
from kassi_app.faces.splunk.slots import RunSlot, acquire_slot
from kassi_app.faces.splunk.telemetry_conf import in_this_splunk
from kassi_app.load.k6bin import K6_ENV, k6_binary
from kassi_app.publish.sink import PublishingSink
from kassi_app.publish.splunklib_transport import SplunklibTransport
from kassi_app.remedy.backends import RemedyModels
from kassi_app.target import cleanup
from kassi_app.telemetry.splunk_open import SplunkSource
from kassi_app.workflow.sink import RunSink, SafeSink

STOP_TIMEOUT_S = 120.0
"""How long a cancelled run may take to abort, conclude and seal after its processes were stopped."""
K6_NOT_FOUND = ("k6 not found on the search head: install k6 1.1 (https://grafana.com/docs/k6/latest/set-up/"
                "install-k6/) on splunkd's PATH, or set k6_path on the kassi app's setup page")


def kassi_home_in_splunk() -> Path:
    """``KASSI_HOME`` when set, else ``$SPLUNK_HOME/var/lib/kassi`` (outside Splunk: ``~/.kassi``)."""
    if os.environ.get("KASSI_HOME"):
        return Path(os.environ["KASSI_HOME"]).expanduser()
    splunk_home = os.environ.get("SPLUNK_HOME")
    return Path(splunk_home) / "var" / "lib" / "kassi" if splunk_home else Path.home() / ".kassi"


def use_k6(settings: AppSettings) -> None:
    """Point the engine at the k6 of the app's settings, else keep PATH's; BadInput saying how to
    install k6 when there is none."""
    if settings.k6_path is not None:
        if not settings.k6_path.is_file():
            raise BadInput(f"k6_path {settings.k6_path} (the kassi app's setup) is not a file")
        os.environ[K6_ENV] = str(settings.k6_path)
    if k6_binary() is None:
        raise BadInput(K6_NOT_FOUND)


def stdin_closed(fd: int) -> bool:
    """True once the writer of the pipe on ``fd`` has closed it (POLLHUP), without reading from it."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return any(events & (select.POLLHUP | select.POLLERR) for _, events in poller.poll(0))


@Configuration(distributed=False)  # it starts processes on the search head: never on indexers
class KassiCommand(GeneratingCommand):  # type: ignore[misc]  # splunklib has no type hints
    """Run kassi from a search: ``| kassi demo=<name>``, ``| kassi repo=<name> diff=<base>..<head>``,
    ``| kassi url=<base url> endpoint="GET /route"``. See docs/splunk-search-command.md."""

    demo = Option(doc="A bundled demo to run end to end (needs no setup).", require=False)
    repo = Option(doc="A repo configured on the app's setup page (a name, never a path).", require=False)
    diff = Option(doc="With repo=: base..head, or one commit (its parent..it). Default: the repo's branch.",
                  require=False)
    intent = Option(doc="With repo=: what the change should do, in words (not available yet).", require=False)
    url = Option(doc="Live mode: the running service's base URL (loopback or an allowed host).", require=False)
    endpoint = Option(doc='With url=: the endpoint to load, "METHOD /route".', require=False)
    fix = Option(doc="After a REGRESSION or DEGRADING verdict, propose a fix and verify it under the same load.",
                 require=False, validate=validators.Boolean(), default=False)
    telemetry = Option(doc="Where server-side telemetry comes from: embedded (kassi's own proxy) or, with url=, "
                           "splunk (the service's access log, where the app's setup says it is).",
                       require=False, default="embedded")

    def __init__(self) -> None:
        super().__init__()
        self._stream = RowStream()
        self._cancel = threading.Event()
        self._plan: SearchPlan | None = None
        self._splunk: SplunkSource | None = None
        self._publisher: PublishingSink | None = None
        self._models: RemedyModels | None = None
        self._slot: RunSlot | None = None
        self._home = kassi_home_in_splunk()
        self._thread: threading.Thread | None = None
        self._stdin_fd: int | None = None

    def prepare(self) -> None:
        """getinfo: check who searches, the options, k6 and the run limit; nothing starts here."""
        try:
            searchinfo = self.metadata.searchinfo
            service = connect(searchinfo.splunkd_uri, searchinfo.session_key)
            require_capability(service)
            settings = settings_from_splunkd(service)
            self._plan = plan_search(self._search_options(), settings)
            self._models = remedy_models(settings, service) if self._plan.request.fix else None
            if self._plan.request.telemetry == "splunk" and settings.telemetry_splunk is not None:
                # The service's access log, read from this search head with the search's session key.
                self._splunk = SplunkSource(in_this_splunk(settings.telemetry_splunk, searchinfo.splunkd_uri),
                                            searchinfo.session_key)
            use_k6(settings)
            self._home.mkdir(parents=True, exist_ok=True)
            self._slot = acquire_slot(self._home, settings.max_concurrent_runs)
            # Published with the search's own session key into the app's index (the HEC index setting,
            # else the receiving role's default): the kassi views read it through `kassi_index`.
            self._publisher = PublishingSink(SplunklibTransport(service, settings.hec.index))
        except KassiError as exc:
            self.error_exit(exc, str(exc))
        except OSError as exc:  # splunkd unreachable: say so, not splunklib's traceback summary
            self.error_exit(exc, f"cannot reach splunkd at {self.metadata.searchinfo.splunkd_uri}: {exc}")

    def _search_options(self) -> SearchOptions:
        return SearchOptions(demo=self.demo, repo=self.repo, diff=self.diff, intent=self.intent, url=self.url,
                             endpoint=self.endpoint, fix=bool(self.fix), telemetry=str(self.telemetry))

    def generate(self) -> Any:
        """Every row of the run, in order (what protocol v1 would stream); v2 takes them in batches."""
        if self._thread is None:
            self._start()
        while not self._stream.ended:
            yield from self._stream.next_batch()

    def _execute_chunk_v2(self, process: Any, chunk: Any) -> None:
        """One execute round: the rows of the phases that ended since the last round (at least one),
        ``finished`` once the verdict row went out. Overrides splunk-sdk 3.0.1's private method."""
        if self._thread is None:
            self._start()
            for warning in self._plan.warnings if self._plan else ():
                self.write_warning(warning)
        for item in self._stream.next_batch(on_wait=self._watch_stdin):
            self._record_writer.write_record(item)
        self._finished = self._stream.ended
        if self._finished and self._publisher is not None and self._publisher.failure:
            self.write_warning(f"the run was not published ({self._publisher.failure}); it is kept under "
                               f"{self._home} and marked for a later `kassi publish`")

    def _watch_stdin(self) -> None:
        if self._stdin_fd is not None and not self._cancel.is_set() and stdin_closed(self._stdin_fd):
            self.cancel()

    def _start(self) -> None:
        if self._plan is None:  # prepare refused the search; splunklib never gets here then
            raise RuntimeError("the search was not prepared")
        self._thread = threading.Thread(target=self._run, args=(self._plan,), name="kassi-run", daemon=True)
        self._thread.start()

    def _run(self, plan: SearchPlan) -> None:
        from kassi_app.demos import init_demo
        from kassi_app.workflow.runner import run_request

        folder = self._home / "demos" / uuid.uuid4().hex[:12] if plan.demo else None
        try:
            request: RunRequest = plan.request
            if plan.demo is not None and folder is not None:
                repo = init_demo(plan.demo, folder / "repo")
                request = request.model_copy(update={"repo": str(repo.path), "base": repo.base, "head": repo.head})
            sinks: list[RunSink] = [RowSink(self._stream), *([self._publisher] if self._publisher else [])]
            run_request(request, SafeSink(sinks), self._home, self._cancel, self._models, splunk=self._splunk)
        except Exception as exc:  # the search must end with a row that says why, not hang
            self._stream.put(_failure_row(exc))
        finally:
            if self._publisher is not None:
                self._publisher.close()
            self._stream.close()
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    def cancel(self) -> None:
        """Stop the run: no new phase starts, its services and k6 are stopped now; it then seals."""
        self._cancel.set()
        cleanup.run_all()

    def stop(self) -> None:
        """At exit: a run still going is cancelled and awaited (bounded); the run slot is freed."""
        if self._thread is not None and self._thread.is_alive():
            self.cancel()
            self._thread.join(STOP_TIMEOUT_S)
        if self._slot is not None:
            self._slot.release()

    def serve(self, stdin: Any, stdout: Any) -> None:
        self._stdin_fd = stdin.fileno()
        try:
            self.process([sys.argv[0]], stdin, stdout)
        finally:
            self.stop()


def _failure_row(exc: Exception) -> Row:
    return row(_time=round(time.time(), 3), phase="error", status="failed", verdict="INCONCLUSIVE",
               detail=f"{type(exc).__name__}: {exc}", reason=str(exc))


def main() -> None:
    """bin/kassi.py's entry point. splunklib gets its own copy of stdout and fd 1 goes to stderr, so
    nothing else (a library's print, a child process) can write into the protocol stream. Child
    processes (a demo's service) get the app's vendored lib/ on PYTHONPATH: Splunk's Python has no
    web framework of its own."""
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    app_root = Path(kassi_app.__file__).resolve().parent.parent
    paths = [str(p) for p in (app_root / "lib", app_root) if p.is_dir()]
    os.environ["PYTHONPATH"] = os.pathsep.join([*paths, *filter(None, [os.environ.get("PYTHONPATH")])])
    os.environ.setdefault("KASSI_HOME", str(kassi_home_in_splunk()))
    cleanup.install()  # SIGTERM -> SystemExit on this (main) thread: `stop` then cancels the run
    KassiCommand().serve(sys.stdin, protocol_out)
