"""A candidate fix as a unified diff: written from a scratch worktree by git, carried as unidiff text
that round-trips (what kassi prints parses back to the same files and hunks)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

from kassi_app.errors import InfrastructureError
from kassi_app.git import git, run_git_bytes
from kassi_app.target.worktree import checkout


@dataclass(frozen=True)
class Patch:
    """A fix to apply on top of head: the diff text, the files it touches, how many hunks."""

    text: str
    files: tuple[str, ...]
    hunks: int

    @property
    def empty(self) -> bool:
        return not self.text


def worktree_patch(worktree: Path) -> Patch:
    """Everything changed in ``worktree`` since its checkout, as a round-tripped unified diff.

    git writes the diff (it knows renames, deletions, new files and missing final newlines);
    unidiff parses it and renders it again, and the rendering must parse back to the same shape."""
    git(worktree, "add", "--all")
    raw = git_diff(worktree)
    return from_text(raw)


def fix_commit(repo: Path, head: str, patch: Patch, message: str) -> str:
    """A commit of head with ``patch`` applied, for the A/B machinery to check out like any ref (the
    verify-fix run and each localisation experiment: base vs this commit). Made in a scratch
    worktree; no branch, tag or ref of the user's repo moves. The commit is unreferenced: git keeps it
    at least two weeks (``gc.pruneExpire``), far longer than a run."""
    if patch.empty:
        raise InfrastructureError("an empty fix has nothing to commit")
    with checkout(repo, head) as tree:
        patch_file = tree.parent / "fix.patch"
        patch_file.write_text(patch.text, encoding="utf-8")
        git(tree, "apply", "--index", "--whitespace=nowarn", str(patch_file))
        git(tree, "-c", "user.name=kassi", "-c", "user.email=kassi@kassi.invalid", "-c", "commit.gpgsign=false",
            "commit", "--quiet", "--no-verify", "-m", message)
        return git(tree, "rev-parse", "HEAD")


def git_diff(worktree: Path) -> str:
    """The staged change of ``worktree`` as git prints it (no colour, no external drivers), unstripped:
    a diff whose last line is an empty context line (a lone space) must keep it."""
    out = run_git_bytes(
        worktree, "diff", "--cached", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--"
    )
    return out.decode("utf-8", errors="replace")


def from_text(text: str) -> Patch:
    """Parse a unified diff with unidiff, render it, and check the rendering parses to the same."""
    if not text.strip():
        return Patch("", (), 0)
    try:
        parsed = PatchSet(text)
        rendered = str(parsed)
        again = PatchSet(rendered)
    except UnidiffParseError as exc:
        raise InfrastructureError(f"the fix is not a valid unified diff: {exc}") from None
    if _shape(parsed) != _shape(again):
        raise InfrastructureError("the fix diff does not round-trip through unidiff")
    files = tuple(f.path for f in parsed)
    return Patch(rendered, files, sum(len(f) for f in parsed))


def _shape(patch: PatchSet) -> list[tuple[str, list[tuple[int, int, int, int, list[str]]]]]:
    return [
        (f.path, [(h.source_start, h.source_length, h.target_start, h.target_length,
                   [str(line) for line in h]) for h in f])
        for f in patch
    ]
