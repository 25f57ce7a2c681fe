"""Process checks the lifecycle, signal and end-to-end tests share."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_gone(pids: Iterable[int], timeout_s: float) -> bool:
    """True once none of ``pids`` runs; False if some still run after ``timeout_s``."""
    pids = list(pids)
    deadline = time.monotonic() + timeout_s
    while any(pid_alive(p) for p in pids):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True
