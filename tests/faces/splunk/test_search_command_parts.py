"""The search command's parts, in-process and fast: option checking against the app's settings, the
row stream between the run's thread and the command's, the run slots, and the conf files that declare
the command (the protocol itself: test_search_command.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from splunk_app import read_conf

from kassi_app.errors import BadInput
from kassi_app.faces.splunk.access import CAPABILITY, ROLE
from kassi_app.faces.splunk.app_settings import AppSettings, RepoSettings
from kassi_app.faces.splunk.options import SearchOptions, plan_search
from kassi_app.faces.splunk.rows import FIELDS, RowStream, row, verdict_row
from kassi_app.faces.splunk.slots import Busy, acquire_slot
from kassi_app.workflow.sink import LedgerStatus

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = AppSettings(allowed_hosts=("perf.example.net",),
                       repos={"shop": RepoSettings(name="shop", path="/srv/shop", branch="trunk")})


def test_diff_forms_become_base_and_head() -> None:
    two = plan_search(SearchOptions(repo="shop", diff="v1..v2"), SETTINGS).request
    assert (two.mode, two.repo, two.base, two.head) == ("ab", "/srv/shop", "v1", "v2")
    one = plan_search(SearchOptions(repo="shop", diff="3f2c1ab"), SETTINGS).request
    assert (one.base, one.head) == ("3f2c1ab~1", "3f2c1ab")
    branch = plan_search(SearchOptions(repo="shop"), SETTINGS).request
    assert (branch.base, branch.head) == ("trunk~1", "trunk")


def test_demo_and_live_plans() -> None:
    demo = plan_search(SearchOptions(demo="sqlite-write-lock", fix=True), SETTINGS)
    assert demo.demo == "sqlite-write-lock" and demo.request.repo is None and demo.request.fix is True
    assert demo.warnings == ()
    live = plan_search(SearchOptions(url="http://perf.example.net:8080", endpoint="get /items"), SETTINGS).request
    assert (live.mode, live.endpoints, live.allow_hosts) == ("live", ("GET /items",), ("perf.example.net",))


@pytest.mark.parametrize(("options", "message"), [
    (SearchOptions(url="http://127.0.0.1:8080", endpoint="GET /x", fix=True), "fix=true goes with demo= or repo="),
    (SearchOptions(repo="shop", diff="..x"), "not a valid git ref: ''"),
    (SearchOptions(repo="shop", diff="a...b"), "use base..head (two dots)"),
    (SearchOptions(repo="shop", diff="a b"), "not a valid git ref"),
    (SearchOptions(repo="shop", diff="x", intent="y"), "give diff= or intent=, not both"),
    (SearchOptions(url="ftp://127.0.0.1/", endpoint="GET /"), "not an http(s) URL"),
    (SearchOptions(url="http://10.0.0.8:80", endpoint="GET /"), "host '10.0.0.8' is not allowed"),
    (SearchOptions(demo="sqlite-write-lock", endpoint="GET /"), "endpoint= goes with url=, not with demo="),
])
def test_bad_options_name_the_problem(options: SearchOptions, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        plan_search(options, SETTINGS)


def test_a_git_url_repo_is_refused_for_now() -> None:
    settings = AppSettings(repos={"gh": RepoSettings(name="gh", path="https://example.com/x.git")})
    with pytest.raises(BadInput, match="is a git URL"):
        plan_search(SearchOptions(repo="gh", diff="a..b"), settings)


def test_row_stream_batches_what_is_ready_and_marks_the_end() -> None:
    stream = RowStream()
    stream.put(row(phase="begin"))
    stream.put(row(phase="read_change"))
    assert [r["phase"] for r in stream.next_batch()] == ["begin", "read_change"]
    waits: list[int] = []
    later = threading.Timer(0.3, lambda: (stream.put(row(phase="judge")), stream.close()))
    later.start()
    batch = stream.next_batch(on_wait=lambda: waits.append(1), poll_s=0.05)
    later.join()
    batch += stream.next_batch()
    assert [r["phase"] for r in batch] == ["judge"] and stream.ended and waits
    assert stream.next_batch() == []


def test_rows_carry_every_field_and_refuse_unknown_ones() -> None:
    assert set(row(phase="x")) == set(FIELDS)
    with pytest.raises(ValueError, match="not a kassi result field"):
        row(colour="red")


def test_verdict_row_names_the_flagged_route_and_cause() -> None:
    record = {"verdict": {"class": "REGRESSION", "reason": "p95 up", "routes": [
        {"method": "POST", "route": "/a", "class": "REGRESSION"}, {"method": "GET", "route": "/b", "class": "HEALTHY"}],
        "root_cause": {"kind": "database_locked", "summary": "database is locked", "location": "app.py:9"}}}
    out = verdict_row("r1", record, LedgerStatus("/l", "abc", 12, True))
    assert (out["verdict"], out["route"], out["ledger_head"], out["status"]) == ("REGRESSION", ["POST /a"], "abc",
                                                                                 "sealed")
    assert out["root_cause"] == "database_locked: database is locked (at app.py:9)"


def test_run_slots_hold_across_processes_and_free_on_release(tmp_path: Path) -> None:
    first = acquire_slot(tmp_path, 2)
    second = acquire_slot(tmp_path, 2)
    with pytest.raises(Busy, match="2 kassi run"):
        acquire_slot(tmp_path, 2)
    probe = [sys.executable, "-c", "import sys; from pathlib import Path; from kassi_app.faces.splunk.slots import "
             "acquire_slot; acquire_slot(Path(sys.argv[1]), 2)", str(tmp_path)]
    assert subprocess.run(probe, capture_output=True, timeout=60).returncode != 0, "another process sees them taken"
    first.release()
    assert subprocess.run(probe, capture_output=True, timeout=60).returncode == 0
    second.release()


def test_commands_conf_declares_a_chunked_python_313_command_in_bin() -> None:
    stanza = dict(read_conf(ROOT / "default" / "commands.conf")["kassi"])
    assert stanza == {"filename": "kassi.py", "chunked": "true", "python.version": "python3",
                      "python.required": "3.13"}
    assert (ROOT / "bin" / stanza["filename"]).is_file()


def test_searchbnf_documents_every_option_with_an_example() -> None:
    from splunklib.searchcommands import Option

    from kassi_app.faces.splunk.command import KassiCommand

    bnf = read_conf(ROOT / "default" / "searchbnf.conf")["kassi-command"]
    splunklibs_own = {"record", "show_configuration"}  # every splunklib command has these
    options = {name for name, value in vars(KassiCommand).items() if isinstance(value, Option)} - splunklibs_own
    assert options == {"demo", "repo", "diff", "intent", "url", "endpoint", "fix", "telemetry"}
    for name in options:
        assert f"{name}=" in bnf["syntax"] and f"{name}=" in bnf["description"], name
    assert "| kassi demo=sqlite-write-lock" in bnf["example1"]


def test_the_role_holds_the_capability_the_command_checks_and_the_command_is_exported() -> None:
    authorize = read_conf(ROOT / "default" / "authorize.conf")
    assert f"capability::{CAPABILITY}" in authorize
    assert authorize[f"role_{ROLE}"][CAPABILITY] == "enabled"
    meta = read_conf(ROOT / "metadata" / "default.meta")
    assert meta["commands/kassi"]["export"] == "system"


def test_two_runs_on_one_repo_get_their_own_worktrees(tmp_path: Path) -> None:
    """Two searches on the same repo and ref check out into separate folders (and remove only their own)."""
    from kassi_app.demos import init_demo
    from kassi_app.target import checkout

    repo = init_demo("sqlite-write-lock", tmp_path / "repo")
    with checkout(repo.path, repo.head) as first, checkout(repo.path, repo.head) as second:
        assert first != second and (first / "app.py").is_file() and (second / "app.py").is_file()
    assert not first.exists() and not second.exists()
