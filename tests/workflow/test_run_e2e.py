"""End to end through the real CLI: real git worktrees, real services, real k6, real proxy.

The write-lock demo's short A/B run is asserted in test_fix_e2e.py (one `kassi run --fix` whose record
answers the plain run's checks too; the full-length runs are `kassi bench accuracy`). Here, the ways a
run must fail: bad input before any load (exit 2) and infrastructure failing mid-run
(INCONCLUSIVE, exit 3), each ending with a sealed ledger that verifies and nothing left running.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from kassi_cli import SHORT_LOAD, Kassi
from processes import wait_until_gone
from stdlib_app import DYING_APP

from kassi_app.demos import init_demo

pytestmark = pytest.mark.e2e


def _assert_no_worktrees(repo: Path) -> None:
    """kassi adds its worktrees to the repo under test: after a run only the repo itself is listed
    (a worktree deleted from disk but still registered would be listed too, as prunable)."""
    worktrees = subprocess.run(["git", "-C", str(repo), "worktree", "list", "--porcelain"], capture_output=True,
                               text=True, check=True, timeout=30)
    listed = [line for line in worktrees.stdout.splitlines() if line.startswith("worktree ")]
    assert listed == [f"worktree {repo.resolve()}"], worktrees.stdout


def _assert_sealed_and_clean(kassi: Kassi, record: dict[str, object], repo: Path) -> None:
    ledger = record["ledger"]
    assert isinstance(ledger, dict) and ledger["sealed"] is True
    verified = kassi("verify", str(record["run_id"]), "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    _assert_no_worktrees(repo)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--base", "no-such-ref"), "unknown git ref 'no-such-ref'"),
        (("--base", "--upload-pack=evil"), "not a valid git ref"),
        (("--segments", "0"), "segments must be at least 1"),
    ],
)
def test_bad_input_is_refused_before_any_load(kassi: Kassi, tmp_path: Path, args: tuple[str, ...],
                                              message: str) -> None:
    repo = init_demo("healthy-refactor", tmp_path / "demo").path
    code, record, stderr = kassi.run_json("--repo", str(repo), *args)
    assert code == 2, stderr
    assert message in record["verdict"]["reason"]
    assert record["verdict"]["class"] == "INCONCLUSIVE"
    assert record["load"] == {}
    _assert_sealed_and_clean(kassi, record, repo)


def test_not_a_git_repo_and_disallowed_host(kassi: Kassi, tmp_path: Path) -> None:
    code, record, _ = kassi.run_json("--repo", str(tmp_path))
    assert code == 2 and "not a git repository" in record["verdict"]["reason"]
    code, record, _ = kassi.run_json("--url", "http://api.example.com", "--endpoint", "GET /x")
    assert code == 2 and "--allow-host api.example.com" in record["verdict"]["reason"]
    usage = kassi("run", "--repo", str(tmp_path), "--rounds", "lots")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


SPEC = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/api/items": {"get": {"responses": {"200": {"description": "ok"}}}}}}


def _dying_repo(path: Path) -> Path:
    path.mkdir()
    (path / "app.py").write_text(DYING_APP)
    (path / "openapi.json").write_text(json.dumps(SPEC))

    def commit(die_after: int, message: str) -> None:
        (path / "kassi.toml").write_text(textwrap.dedent(f'''
            [target]
            start = "{{python}} app.py {{port}}"
            health = "/health"
            openapi_file = "openapi.json"
            [target.env]
            DIE_AFTER = "{die_after}"
        '''))
        subprocess.run(["git", "-C", str(path), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm",
                        message], check=True)

    subprocess.run(["git", "init", "-q", str(path)], check=True)
    commit(0, "base")
    commit(40, "head: crash after 40 requests")
    return path


def test_target_dying_mid_run_is_inconclusive(kassi: Kassi, tmp_path: Path) -> None:
    repo = _dying_repo(tmp_path / "dying")
    code, record, stderr = kassi.run_json("--repo", str(repo), *SHORT_LOAD, "--rounds", "2")
    assert code == 3, stderr
    reason = record["verdict"]["reason"]
    assert "target died mid-run" in reason and "out of file handles" in reason
    assert record["telemetry"]["base"]["/api/items"]["requests"] > 0  # what was collected is kept
    _assert_sealed_and_clean(kassi, record, repo)


def test_k6_crashing_is_inconclusive(kassi: Kassi, tmp_path: Path) -> None:
    # Stands in for a k6 binary that crashes: it passes `k6 inspect` through to the real binary and
    # dies on `k6 run`, the way a k6 panic would.
    from kassi_app.load.k6bin import k6_binary

    real = k6_binary()
    fake = tmp_path / "k6"
    fake.write_text(f'#!/bin/sh\nif [ "$1" = run ]; then echo "panic: runtime error" >&2; exit 2; fi\n'
                    f'exec "{real}" "$@"\n')
    fake.chmod(0o755)
    repo = init_demo("healthy-refactor", tmp_path / "demo").path
    code, record, stderr = kassi.run_json("--repo", str(repo), *SHORT_LOAD, KASSI_K6=str(fake))
    assert code == 3, stderr
    assert "panic: runtime error" in record["verdict"]["reason"]
    _assert_sealed_and_clean(kassi, record, repo)


def _descendants(pid: int) -> dict[int, str]:
    """The live processes under ``pid`` (from /proc), with their command lines."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                try:
                    found[child] = (Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                frontier.append(child)
    return found


def test_sigterm_during_a_run_stops_the_services(kassi: Kassi, tmp_path: Path) -> None:
    """The services start on an action's worker thread; SIGTERM to kassi must still stop them, and the
    run still ends the governed way: INCONCLUSIVE "interrupted", its record written, its ledger sealed."""
    import signal
    import time

    repo = init_demo("healthy-outside-endpoint", tmp_path / "demo").path
    child = subprocess.Popen([*kassi.argv("run", "--repo", str(repo), "--rounds", "3")], env=kassi.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        services: dict[int, str] = {}
        while time.monotonic() < deadline and len(services) < 2:
            services = {p: c for p, c in _descendants(child.pid).items() if "flask" in c}
            time.sleep(0.2)
        assert len(services) == 2, "base and head services never started"
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if child.poll() is None:
            child.kill()
    assert wait_until_gone(services, 10), services
    _assert_no_worktrees(repo)
    (run_dir,) = (kassi.home / "runs").iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["verdict"]["class"] == "INCONCLUSIVE" and "interrupted" in record["verdict"]["reason"]
    verified = kassi("verify", run_dir.name)
    assert verified.returncode == 0, verified.stdout
