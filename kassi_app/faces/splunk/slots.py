"""A limit on concurrent kassi runs per search head: ``max_concurrent_runs`` (default 1) lock files.

Each run holds an exclusive ``flock`` on one of N slot files under ``$KASSI_HOME/slots``; the kernel
drops the lock when the process ends, however it ends, so a killed search never leaks a slot (a pid
file would). stdlib ``fcntl`` rather than the ``filelock`` package: it would be one more vendored
dependency for the dozen lines below. Runs never share worktrees or ports whatever the limit: each
has its own temporary worktrees and free ports.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from kassi_app.errors import BadInput


class Busy(BadInput):
    """Every slot is taken: the search fails clearly instead of queueing behind a long run."""


class RunSlot:
    """One held slot; ``release`` (or the process's end) frees it."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def acquire_slot(home: Path, limit: int) -> RunSlot:
    """Take a free slot of ``limit`` under ``home``, or raise Busy."""
    folder = home / "slots"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(limit):
        path = folder / f"run-{index}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return RunSlot(fd, path)
    raise Busy(f"{limit} kassi run(s) already running on this search head (max_concurrent_runs = {limit}): "
               "run the search again when one has ended, or raise max_concurrent_runs on the app's setup page")
