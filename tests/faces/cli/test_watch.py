"""`kassi watch` as a user runs it (the real console script, a private kassi home), including the one
real run end to end: a demo's faulty commit pushed onto a watched branch gets a real A/B run with
k6, and the events carry its verdict."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from kassi_cli import Kassi
from watch_repos import Repo

VERDICTS = {"REGRESSION", "DEGRADING", "THROTTLED", "HEALTHY", "INCONCLUSIVE"}


def kassi_watch(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return Kassi(home)("watch", *args, timeout=timeout)


def test_once_prints_one_line_per_commit_outcome_and_keeps_its_checkpoint_in_the_home(tmp_path: Path) -> None:
    repo, home = Repo.create(tmp_path / "repo"), tmp_path / "home"
    first = kassi_watch(home, str(repo.path), "--once")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [f"baseline  {repo.tip[:12]} — first poll: the branch tip is the baseline, "
                                         "later commits are run"]
    assert len(list((home / "watch" / "checkpoints").glob("*.json"))) == 1
    docs = [repo.commit_docs(), repo.commit_docs()]
    second = kassi_watch(home, str(repo.path), "--once")
    assert [line.split()[:2] for line in second.stdout.splitlines()] == [["skipped", c[:12]] for c in docs]
    assert kassi_watch(home, str(repo.path), "--once").stdout == ""


def test_a_repo_that_cannot_be_watched_is_refused_with_exit_2(tmp_path: Path) -> None:
    repo = Repo.create(tmp_path / "repo")
    done = kassi_watch(tmp_path / "home", str(repo.path), "--branch", "release", "--once")
    assert done.returncode == 2 and "branch 'release' not found" in done.stderr


def test_a_pushed_commit_gets_a_real_run_and_the_events_carry_its_verdict(tmp_path: Path) -> None:
    repo, home = Repo.create(tmp_path / "repo", demo="sqlite-write-lock"), tmp_path / "home"
    base = repo.tip
    assert kassi_watch(home, str(repo.path), "--once").returncode == 0
    repo.git("merge", "--quiet", "--ff-only", "head")  # the push: the demo's faulty commit lands on main
    done = kassi_watch(home, str(repo.path), "--once", "--json", "--duration", "3", timeout=600)
    events: list[dict[str, Any]] = [json.loads(line) for line in done.stdout.splitlines()]
    watch = [e["event"] for e in events if e["sourcetype"] == "kassi:watch"]
    runs = [e["event"] for e in events if e["sourcetype"] == "kassi:run"]
    phases = [e["event"] for e in events if e["sourcetype"] == "kassi:phase"]
    assert len(watch) == 1 and len(runs) == 1, done.stderr
    outcome, record = watch[0], runs[0]
    assert (outcome["action"], outcome["commit"], outcome["parent"]) == ("ran", repo.tip, base), outcome
    assert outcome["verdict"] in VERDICTS and outcome["verdict"] == record["verdict"]
    assert outcome["run_id"] == record["run_id"] and record["ledger_sealed"] is True
    assert (record["origin"], record["base"], record["commit"]) == ("watch", base, repo.tip)
    assert {p["run_id"] for p in phases} == {record["run_id"]} and all(p["status"] != "running" for p in phases)
    assert {"begin", "judge"} <= {p["phase"] for p in phases}
    # the exit code is the worst outcome's, as `kassi run` would have exited
    assert done.returncode == {"HEALTHY": 0, "THROTTLED": 0, "REGRESSION": 1, "DEGRADING": 1}.get(outcome["verdict"], 3)
