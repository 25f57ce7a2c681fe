"""The watcher's memory between polls: the last commit of the branch whose outcome is recorded, and
a lock so only one watcher at a time works on a repo.

The checkpoint is one small JSON file, replaced atomically (write a temporary file, fsync,
``os.replace``), so a crash leaves either the old or the new checkpoint, never half of one.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from kassi_app.errors import InfrastructureError

_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True)
class Checkpoint:
    """``tip``: the newest commit of ``branch`` of ``repo`` whose outcome has been recorded."""

    repo: str
    branch: str
    tip: str


class CheckpointFile:
    """The checkpoint of one watch (one input stanza, or one ``kassi watch`` of a repo and branch)."""

    def __init__(self, folder: Path, name: str) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "watch"
        self.path = folder / f"{safe}.json"

    def load(self, repo: str, branch: str) -> Checkpoint | None:
        """The checkpoint of ``repo``/``branch``; None when there is none yet, or when it was kept for
        another repo or branch (the input was edited): the next poll records a new baseline."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise InfrastructureError(f"unreadable watch checkpoint {self.path}: {exc}") from None
        if not isinstance(data, dict) or data.get("repo") != repo or data.get("branch") != branch:
            return None
        tip = data.get("tip")
        if not isinstance(tip, str) or not _COMMIT_ID.fullmatch(tip):
            raise InfrastructureError(f"watch checkpoint {self.path} holds no commit id")
        return Checkpoint(repo, branch, tip)

    def save(self, checkpoint: Checkpoint) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(checkpoint), handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


@contextmanager
def repo_lock(path: Path) -> Iterator[bool]:
    """Hold the lock file ``path`` for the ``with`` block; yields False at once (without waiting)
    when another process holds it. ``flock`` rather than a lock-file library: the kernel drops
    the lock when its holder dies, so a killed watcher never leaves a stale lock behind (POSIX
    only, like the process-group handling kassi's runs rely on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
