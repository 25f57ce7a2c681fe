"""Structured edits (what a model must answer with): the schema, the path rules, and their
application to a scratch worktree.

An edit names a file, an exact anchor text that occurs once in it, and the replacement. Edits may
only touch files the change touched, inside the repo: no absolute paths, no ``..``, no path that a
symlink leads out of the worktree (or onto another file)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EditProblem = Literal["refused", "does_not_apply"]


class Edit(BaseModel):
    """Replace ``anchor`` (exact text, occurring exactly once in ``file``) with ``replacement``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(description="repo-relative path of a file the change touched, with / separators")
    anchor: str = Field(description="exact text copied from the file at head; must occur exactly once")
    replacement: str = Field(description="the text that replaces the anchor")


class EditSet(BaseModel):
    """A model's answer: the edits, in order, and one sentence on why they fix the cause."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    edits: list[Edit] = Field(min_length=1, max_length=20)
    rationale: str = Field(description="one or two sentences: how these edits remove the root cause")


class EditError(Exception):
    """An edit kassi will not apply: ``problem`` says which kind, the message says why."""

    def __init__(self, problem: EditProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def check_paths(edits: Sequence[Edit], allowed: Collection[str], root: Path) -> None:
    """Refuse (EditError "refused") any edit outside ``allowed`` (the change's files) or outside
    ``root`` (the worktree the edits will be applied to)."""
    base = root.resolve()
    for edit in edits:
        name = edit.file
        pure = PurePosixPath(name)
        if not name or "\\" in name or "\0" in name or pure.is_absolute() or Path(name).is_absolute():
            raise EditError("refused", f"{name!r}: not a relative repo path")
        if any(part in ("..", ".") for part in name.split("/")) or "" in name.split("/"):
            raise EditError("refused", f"{name!r}: '..', '.' and empty path segments are not allowed")
        if name not in allowed:
            raise EditError("refused", f"{name!r}: not a file this change touched ({', '.join(sorted(allowed))})")
        if (base / name).resolve() != base / name:
            raise EditError("refused", f"{name!r}: a symlink leads elsewhere (outside the repo or to another file)")


def apply_edits(edits: Sequence[Edit], allowed: Collection[str], root: Path) -> list[str]:
    """Check the paths, then apply the edits in order to the files under ``root``; returns the files
    written. Every anchor must occur exactly once in the file as the earlier edits left it."""
    check_paths(edits, allowed, root)
    texts: dict[str, str] = {}
    for edit in edits:
        if edit.file not in texts:
            try:  # bytes, not read_text: universal newlines would turn every CRLF of the file into LF
                texts[edit.file] = (root / edit.file).read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise EditError("does_not_apply", f"{edit.file}: cannot read: {exc}") from None
        count = texts[edit.file].count(edit.anchor) if edit.anchor else 0
        if count != 1:
            where = "not found" if count == 0 else f"found {count} times"
            raise EditError("does_not_apply", f"{edit.file}: anchor {where}: {edit.anchor[:80]!r}")
        texts[edit.file] = texts[edit.file].replace(edit.anchor, edit.replacement)
    for name, text in texts.items():
        (root / name).write_bytes(text.encode("utf-8"))
    return sorted(texts)
