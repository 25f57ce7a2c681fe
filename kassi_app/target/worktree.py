"""A git worktree per ref: the target runs from a clean checkout, never from the user's tree."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kassi_app.errors import InfrastructureError
from kassi_app.git import git, resolve_ref
from kassi_app.target import cleanup


@contextmanager
def checkout(repo: Path, ref: str) -> Iterator[Path]:
    """Check ``ref`` out (detached) into a temporary worktree; removed on exit, whatever happens."""
    repo = repo.resolve()
    sha = resolve_ref(repo, ref)
    holder = Path(tempfile.mkdtemp(prefix="kassi-wt-"))
    path = holder / sha[:12]

    def remove() -> None:
        # Only kassi's own worktree is removed: no `git worktree prune`, which would also drop the
        # user's stale worktree entries.
        with suppress(InfrastructureError):  # never added, or already gone
            git(repo, "worktree", "remove", "--force", str(path))
        shutil.rmtree(holder, ignore_errors=True)

    token = cleanup.register(remove)
    try:
        git(repo, "worktree", "add", "--detach", str(path), sha)
        yield path
    finally:
        cleanup.unregister(token)
        remove()
