"""A phase's deadline stops its work: real targets, real k6, a real governed run in this process.

Each test shortens one phase's deadline (the graph's ``PHASES``) below what its work needs: a target
that never becomes healthy, a k6 block longer than ``drive_load`` may take. When the run returns,
nothing it started may still run (no child process of this test, no worker thread in the phase),
the verdict is INCONCLUSIVE naming the phase, run.json is written and the ledger is sealed.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from processes import pid_alive
from stdlib_app import DYING_APP

from kassi_app.config import LoadOverrides, RunRequest
from kassi_app.ledger.chain import LEDGER_FILE
from kassi_app.ledger.verify import verify_ledger
from kassi_app.workflow import graph
from kassi_app.workflow.machine import WORKER_NAME
from kassi_app.workflow.runner import RunOutcome, run_request
from kassi_app.workflow.runs import read_entries

KEY = "phase-deadline-seal-key"
SPEC = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
        "paths": {"/api/items": {"get": {"responses": {"200": {"description": "ok"}}}}}}
NEVER_READY = textwrap.dedent('''
    """Writes its pid, then never listens: a service that never becomes healthy."""
    import os, pathlib, time
    pathlib.Path(os.environ["PID_DIR"], str(os.getpid())).write_text("started")
    while True:
        time.sleep(1)
''')


def _repo(path: Path, app: str, env: dict[str, str], ready_timeout_s: float = 20.0) -> Path:
    """A repo whose head changes only kassi.toml (so the load is the spec's routes, app-wide)."""
    path.mkdir()
    (path / "app.py").write_text(app)
    (path / "openapi.json").write_text(json.dumps(SPEC))
    subprocess.run(["git", "init", "-q", str(path)], check=True, timeout=30)
    for message in ("base", "head"):
        table = "".join(f'{name} = "{value}"\n' for name, value in env.items())
        (path / "kassi.toml").write_text(
            f'# {message}\n[target]\nstart = "{{python}} app.py {{port}}"\nhealth = "/health"\n'
            f'openapi_file = "openapi.json"\nready_timeout_s = {ready_timeout_s}\n[target.env]\n{table}')
        subprocess.run(["git", "-C", str(path), "add", "-A"], check=True, timeout=30)
        subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm",
                        message], check=True, timeout=30)
    return path


def _deadline(monkeypatch: pytest.MonkeyPatch, phase: str, seconds: float) -> None:
    phases = tuple(replace(p, timeout_s=seconds) if p.name == phase else p for p in graph.PHASES)
    monkeypatch.setattr(graph, "PHASES", phases)


def _children() -> list[str]:
    """This process's live children (pid and command), read from /proc: reaped ones are gone."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.append(f"{stat.parent.name} {text[text.index('(') + 1:text.rindex(')')]}")
    return found


def _assert_stopped_and_sealed(outcome: RunOutcome, home: Path, phase: str, seconds: float) -> None:
    assert _children() == [], "a process the run started outlived it"
    assert [t.name for t in threading.enumerate() if t.name == f"{WORKER_NAME}:{phase}"] == []
    reason = f"{phase} overran its {seconds:g}s deadline and was stopped"
    verdict = outcome.record["verdict"]
    assert verdict["class"] == "INCONCLUSIVE" and reason in verdict["reason"], verdict["reason"]
    assert outcome.exit_code == 3
    run_dir = home / "runs" / outcome.run_id
    assert reason in json.loads((run_dir / "run.json").read_text())["verdict"]["reason"]
    assert verify_ledger(run_dir / LEDGER_FILE, KEY.encode()) == []
    steps = {e["action"]: e["outcome"] for e in read_entries(run_dir / LEDGER_FILE) if e["kind"] == "step"}
    assert steps[phase]["status"] == "failed" and steps[phase]["error"] == reason
    assert list(steps)[-2:] == ["abort", "conclude"]


def test_a_target_that_never_becomes_ready_is_stopped_at_the_phase_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KASSI_SEAL_KEY", KEY)
    pids = tmp_path / "pids"
    pids.mkdir()
    repo = _repo(tmp_path / "repo", NEVER_READY, {"PID_DIR": str(pids)}, ready_timeout_s=600)
    _deadline(monkeypatch, "start_targets", 3)
    outcome = run_request(RunRequest(repo=str(repo), base="HEAD~1", head="HEAD"), home=tmp_path / "home")
    started = [int(p.name) for p in pids.iterdir()]
    assert len(started) == 1  # the base service; the head one never started
    assert not pid_alive(started[0]), "the never-ready service outlived its phase"
    _assert_stopped_and_sealed(outcome, tmp_path / "home", "start_targets", 3)


def test_a_k6_block_longer_than_the_load_deadline_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KASSI_SEAL_KEY", KEY)
    repo = _repo(tmp_path / "repo", DYING_APP, {"DIE_AFTER": "0"})
    _deadline(monkeypatch, "drive_load", 4)
    load = LoadOverrides(low_duration_s=8, high_duration_s=8, rounds=1)  # one block: 16 s of load
    outcome = run_request(RunRequest(repo=str(repo), base="HEAD~1", head="HEAD", load=load), home=tmp_path / "home")
    _assert_stopped_and_sealed(outcome, tmp_path / "home", "drive_load", 4)
    k6_dirs = list((tmp_path / "home" / "runs" / outcome.run_id).glob("k6-*"))
    assert k6_dirs, "no k6 block started: the deadline did not cut one short"
