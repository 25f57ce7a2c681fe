"""Stopping a service that will not stop: SIGTERM to its process group, SIGKILL after the grace.

Real processes: a leader that forks a grandchild (as uvicorn --workers or gunicorn do), each of which
may ignore SIGTERM. Nothing of the group may outlive ``stop``.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from processes import pid_alive, wait_until_gone

from kassi_app.target.process import ManagedProcess

# The leader forks once; both print their pid, then idle. IGNORE says who ignores SIGTERM.
SERVICE = """
import os, signal, sys, time
ignore = sys.argv[1]
if os.fork() == 0:
    if ignore in ("grandchild", "both"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("grandchild", os.getpid(), flush=True)
else:
    if ignore in ("leader", "both"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("leader", os.getpid(), flush=True)
while True:
    time.sleep(0.1)
"""


class Pids:
    def __init__(self) -> None:
        self.by_role: dict[str, int] = {}
        self._ready = threading.Condition()

    def __call__(self, name: str, stream: str, at: float, text: str) -> None:
        role, _, pid = text.partition(" ")
        with self._ready:
            self.by_role[role] = int(pid)
            self._ready.notify_all()

    def wait_for(self, roles: set[str], timeout_s: float = 20) -> dict[str, int]:
        with self._ready:
            assert self._ready.wait_for(lambda: roles <= set(self.by_role), timeout_s), self.by_role
            return dict(self.by_role)


@pytest.mark.parametrize("ignore", ["both", "grandchild", "leader"])
def test_stop_escalates_to_sigkill_for_the_whole_group(tmp_path: Path, ignore: str) -> None:
    pids = Pids()
    service = ManagedProcess("svc", [sys.executable, "-c", SERVICE, ignore], tmp_path, {}, 0, pids)
    try:
        started = pids.wait_for({"leader", "grandchild"})
        assert all(pid_alive(pid) for pid in started.values())
        grace_s = 0.5
        began = time.monotonic()
        service.stop(grace_s=grace_s)
        took_s = time.monotonic() - began
    finally:
        if service.alive():
            service.stop(grace_s=0.1)
    assert wait_until_gone(started.values(), 5), started
    # something ignored SIGTERM, so the grace ran out before the SIGKILL: never sooner
    assert took_s >= grace_s
    leader_status = -signal.SIGKILL if ignore in ("both", "leader") else -signal.SIGTERM
    assert service.exit_status == leader_status


def test_stop_without_escalation_when_sigterm_is_obeyed(tmp_path: Path) -> None:
    pids = Pids()
    service = ManagedProcess("svc", [sys.executable, "-c", SERVICE, "none"], tmp_path, {}, 0, pids)
    started = pids.wait_for({"leader", "grandchild"})
    service.stop(grace_s=30)  # a SIGKILL would only come after 30 s: the test's timeout would tell
    assert wait_until_gone(started.values(), 5)
    assert service.exit_status == -signal.SIGTERM
