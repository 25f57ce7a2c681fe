"""A git worktree per ref: the target runs from a clean checkout, never from the user's tree."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.target import cleanup

GIT_TIMEOUT_S = 60.0


def git(repo: Path, *args: str, timeout: float = GIT_TIMEOUT_S) -> str:
    """Run git in ``repo``; failures become InfrastructureError with git's own message."""
    try:
        out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                             timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InfrastructureError(f"git {args[0]} failed: {exc}") from exc
    if out.returncode != 0:
        raise InfrastructureError(f"git {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


def resolve_ref(repo: Path, ref: str) -> str:
    """The commit id ``ref`` names; BadInput when ``repo`` is no git repo or ``ref`` no commit."""
    if not ref or ref.startswith("-") or any(c.isspace() or ord(c) < 32 for c in ref):
        raise BadInput(f"not a valid git ref: {ref!r}")
    try:
        git(repo, "rev-parse", "--git-dir")
    except InfrastructureError as exc:
        raise BadInput(f"not a git repository: {repo}") from exc
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except InfrastructureError as exc:
        raise BadInput(f"unknown git ref {ref!r} in {repo}") from exc


@contextmanager
def checkout(repo: Path, ref: str) -> Iterator[Path]:
    """Check ``ref`` out (detached) into a temporary worktree; removed on exit, whatever happens."""
    repo = repo.resolve()
    sha = resolve_ref(repo, ref)
    git(repo, "worktree", "prune")
    holder = Path(tempfile.mkdtemp(prefix="kassi-wt-"))
    path = holder / sha[:12]

    def remove() -> None:
        with suppress(InfrastructureError):  # never added or already gone: prune drops the entry
            git(repo, "worktree", "remove", "--force", str(path))
        shutil.rmtree(holder, ignore_errors=True)
        with suppress(InfrastructureError):
            git(repo, "worktree", "prune")

    token = cleanup.register(remove)
    try:
        git(repo, "worktree", "add", "--detach", str(path), sha)
        yield path
    finally:
        cleanup.unregister(token)
        remove()
