"""The minimal revert end to end as the lead's phases will call it: revert, check, commit head+fix,
record and render; and one real A/B run of base vs head+fix (marked e2e)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kassi_cli import SHORT_LOAD, Kassi
from remedy_support import git

from kassi_app.remedy.checks import check_fix
from kassi_app.remedy.outcome import Remedy, fix_section, verification
from kassi_app.remedy.patch import fix_commit
from kassi_app.remedy.revert import change_hunks, minimal_revert, revert_patch


def test_minimal_revert_from_the_root_cause_and_its_commit(mixed_repo: Path, lock_verdict: dict[str, Any]) -> None:
    cause = lock_verdict["root_cause"]
    revert = minimal_revert(mixed_repo, "base", "head", cause["hunk"], cause["location"])
    assert revert.reverted == ("app.py:112-124",)
    assert revert.kept == ("app.py:1-4", "tools/export_loans.py:1-4")

    branches_before = git(mixed_repo, "show-ref")
    sha = fix_commit(mixed_repo, "head", revert.patch, "kassi: minimal revert of app.py:112-124")
    assert git(mixed_repo, "show-ref") == branches_before  # no ref of the user's repo moved
    assert git(mixed_repo, "rev-parse", f"{sha}^") == git(mixed_repo, "rev-parse", "head")
    assert "BEGIN IMMEDIATE" not in git(mixed_repo, "show", f"{sha}:app.py")
    assert git(mixed_repo, "diff", "base", sha, "--stat").count("|") == 2  # only the harmless hunks remain
    assert len(git(mixed_repo, "worktree", "list").splitlines()) == 1


def test_no_hunk_named_reverts_the_whole_change(mixed_repo: Path) -> None:
    revert = minimal_revert(mixed_repo, "base", "head", None, None)
    assert len(revert.reverted) == 3 and revert.kept == () and "whole change" in revert.reason


def test_added_and_deleted_files_are_reverted(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / "old.py").write_text("A = 1\n", encoding="utf-8")
    (repo / "keep.py").write_bytes(b"A = 0\r\n\x0c\r\n" + b"\r\n" * 8 + b"B = 1")  # CRLF, form feed, no final newline
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "base")
    (repo / "old.py").unlink()
    (repo / "new.py").write_text("C = 1\n", encoding="utf-8")
    (repo / "keep.py").write_bytes(b"A = 0\r\n\x0c\r\n" + b"\r\n" * 8 + b"B = 2")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "head")
    hunks = change_hunks(repo, "HEAD~1", "HEAD")
    assert sorted(h.name for h in hunks) == ["keep.py:8-11", "new.py:1-1", "old.py:0-0"]
    sha = fix_commit(repo, "HEAD", revert_patch(repo, "HEAD", hunks, hunks), "revert all")
    assert git(repo, "diff", "HEAD~1", sha) == ""  # exactly base again, final newline state included


def test_the_remedy_record_and_fix_section(mixed_repo: Path, lock_verdict: dict[str, Any]) -> None:
    cause = lock_verdict["root_cause"]
    revert = minimal_revert(mixed_repo, "base", "head", cause["hunk"], cause["location"])
    healthy = {"class": "HEALTHY", "reason": "no practically significant change",
               "routes": [{"method": "POST", "route": "/api/loans", "class": "HEALTHY",
                           "effects": {"shift_ms": 0.4, "error_rate_head": 0.0}}]}
    remedy = Remedy("revert", revert.patch, revert.reason, revert.reverted, revert.kept,
                    checks=check_fix(mixed_repo, "head", revert.patch), verified=verification(healthy),
                    model={"backend": "ollama", "failure": {"reason": "timeout", "detail": "no answer within 60 s"}},
                    audit={"claims": 58, "unsupported": []})
    record = remedy.to_dict()
    assert record["source"] == "revert" and record["files"] == ["app.py"]
    assert record["verified"]["class"] == "HEALTHY"
    assert record["verified"]["routes"][0]["shift_ms"] == 0.4
    assert record["checks"]["ok"] is True
    text = fix_section(remedy)
    assert text.startswith("## Fix\n")
    assert "fix verified: HEALTHY against base under the same load." in text
    assert "Minimal revert of app.py:112-124 (kept: app.py:1-4, tools/export_loans.py:1-4)" in text
    assert "tests skipped (kassi.toml names no [remedy] test_command)" in text
    assert "Model: timeout: no answer within 60 s — the minimal revert stands." in text
    assert revert.patch.text.rstrip("\n") in text
    unverified = fix_section(Remedy("revert", revert.patch, revert.reason, verified=verification(
        {"class": "REGRESSION", "reason": "still failing", "routes": []})))
    assert "fix NOT verified: REGRESSION against base under the same load (still failing)." in unverified


@pytest.mark.e2e
def test_the_minimal_revert_clears_the_lock_under_the_same_load(mixed_repo: Path, tmp_path: Path,
                                                               lock_verdict: dict[str, Any]) -> None:
    """A real A/B run (real services, real k6) of base vs head+minimal revert: the write-lock errors
    are gone. (The class may be INCONCLUSIVE on a busy machine with this short load; not REGRESSION.)"""
    cause = lock_verdict["root_cause"]
    revert = minimal_revert(mixed_repo, "base", "head", cause["hunk"], cause["location"])
    fixed = fix_commit(mixed_repo, "head", revert.patch, "kassi: minimal revert")
    code, record, stderr = Kassi(tmp_path / "home").run_json("--repo", str(mixed_repo), "--base", "base",
                                                             "--head", fixed, *SHORT_LOAD)
    assert record, stderr
    assert record["verdict"]["class"] != "REGRESSION" and code == record["verdict"]["exit_code"]
    assert record["telemetry"]["head"]["/api/loans"]["5xx"] == 0
    assert record["telemetry"]["head"]["/api/loans"]["requests"] > 0
