"""Replay the endpoint corpus (before/after trees + expected.json) as real git repos and score it.

Used by ``kassi bench endpoints`` and the tests: each case becomes a repo with two commits, and the
changed endpoints found are compared with the expected ones as (method, route, change) triples.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kassi_app.change.analyse import changed_endpoints, changed_endpoints_from_diff
from kassi_app.git import GIT_TIMEOUT_S, diff_text, resolve_ref

Triple = tuple[str, str, str]
_GIT_ID = [
    "-c",
    "user.name=kassi corpus",
    "-c",
    "user.email=corpus@kassi.invalid",
    "-c",
    "commit.gpgsign=false",
]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *_GIT_ID, "-C", str(repo), *args], check=True, capture_output=True, timeout=GIT_TIMEOUT_S)


def _commit_tree(source: Path, repo: Path, message: str) -> None:
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(source, repo, dirs_exist_ok=True)
    (repo / ".git" / "index").unlink(missing_ok=True)  # copies keep mtimes: make git re-read every file
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", message)


def build_repo(case: Path, dest: Path) -> Path:
    """A git repo whose HEAD~1 is the case's ``before`` tree and HEAD its ``after`` tree."""
    dest.mkdir(parents=True, exist_ok=True)
    _git(dest, "init", "-q", "-b", "main")
    _commit_tree(case / "before", dest, "before")
    _commit_tree(case / "after", dest, f"change: {case.name}")
    return dest


def expected(case: Path) -> tuple[set[Triple], bool]:
    """Expected (method, route, change) triples and whether diff-only mode can see them."""
    data = json.loads((case / "expected.json").read_text())
    return {(e["method"], e["route"], e["change"]) for e in data["endpoints"]}, bool(data["diff_only"])


def cases(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if (p / "expected.json").is_file())


@dataclass
class Score:
    """Micro-averaged precision/recall; a case with nothing expected and nothing found counts as right."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    cases: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, want: set[Triple], got: set[Triple]) -> None:
        self.cases += 1
        self.tp += len(want & got)
        self.fp += len(got - want)
        self.fn += len(want - got)
        if want != got:
            self.misses.append(f"{name}: missing {sorted(want - got)} extra {sorted(got - want)}")

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def found(repo: Path, diff_only: bool) -> set[Triple]:
    """What kassi finds for a built case repo, from the repo or from its diff text alone."""
    if diff_only:
        text = diff_text(repo, resolve_ref(repo, "HEAD~1"), resolve_ref(repo, "HEAD"))
        result = changed_endpoints_from_diff(text)
    else:
        result = changed_endpoints(repo)
    return {(e.method, e.route, e.change) for e in result.endpoints}


def score_corpus(corpus: Path) -> tuple[Score, Score]:
    """(repo-mode score over every case, diff-only score over the cases marked applicable)."""
    repo_score, diff_score = Score(), Score()
    with tempfile.TemporaryDirectory(prefix="kassi-corpus-") as tmp:
        for case in cases(corpus):
            want, diff_applicable = expected(case)
            repo = build_repo(case, Path(tmp) / case.name)
            repo_score.add(case.name, want, found(repo, diff_only=False))
            if diff_applicable:
                diff_score.add(case.name, want, found(repo, diff_only=True))
    return repo_score, diff_score
