"""A model-proposed fix: what the model is shown (evidence, the change's hunks, the functions that
enclose them at head), its structured edits, and their application and parse check in a scratch
worktree. Any failure is a ``ModelFailure`` with the reason; the caller keeps the minimal revert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kassi_app.change.analyse import tree_of
from kassi_app.errors import InfrastructureError
from kassi_app.git import git
from kassi_app.remedy.backends import ModelFailure, ModelSettings, ask
from kassi_app.remedy.checks import parse_check
from kassi_app.remedy.edits import EditError, EditSet, apply_edits
from kassi_app.remedy.patch import Patch, worktree_patch
from kassi_app.remedy.revert import ChangeHunk
from kassi_app.target.worktree import checkout

MAX_FUNCTION_LINES = 200
MAX_PROMPT_CHARS = 60_000

SYSTEM = (
    "You fix performance regressions and server errors that a code change introduced. You are given "
    "the measured evidence, the root cause kassi found, the hunks of the change and the functions that "
    "enclose them at head. Answer only with edits: each names a file of the change, an anchor copied "
    "exactly from that file at head (it must occur exactly once), and its replacement. Keep the "
    "change's intent where you can; remove the cause. Do not touch other files."
)


@dataclass(frozen=True)
class FixContext:
    """What the model sees. ``evidence`` is the verdict's facts with their sources."""

    root_cause: str
    evidence: tuple[str, ...]
    hunks: tuple[ChangeHunk, ...]
    functions: Mapping[str, str]

    def prompt(self) -> str:
        parts = ["## Root cause", self.root_cause, "", "## Evidence", *(f"- {e}" for e in self.evidence), "",
                 "## The change's hunks (base..head)"]
        parts += [f"### {h.name}\n```diff\n{h.text.rstrip()}\n```" for h in self.hunks]
        parts += ["", "## Enclosing functions at head"]
        parts += [f"### {name}\n```\n{text.rstrip()}\n```" for name, text in self.functions.items()]
        text = "\n".join(parts)
        return text if len(text) <= MAX_PROMPT_CHARS else text[:MAX_PROMPT_CHARS] + "\n[... cut ...]"


def fix_context(repo: Path, head: str, verdict: Mapping[str, Any], hunks: Sequence[ChangeHunk]) -> FixContext:
    """The context for ``verdict`` (a ``Verdict.to_dict()``): its root cause and evidence, the hunks,
    and each function at head whose lines a hunk touches (found by kassi's own language extractors)."""
    cause = verdict.get("root_cause") or {}
    evidence = tuple(f"{e['fact']} (source: {e['source']})" for e in verdict.get("evidence", []))
    files = {}
    for name in sorted({h.file for h in hunks if h.new_path}):
        try:
            files[name] = git(repo, "show", f"{head}:{name}")
        except InfrastructureError:
            continue
    functions: dict[str, str] = {}
    for func in tree_of(files).funcs.values():
        first, last = func.span
        touched = any(h.file == func.file and h.start <= last and first <= h.end for h in hunks)
        if touched and last - first < MAX_FUNCTION_LINES and func.file in files:
            lines = files[func.file].splitlines()[first - 1 : last]
            functions[f"{func.file}:{first}-{last} {func.name}"] = "\n".join(lines)
    return FixContext(str(cause.get("summary") or "not identified"), evidence, tuple(hunks), functions)


@dataclass(frozen=True)
class ModelFix:
    """The model's edits, rationale and the patch they make (applies to head, parses)."""

    edits: EditSet
    patch: Patch


def propose_fix(settings: ModelSettings, repo: Path, head: str, context: FixContext,
                allowed: Sequence[str] | None = None) -> ModelFix:
    """Ask the model, apply its edits to a scratch worktree of ``head`` (only ``allowed`` files; by
    default the files the change's hunks touch at head), check every edited file parses, and render
    the patch. Raises ModelFailure."""
    answer = ask(settings, SYSTEM, context.prompt(), EditSet)
    if allowed is None:
        allowed = sorted({h.file for h in context.hunks if h.new_path})
    with checkout(repo, head) as tree:
        try:
            written = apply_edits(answer.edits, allowed, tree)
        except EditError as exc:
            raise ModelFailure(exc.problem, str(exc)) from None
        broken = [c for c in (parse_check(tree, name) for name in written) if c.status == "failed"]
        if broken:
            raise ModelFailure("does_not_parse", "; ".join(c.reason for c in broken))
        patch = worktree_patch(tree)
    if patch.empty:
        raise ModelFailure("does_not_apply", "the edits change nothing")
    return ModelFix(answer, patch)
