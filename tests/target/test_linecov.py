"""The changed-lines check's parts against real interpreters: the diff's executable added lines, and
kassi's bootstrap loaded by a real Python process through ``PYTHONPATH`` (3.13: sys.monitoring; the
machine's 3.11 without coverage: "not measured" with the reason; a process that is not Python: the
bootstrap never loaded)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from gitrepo import git

from kassi_app.change.diffs import parse_diff
from kassi_app.target.linecov import NOT_LOADED, LineCoverage, added_lines, changed_python_lines

BASE = '''"""Orders."""


def total(items):
    return sum(items)


def slow_total(items):
    return sum(items)
'''

HEAD = '''"""Orders."""


def total(items):
    # keep the order stable
    ordered = sorted(items)
    return sum(ordered)


def slow_total(items):
    """Sum twice, on purpose."""
    checked = sum(items)
    return checked + 0
'''

MAIN = '''import sys, time
import orders
orders.total([3, 1, 2])
print("ready", flush=True)
time.sleep(60)
'''


def _hunks(tmp_path: Path) -> tuple[Path, list]:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "orders.py").write_text(BASE)
    (repo / "main.py").write_text(MAIN)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    (repo / "orders.py").write_text(HEAD)
    git(repo, "commit", "-qam", "head")
    diff = git(repo, "diff", "HEAD~1", "HEAD")
    return repo, [h for f in parse_diff(diff) for h in f.hunks]


def test_changed_lines_are_the_executable_added_ones(tmp_path: Path) -> None:
    repo, hunks = _hunks(tmp_path)
    assert [n for h in hunks for n in added_lines(h)] == [5, 6, 7, 11, 12, 13]
    lines = changed_python_lines(hunks, repo)
    # The comment (5) and the docstring (11) cannot run; the other added lines can.
    assert [n for h in lines for n in h.lines] == [6, 7, 12, 13]


@contextmanager
def _started(argv: Sequence[str], repo: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(argv, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the process and any worker it forked
        proc.communicate(timeout=10)


def _env(probe: LineCoverage, extra_path: str = "") -> dict[str, str]:
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": extra_path} if extra_path else {"PATH": os.environ["PATH"]}
    return {**base, **probe.env(base)}


def test_bootstrap_records_the_changed_lines_that_ran(tmp_path: Path) -> None:
    repo, hunks = _hunks(tmp_path)
    probe = LineCoverage(tmp_path / "cov", repo, changed_python_lines(hunks, repo))
    # The target's own sitecustomize still runs after kassi's.
    own = tmp_path / "own"
    own.mkdir()
    (own / "sitecustomize.py").write_text("import pathlib; pathlib.Path('own-ran').write_text('yes')\n")
    with _started([sys.executable, "main.py"], repo, _env(probe, str(own))) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        result = probe.collect()
    assert result["how"] == "sys.monitoring"
    # One hunk (the diff's context joins both functions): total()'s lines ran, slow_total()'s did not.
    assert [(h["ran"], h["lines"], h["never_ran"]) for h in result["hunks"]] == [(2, 4, [12, 13])]
    assert (repo / "own-ran").read_text() == "yes"


FORKING = '''import os, time
import orders
if os.fork() == 0:  # a pre-fork server's worker: it serves, the parent only waits
    orders.slow_total([1, 2])
    print("ready", flush=True)
time.sleep(60)
'''


def test_a_forked_worker_answers_for_itself(tmp_path: Path) -> None:
    repo, hunks = _hunks(tmp_path)
    (repo / "forking.py").write_text(FORKING)
    probe = LineCoverage(tmp_path / "cov", repo, changed_python_lines(hunks, repo))
    with _started([sys.executable, "forking.py"], repo, _env(probe)) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        result = probe.collect()
    assert len(list((tmp_path / "cov").glob("[0-9]*.json"))) == 2  # parent and worker
    assert [(h["ran"], h["never_ran"]) for h in result["hunks"]] == [(2, [6, 7])]  # only the worker's call ran


def test_python_without_monitoring_or_coverage_says_why(tmp_path: Path) -> None:
    old = shutil.which("python3.11") or shutil.which("python3")
    probe_version = subprocess.run(
        [old or "false", "-c", "import sys, importlib.util as u; "
         "print(sys.version_info < (3, 12) and u.find_spec('coverage') is None)"],
        capture_output=True, text=True, timeout=30)
    if probe_version.stdout.strip() != "True":
        pytest.skip("no Python before 3.12 without coverage on this machine")
    assert old is not None
    repo, hunks = _hunks(tmp_path)
    probe = LineCoverage(tmp_path / "cov", repo, changed_python_lines(hunks, repo))
    with _started([old, "main.py"], repo, _env(probe)) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        result = probe.collect()
    assert result["how"].startswith("not measured: Python 3.")
    assert result["how"].endswith("has no sys.monitoring and coverage is not installed")
    assert result["hunks"] == []


def test_a_target_that_is_not_python_never_loads_the_bootstrap(tmp_path: Path) -> None:
    repo, hunks = _hunks(tmp_path)
    probe = LineCoverage(tmp_path / "cov", repo, changed_python_lines(hunks, repo))
    with _started(["sh", "-c", "echo ready; exec sleep 60"], repo, _env(probe)) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        assert probe.collect(timeout_s=0.5) == {"how": NOT_LOADED, "hunks": []}
