"""The kassi_watch modular input driven as splunkd drives it, through splunklib's real protocol code:
``--scheme``, ``--validate-arguments`` (both as processes of bin/kassi_watch.py) and streaming with
the input XML on stdin, against real git repos. splunkd itself cannot run here: the app's settings
and the git token come from the loopback splunkd stand-in (splunkd_atom_stub.py), and a private git
server from a loopback HTTP stub that records what git sends. The run is the recording stand-in of
tests/support/watch_repos.py; one real run end to end is in tests/faces/cli/test_watch.py."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from modinput import ARGUMENTS, SESSION_KEY, events_of, input_xml, validation_xml
from splunkd_atom_stub import Splunkd, running
from splunklib.modularinput import EventWriter
from watch_repos import FakeRun, Repo, pairs

from kassi_app.faces.splunk.watch_input import KassiWatchInput

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "ghp_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def script(*args: str, stdin: str = "", home: Path, python: str = sys.executable,
           app: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, str(app / "bin" / "kassi_watch.py"), *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "KASSI_HOME": str(home),
                                                       "PYENV_VERSION": "3.13.0", "HOME": str(home)})


class Poller:
    """Starts the input once per call, in-process, as splunkd does every interval."""

    def __init__(self, splunkd: Splunkd, tmp_path: Path, params: dict[str, str], run: FakeRun) -> None:
        self.splunkd, self.params, self.run = splunkd, params, run
        self.checkpoints = tmp_path / "modinputs" / "kassi_watch"
        self.stderr = ""

    def __call__(self) -> list[tuple[str, str, dict[str, Any]]]:
        out, err = io.StringIO(), io.StringIO()
        xml = input_xml(self.splunkd.uri, self.checkpoints, self.params)
        code = KassiWatchInput(self.run).run_script(["kassi_watch.py"], EventWriter(out, err), io.StringIO(xml))
        self.stderr += err.getvalue()
        assert code == 0, err.getvalue()
        return events_of(out.getvalue())


@pytest.fixture
def splunkd() -> Iterator[Splunkd]:
    state = Splunkd(session_key=SESSION_KEY, conf={"settings": {"allowed_hosts": "staging.example.com"}},
                    passwords={("kassi", "git_token.private"): TOKEN})
    with running(state):
        yield state


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo.create(tmp_path / "repo")


def test_scheme_is_valid_xml_with_the_arguments_the_setup_page_sends(home: Path) -> None:
    done = script("--scheme", home=home)
    assert done.returncode == 0, done.stderr
    scheme = ET.fromstring(done.stdout)
    assert scheme.findtext("use_external_validation") == "true"
    assert scheme.findtext("use_single_instance") == "false"
    assert scheme.findtext("streaming_mode") == "xml"
    args = {a.get("name"): a for a in scheme.iter("arg")}
    assert set(args) == ARGUMENTS
    assert args["repo"].findtext("required_on_create") == "true"
    assert all(args[n].findtext("required_on_create") == "false" for n in ARGUMENTS - {"repo"})


def test_validation_accepts_a_watchable_repo(repo: Repo, home: Path, tmp_path: Path) -> None:
    done = script("--validate-arguments", stdin=validation_xml({"repo": str(repo.path), "branch": "main"}, tmp_path),
                  home=home)
    assert (done.returncode, done.stdout) == (0, ""), done.stderr


def test_validation_refuses_what_cannot_work_with_a_message(repo: Repo, home: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    no_toml = Repo.create(tmp_path / "no-toml")
    no_toml.git("rm", "--quiet", "kassi.toml")
    no_toml.commit({}, "Drop kassi.toml")
    cases = [
        ({"repo": str(tmp_path / "absent")}, "no such repo"),
        ({"repo": str(plain)}, "not a git repository"),
        ({"repo": str(repo.path), "branch": "release"}, "branch 'release' not found"),
        ({"repo": str(no_toml.path)}, "no kassi.toml at the tip of branch 'main'"),
        ({"repo": str(repo.path), "mode": "sometimes"}, "mode must be one of every, tip"),
        ({"repo": str(repo.path), "duration": "long"}, "duration must be a number"),
        ({"repo": str(repo.path), "fix": "maybe"}, "fix must be true or false"),
        ({"repo": "ext::sh"}, "ext:: transport"),
        ({"repo": "--upload-pack=id"}, "not a usable git URL"),
        ({"branch": "main"}, "repo is required"),
    ]
    for params, message in cases:  # in-process: splunklib's protocol code, without a Python start each
        out, items = io.StringIO(), io.StringIO(validation_xml(params, tmp_path))
        code = KassiWatchInput().run_script(["kassi_watch.py", "--validate-arguments"],
                                            EventWriter(out, io.StringIO()), items)
        assert code == 1, params
        assert message in (ET.fromstring(out.getvalue()).findtext("message") or ""), (params, out.getvalue())
    done = script("--validate-arguments", stdin=validation_xml({"repo": str(plain)}, tmp_path), home=home)
    assert done.returncode == 1
    assert ET.fromstring(done.stdout).findtext("message") == f"not a git repository: {plain}"


def test_streaming_baseline_docs_skip_nothing_new_and_a_push_of_three(
    repo: Repo, splunkd: Splunkd, home: Path, tmp_path: Path,
) -> None:
    run = FakeRun(verdict="REGRESSION")
    poll = Poller(splunkd, tmp_path, {"repo": str(repo.path), "branch": "main", "duration": "4"}, run)
    first = poll()
    assert [(st, e["action"], e["commit"]) for _, st, e in first] == [("kassi:watch", "baseline", repo.tip)]
    assert first[0][0] == "kassi_watch://shop"
    docs = repo.commit_docs()
    skipped = poll()
    assert [(e["action"], e["commit"]) for _, _, e in skipped] == [("skipped", docs)]
    assert "changes no endpoint" in skipped[0][2]["reason"]
    assert poll() == []  # nothing new: an empty stream
    commits = [repo.commit_endpoint() for _ in range(3)]
    pushed = poll()
    assert run.asked == pairs(commits, docs)
    assert [st for _, st, _ in pushed] == ["kassi:phase", "kassi:run", "kassi:watch"] * 3
    watch = [e for _, st, e in pushed if st == "kassi:watch"]
    assert [(e["action"], e["commit"], e["parent"], e["verdict"]) for e in watch] == [
        ("ran", c, p, "REGRESSION") for p, c in pairs(commits, docs)]
    assert set(watch[0]) == {"_time", "repo", "branch", "commit", "parent", "action", "run_id", "verdict", "reason"}
    runs = [e for _, st, e in pushed if st == "kassi:run"]
    assert [(r["run_id"], r["origin"], r["verdict"]) for r in runs] == [
        (e["run_id"], "watch", "REGRESSION") for e in watch]
    # the input's settings reached the run request: kassi.conf's allowed hosts, the duration argument
    request = run.requests[0]
    assert request.allow_hosts == ("staging.example.com",)
    assert (request.load.low_duration_s, request.load.high_duration_s) == (1.5, 2.5)


def test_streaming_restart_mid_push_and_a_force_push(repo: Repo, splunkd: Splunkd, home: Path, tmp_path: Path) -> None:
    params = {"repo": str(repo.path)}
    Poller(splunkd, tmp_path, params, FakeRun())()
    start = repo.tip
    commits = [repo.commit_endpoint() for _ in range(3)]
    killed = FakeRun(interrupt_on=2)  # splunkd stops the input (SIGTERM -> SystemExit) during run 2
    with pytest.raises(SystemExit):
        Poller(splunkd, tmp_path, params, killed)()
    restarted = FakeRun()
    after = Poller(splunkd, tmp_path, params, restarted)()
    assert killed.finished == pairs(commits, start)[:1]
    assert restarted.asked == pairs(commits, start)[1:]
    assert [e["commit"] for _, st, e in after if st == "kassi:watch"] == commits[1:]
    repo.git("reset", "--quiet", "--hard", commits[0])
    replacement = repo.commit_endpoint()
    forced = Poller(splunkd, tmp_path, params, FakeRun())()
    assert [(e["action"], e["commit"]) for _, st, e in forced if st == "kassi:watch"] == [
        ("rewritten", replacement), ("ran", replacement)]


@pytest.fixture
def git_server() -> Iterator[list[dict[str, str]]]:
    """A private git host that refuses every request (404, as GitHub answers an unknown or hidden
    repo) and records each request's headers."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers.items()))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    seen.append({"url": f"http://127.0.0.1:{server.server_address[1]}/team/private.git"})
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_private_repos_token_goes_to_git_as_a_header_and_never_into_an_event(
    splunkd: Splunkd, git_server: list[dict[str, str]], home: Path, tmp_path: Path,
) -> None:
    url = git_server.pop(0)["url"]
    out, err = io.StringIO(), io.StringIO()
    xml = input_xml(splunkd.uri, tmp_path / "cp", {"repo": url}, name="private")
    assert KassiWatchInput(FakeRun()).run_script(["x"], EventWriter(out, err), io.StringIO(xml)) == 0
    failed = events_of(out.getvalue())
    assert [(st, e["action"]) for _, st, e in failed] == [("kassi:watch", "failed")]
    assert "fetching" in failed[0][2]["reason"] and "failed" in failed[0][2]["reason"]
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    assert git_server and all(h.get("Authorization") == f"Basic {basic}" for h in git_server)
    for text in (out.getvalue(), err.getvalue()):
        assert TOKEN not in text and basic not in text
    clone_config = home / "watch" / "clones"
    assert not any(TOKEN in p.read_text(errors="replace") for p in clone_config.rglob("config") if p.is_file())
    asked = len(git_server)
    again = io.StringIO()  # the next poll tries again
    KassiWatchInput(FakeRun()).run_script(["x"], EventWriter(again, io.StringIO()), io.StringIO(xml))
    assert len(git_server) > asked and events_of(again.getvalue())[0][2]["action"] == "failed"


def test_unreadable_app_settings_are_a_failed_event_not_a_crash(repo: Repo, home: Path, tmp_path: Path) -> None:
    state = Splunkd(session_key="another-key")
    with running(state):
        out, err = io.StringIO(), io.StringIO()
        xml = input_xml(state.uri, tmp_path / "cp", {"repo": str(repo.path)})
        assert KassiWatchInput(FakeRun()).run_script(["x"], EventWriter(out, err), io.StringIO(xml)) == 0
    (_, sourcetype, event), = events_of(out.getvalue())
    assert (sourcetype, event["action"]) == ("kassi:watch", "failed")
    assert "reading the kassi app's settings from splunkd failed" in event["reason"]
    assert not (tmp_path / "cp" / "shop.json").exists()
