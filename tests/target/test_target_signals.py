"""Ctrl-C or SIGTERM to kassi: the target's processes are stopped and the worktree is removed."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from processes import pid_alive, wait_until_gone

CHILD = """
import json, sys, time
from pathlib import Path
from kassi_app.target import TargetSpec, checkout, start_target
repo = Path(sys.argv[1])
with checkout(repo, "HEAD") as tree, start_target(TargetSpec.load(repo), tree, lambda *a: None) as t:
    print(json.dumps({"tree": str(tree), "pids": [p.pid for p in t.processes.values()]}), flush=True)
    time.sleep(60)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_to_kassi_leaves_nothing_behind(tiny_repo: Path, sig: signal.Signals) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tiny_repo)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], 30)
        assert ready, "the child never reported its target (30 s)"
        started = json.loads(child.stdout.readline())
        tree, pids = Path(started["tree"]), started["pids"]
        assert tree.is_dir() and all(pid_alive(p) for p in pids)
        child.send_signal(sig)
        child.wait(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
    assert wait_until_gone(pids, 5)
    assert not tree.exists()
    listed = subprocess.run(["git", "-C", str(tiny_repo), "worktree", "list"], capture_output=True,
                            text=True, check=True, timeout=30).stdout
    assert str(tree) not in listed
