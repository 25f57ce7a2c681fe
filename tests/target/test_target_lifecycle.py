"""Worktrees per ref and the service lifecycle, with real git, real processes and real sockets."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx2
import pytest
from processes import pid_alive

from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.target import TargetSpec, checkout, start_target


class Lines:
    """Collects on_line calls from the reader threads."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, float, str]] = []
        self._lock = threading.Lock()

    def __call__(self, name: str, stream: str, at: float, text: str) -> None:
        with self._lock:
            self.items.append((name, stream, at, text))

    def texts(self) -> list[str]:
        with self._lock:
            return [t for *_, t in self.items]


def worktrees(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True,
                          check=True, timeout=30).stdout


def test_checkout_gives_each_ref_its_tree_and_removes_it(tiny_repo: Path) -> None:
    with checkout(tiny_repo, "base") as base, checkout(tiny_repo, "HEAD") as head:
        assert "hello from base" in (base / "server.py").read_text()
        assert "hello from head" in (head / "server.py").read_text()
        assert str(base) in worktrees(tiny_repo)
    assert not base.exists() and not head.exists()
    assert str(base) not in worktrees(tiny_repo)


def test_checkout_cleans_up_when_the_body_fails(tiny_repo: Path) -> None:
    with pytest.raises(RuntimeError), checkout(tiny_repo, "base") as tree:
        raise RuntimeError("crash inside")
    assert not tree.exists()


@pytest.mark.parametrize("ref", ["no-such-ref", "--output=/tmp/x", "base bad", ""])
def test_bad_refs_are_refused(tiny_repo: Path, ref: str) -> None:
    with pytest.raises(BadInput), checkout(tiny_repo, ref):
        pass


def test_not_a_repo_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a git repository"), checkout(tmp_path, "HEAD"):
        pass


def test_target_and_its_extra_process_start_answer_and_stop(tiny_repo: Path) -> None:
    lines = Lines()
    spec = TargetSpec.load(tiny_repo)
    with checkout(tiny_repo, "HEAD") as tree, start_target(spec, tree, lines) as target:
        helper = target.processes["helper"]
        answer = httpx2.get(f"{target.base_url}/api/x", timeout=5).text
        assert answer == f"hello from head /api/x peer at {helper.port}"
        assert target.port != helper.port and target.alive()
        assert target.exit_status() == {"helper": None, "target": None}
        pids = [p.pid for p in target.processes.values()]
    assert not any(pid_alive(pid) for pid in pids)
    names = {(name, stream) for name, stream, _, _ in lines.items}
    assert {("target", "stdout"), ("target", "stderr"), ("helper", "stdout")} <= names
    assert "request /api/x" in lines.texts()
    assert all(abs(at - time.time()) < 120 for _, _, at, _ in lines.items)


def _with_env(spec: TargetSpec, **env: str) -> TargetSpec:
    target = dataclasses.replace(spec.target, env={**spec.target.env, **env}, ready_timeout_s=2.0)
    return dataclasses.replace(spec, target=target)


def test_service_that_exits_early_is_named_with_its_output(tiny_repo: Path) -> None:
    spec = _with_env(TargetSpec.load(tiny_repo), MODE="crash")
    with checkout(tiny_repo, "HEAD") as tree, pytest.raises(InfrastructureError) as info, \
            start_target(spec, tree, Lines()):
        pass
    text = str(info.value)
    assert "target failed to start" in text and "status 3" in text
    assert "boom: cannot open the database" in text


def test_service_that_never_gets_healthy_times_out(tiny_repo: Path) -> None:
    spec = _with_env(TargetSpec.load(tiny_repo), MODE="sick")
    with checkout(tiny_repo, "HEAD") as tree, pytest.raises(InfrastructureError) as info, \
            start_target(spec, tree, Lines()):
        pass
    assert "never became healthy" in str(info.value) and "HTTP 500" in str(info.value)


def test_missing_command_is_an_infrastructure_error(tiny_repo: Path) -> None:
    spec = TargetSpec.parse({"target": {"start": "/no/such/binary {port}"}})
    with checkout(tiny_repo, "HEAD") as tree, pytest.raises(InfrastructureError, match="cannot start"), \
            start_target(spec, tree, Lines()):
        pass


def test_a_target_dying_mid_run_is_detected(tiny_repo: Path) -> None:
    spec = TargetSpec.load(tiny_repo)
    with checkout(tiny_repo, "HEAD") as tree, start_target(spec, tree, Lines()) as target:
        os.kill(target.processes["target"].pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while target.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not target.alive()
        assert target.exit_status()["target"] == -signal.SIGKILL
        with pytest.raises(InfrastructureError, match="target died mid-run: target was killed by signal 9"):
            target.check_alive()
