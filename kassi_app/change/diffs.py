"""Unified diffs (via unidiff): which lines changed on each side, the hunks, and refusal of unusable diffs."""

from __future__ import annotations

from dataclasses import dataclass, field

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchedFile, PatchSet

from kassi_app.change.model import Hunk
from kassi_app.errors import BadInput


@dataclass
class FileDiff:
    """One file's change: paths on both sides (None when added/deleted) and the changed line numbers."""

    old_path: str | None
    new_path: str | None
    added: set[int] = field(default_factory=set)
    removed: set[int] = field(default_factory=set)
    hunks: list[Hunk] = field(default_factory=list)
    patched: PatchedFile | None = None

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or "?"


def _side(path: str) -> str | None:
    if path == "/dev/null":
        return None
    return path[2:] if path[:2] in ("a/", "b/") else path


def parse_diff(text: str) -> list[FileDiff]:
    """Parse a unified diff; raise BadInput when it is empty, unparsable, binary-only or rename-only."""
    if not text.strip():
        raise BadInput("the diff is empty")
    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        raise BadInput(f"not a unified diff: {exc}") from None
    if not len(patch):
        raise BadInput("not a unified diff: no file headers (--- a/... +++ b/...) found")
    files: list[FileDiff] = []
    binary: list[str] = []
    renamed: list[str] = []
    for pf in patch:
        fd = FileDiff(_side(pf.source_file), _side(pf.target_file), patched=pf)
        if pf.is_binary_file:
            binary.append(fd.path)
            continue
        if not len(pf):
            if pf.is_rename:
                renamed.append(fd.path)
            continue
        for hunk in pf:
            for line in hunk:
                if line.is_added and line.target_line_no is not None:
                    fd.added.add(line.target_line_no)
                elif line.is_removed and line.source_line_no is not None:
                    fd.removed.add(line.source_line_no)
            end = hunk.target_start + max(hunk.target_length, 1) - 1
            fd.hunks.append(Hunk(fd.path, hunk.target_start, end, str(hunk)))
        files.append(fd)
    if not files:
        if binary and not renamed:
            raise BadInput(f"the diff only changes binary files ({', '.join(binary[:3])}): no code to analyse")
        if renamed and not binary:
            raise BadInput(f"the diff only renames files ({', '.join(renamed[:3])}): no code changed")
        raise BadInput("the diff has no text changes (only binary files and renames)")
    return files
