"""Minimal revert, hunk localisation and commit bisection on real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from remedy_support import HARMLESS_DOC, git
from unidiff import PatchSet

from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.remedy.checks import check_fix
from kassi_app.remedy.patch import fix_commit
from kassi_app.remedy.revert import (
    ChangeHunk,
    bisect_commits,
    candidates,
    change_hunks,
    hunks_for_cause,
    localise,
    revert_commit,
    revert_patch,
)
from kassi_app.target.worktree import checkout


def _applied(repo: Path, text: str, tmp: Path) -> dict[str, str]:
    """app.py and the export tool of head with ``text`` applied (git apply, in a scratch worktree)."""
    with checkout(repo, "head") as tree:
        patch = tmp / "fix.patch"
        patch.write_text(text, encoding="utf-8")
        subprocess.run(["git", "-C", str(tree), "apply", str(patch)], check=True, capture_output=True, timeout=30)
        return {name: (tree / name).read_text(encoding="utf-8") for name in ("app.py", "tools/export_loans.py")}


def test_the_change_has_a_harmful_and_two_harmless_hunks(mixed_repo: Path) -> None:
    names = [h.name for h in change_hunks(mixed_repo, "base", "head")]
    assert names == ["app.py:1-4", "app.py:112-124", "tools/export_loans.py:1-4"]


def test_minimal_revert_undoes_the_root_cause_hunk_and_keeps_the_harmless_ones(
        mixed_repo: Path, lock_verdict: dict[str, Any], tmp_path: Path) -> None:
    hunks = change_hunks(mixed_repo, "base", "head")
    cause = lock_verdict["root_cause"]
    chosen = hunks_for_cause(hunks, cause["hunk"], cause["location"])
    assert [h.name for h in chosen] == ["app.py:112-124"]

    patch = revert_patch(mixed_repo, "head", hunks, chosen)
    assert patch.files == ("app.py",) and patch.hunks == 1
    assert str(PatchSet(patch.text)) == patch.text  # what kassi prints parses back to itself

    fixed = _applied(mixed_repo, patch.text, tmp_path)
    base_app = git(mixed_repo, "show", "base:app.py") + "\n"
    assert "BEGIN IMMEDIATE" not in fixed["app.py"]
    assert fixed["app.py"] == base_app.replace(*HARMLESS_DOC)  # base's handler, head's docstring
    assert fixed["tools/export_loans.py"].startswith("# Export loans to CSV")

    checks = check_fix(mixed_repo, "head", patch)
    assert checks.ok and checks.applies.status == "passed"
    assert [c.status for c in checks.parses] == ["passed"]


def test_the_frame_locates_the_hunk_when_the_cause_names_none(mixed_repo: Path) -> None:
    hunks = change_hunks(mixed_repo, "base", "head")
    assert [h.name for h in hunks_for_cause(hunks, None, "app.py:116 in create_loan")] == ["app.py:112-124"]
    assert [h.name for h in hunks_for_cause(hunks, None, "/srv/checkout/app.py:116")] == ["app.py:112-124"]
    assert hunks_for_cause(hunks, None, "app.py:60") == []
    assert hunks_for_cause(hunks, None, None) == []


def test_reverting_every_hunk_gives_base_back(mixed_repo: Path, tmp_path: Path) -> None:
    hunks = change_hunks(mixed_repo, "base", "head")
    fixed = _applied(mixed_repo, revert_patch(mixed_repo, "head", hunks, hunks).text, tmp_path)
    assert fixed["app.py"] == git(mixed_repo, "show", "base:app.py") + "\n"
    assert fixed["tools/export_loans.py"] == git(mixed_repo, "show", "base:tools/export_loans.py") + "\n"


def test_a_hunk_of_another_change_is_refused(mixed_repo: Path) -> None:
    hunks = change_hunks(mixed_repo, "base", "head")
    stranger = ChangeHunk("app.py", 1, 2, "app.py", "app.py", ("a\n",), ("b\n",), 1, 1, "")
    with pytest.raises(BadInput, match="not hunks of this change"):
        revert_patch(mixed_repo, "head", hunks, [stranger])


def test_localisation_finds_the_harmful_hunk_by_experiment(mixed_repo: Path, tmp_path: Path) -> None:
    """``clears`` stands in for the lead's A/B run: it applies the candidate revert for real and
    asks whether head+fix still opens the write transaction before signing."""
    hunks = change_hunks(mixed_repo, "base", "head")
    tried: list[tuple[str, ...]] = []

    def clears(subset: tuple[ChangeHunk, ...]) -> bool:
        tried.append(tuple(h.name for h in subset))
        fixed = _applied(mixed_repo, revert_patch(mixed_repo, "head", hunks, subset).text, tmp_path)
        return "BEGIN IMMEDIATE" not in fixed["app.py"]

    found = localise(hunks, clears)
    assert found.hunks is not None and [h.name for h in found.hunks] == ["app.py:112-124"]
    assert tried == [("app.py:1-4",), ("app.py:112-124",)]  # singles in file order, stops at the first
    assert [e.cleared for e in found.experiments] == [False, True]

    preferred = localise(hunks, clears, preferred=hunks_for_cause(hunks, "app.py:112-124", None))
    assert len(preferred.experiments) == 1  # the root cause's hunk is tried first


def _fake(n: int) -> list[ChangeHunk]:
    return [ChangeHunk("f.py", 10 * i, 10 * i + 1, "f.py", "f.py", (), (), 10 * i, 1, "") for i in range(n)]


def test_ddmin_shrinks_to_an_interacting_pair_within_the_budget() -> None:
    """No single hunk clears it; hunks 2 and 5 together do (an interaction)."""
    hunks = _fake(8)
    calls: list[frozenset[int]] = []

    def clears(subset: tuple[ChangeHunk, ...]) -> bool:
        calls.append(frozenset(hunks.index(h) for h in subset))
        return {2, 5} <= calls[-1]

    found = localise(hunks, clears, max_runs=40)
    assert found.hunks is not None and {hunks.index(h) for h in found.hunks} == {2, 5}
    assert len(calls) == len(set(calls)) <= 40  # never the same subset twice

    starved = localise(hunks, clears, max_runs=9)  # 8 singles and all hunks: no budget left to shrink
    assert starved.hunks is not None and len(starved.hunks) == 8 and len(starved.experiments) == 9


def test_nothing_clears_when_the_cause_is_not_in_the_change() -> None:
    found = localise(_fake(3), lambda _subset: False)
    assert found.hunks is None and len(found.experiments) == 4  # 3 singles, then all of them


def test_candidates_are_smallest_first_with_the_root_cause_hunk_leading() -> None:
    a, b, c = _fake(3)
    order = list(candidates([a, b, c], preferred=[c]))
    assert order == [(c,), (a,), (b,), (c, a), (c, b), (a, b), (c, a, b)]


@pytest.fixture
def four_commits(tmp_path: Path) -> tuple[Path, list[str]]:
    """base, then four commits; the third makes the service slow (the marker stands in for it)."""
    repo = tmp_path / "range"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    gap = "".join(f"# line {n}\n" for n in range(10))  # keeps the two settings' hunks apart
    (repo / "app.py").write_text(f"DELAY_MS = 0\n{gap}A = 0\n", encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "base")
    git(repo, "tag", "base")
    shas = []
    for i, (delay, a) in enumerate(((0, 1), (0, 2), (250, 2), (250, 3))):
        (repo / "app.py").write_text(f"DELAY_MS = {delay}\n{gap}A = {a}\n", encoding="utf-8")
        git(repo, "commit", "--quiet", "--all", "-m", f"commit {i + 1}")
        shas.append(git(repo, "rev-parse", "HEAD"))
    return repo, shas


def test_bisection_over_four_commits_finds_the_first_bad_in_two_runs(four_commits: tuple[Path, list[str]]) -> None:
    repo, shas = four_commits
    calls: list[str] = []

    def is_bad(commit: str) -> bool:
        calls.append(commit)
        return "DELAY_MS = 250" in git(repo, "show", f"{commit}:app.py")

    found = bisect_commits(repo, "base", "main", is_bad)
    assert found.first_bad == shas[2]
    assert found.commits == shas
    assert calls == [shas[1], shas[2]] and [bad for _, bad in found.tested] == [False, True]


def test_bisection_can_check_head_first(four_commits: tuple[Path, list[str]]) -> None:
    repo, shas = four_commits
    found = bisect_commits(repo, "base", "main", lambda _commit: False, check_head=True)
    assert found.first_bad is None and found.tested == [(shas[3], False)]
    with pytest.raises(BadInput, match="no commits"):
        bisect_commits(repo, "main", "main", lambda _commit: True)


def test_the_first_bad_commit_is_reverted_on_head_keeping_later_commits(
        four_commits: tuple[Path, list[str]], tmp_path: Path) -> None:
    repo, shas = four_commits
    patch = revert_commit(repo, "main", shas[2])
    assert patch.files == ("app.py",) and "-DELAY_MS = 250\n+DELAY_MS = 0\n" in patch.text
    fixed = fix_commit(repo, "main", patch, "revert the first bad commit")
    text = git(repo, "show", f"{fixed}:app.py")
    assert text.startswith("DELAY_MS = 0\n") and text.endswith("A = 3")  # commit 4's change stays

    with pytest.raises(InfrastructureError, match="conflicts"):
        revert_commit(repo, "main", shas[1])  # A = 1 -> 2, but head has A = 3 on that very line
