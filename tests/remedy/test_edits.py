"""Structured edits: path rules (including symlinks out of the repo), application, and the unified
diff kassi prints round-tripping through unidiff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from remedy_support import git
from unidiff import PatchSet

from kassi_app.remedy.edits import Edit, EditError, EditSet, apply_edits, check_paths
from kassi_app.remedy.patch import from_text, worktree_patch
from kassi_app.target.worktree import checkout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / "pkg" / "a.py").write_text("X = 1\nY = 2\n", encoding="utf-8")
    (repo / "tail.txt").write_text("no final newline", encoding="utf-8")
    (tmp_path / "secret.py").write_text("KEY = 1\n", encoding="utf-8")
    os.symlink(tmp_path / "secret.py", repo / "pkg" / "out.py")
    os.symlink("a.py", repo / "pkg" / "alias.py")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "head")
    return repo


@pytest.mark.parametrize("name, why", [
    ("/etc/passwd", "not a relative repo path"),
    ("../secret.py", "'..'"),
    ("pkg/../pkg/a.py", "'..'"),
    ("./pkg/a.py", "'..'"),
    ("pkg//a.py", "'..'"),
    ("pkg\\a.py", "not a relative repo path"),
    ("pkg/b.py", "not a file this change touched"),
    ("pkg/out.py", "symlink"),
    ("pkg/alias.py", "symlink"),
])
def test_paths_outside_the_change_or_the_repo_are_refused(repo: Path, name: str, why: str) -> None:
    allowed = {"pkg/a.py", "pkg/out.py", "pkg/alias.py", "pkg/../pkg/a.py", "./pkg/a.py", "pkg//a.py",
               "../secret.py", "/etc/passwd", "pkg\\a.py"}
    with pytest.raises(EditError) as refused:
        check_paths([Edit(file=name, anchor="X", replacement="Y")], allowed, repo)
    assert refused.value.problem == "refused" and why in str(refused.value)
    assert (repo.parent / "secret.py").read_text(encoding="utf-8") == "KEY = 1\n"


def test_edits_apply_in_order_and_render_a_round_tripping_diff(repo: Path) -> None:
    edits = EditSet.model_validate_json(
        '{"rationale": "r", "edits": [{"file": "pkg/a.py", "anchor": "X = 1", "replacement": "X = 10"},'
        ' {"file": "pkg/a.py", "anchor": "X = 10\\nY", "replacement": "X = 10\\nZ = 3\\nY"},'
        ' {"file": "tail.txt", "anchor": "newline", "replacement": "newline at all"}]}')
    with checkout(repo, "main") as tree:
        assert apply_edits(edits.edits, {"pkg/a.py", "tail.txt"}, tree) == ["pkg/a.py", "tail.txt"]
        assert (tree / "pkg" / "a.py").read_text(encoding="utf-8") == "X = 10\nZ = 3\nY = 2\n"
        patch = worktree_patch(tree)
    assert patch.files == ("pkg/a.py", "tail.txt") and patch.hunks == 2
    assert "\\ No newline at end of file" in patch.text
    assert str(PatchSet(patch.text)) == patch.text
    assert from_text(patch.text) == patch


def test_an_anchor_must_occur_exactly_once(repo: Path) -> None:
    with checkout(repo, "main") as tree:
        for anchor, words in (("W = 9", "not found"), (" = ", "found 2 times"), ("", "not found")):
            with pytest.raises(EditError) as failed:
                apply_edits([Edit(file="pkg/a.py", anchor=anchor, replacement="")], {"pkg/a.py"}, tree)
            assert failed.value.problem == "does_not_apply" and words in str(failed.value)
        assert (tree / "pkg" / "a.py").read_text(encoding="utf-8") == "X = 1\nY = 2\n"  # nothing half-written


def test_the_schema_refuses_extra_fields_and_empty_edit_lists() -> None:
    with pytest.raises(ValueError):
        EditSet.model_validate_json('{"rationale": "r", "edits": [{"file": "a", "anchor": "b", "replacement": "c",'
                                    ' "mode": "overwrite"}]}')
    with pytest.raises(ValueError):
        EditSet.model_validate_json('{"rationale": "r", "edits": []}')
    schema = EditSet.model_json_schema()
    assert schema["additionalProperties"] is False and schema["$defs"]["Edit"]["additionalProperties"] is False
    assert set(schema["required"]) == {"edits", "rationale"}  # OpenAI strict mode wants every field required


def test_crlf_files_keep_their_line_ends(tmp_path: Path) -> None:
    repo = tmp_path / "crlf"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / "win.py").write_bytes(b"X = 1\r\nY = 2\r\nZ = 3\r\n")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "head")
    with checkout(repo, "main") as tree:
        apply_edits([Edit(file="win.py", anchor="Y = 2", replacement="Y = 20")], {"win.py"}, tree)
        assert (tree / "win.py").read_bytes() == b"X = 1\r\nY = 20\r\nZ = 3\r\n"
        patch = worktree_patch(tree)
    assert patch.hunks == 1 and "\n X = 1\r\n-Y = 2\r\n+Y = 20\r\n Z = 3\r\n" in patch.text  # one line changed
    assert str(PatchSet(patch.text)) == patch.text
