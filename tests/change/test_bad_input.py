"""Unusable input gets one clear line and exit 2, never a traceback; "no endpoint" is an empty answer."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from gitrepo import git

from kassi_app.change import changed_endpoints, changed_endpoints_from_diff
from kassi_app.errors import BadInput
from kassi_app.faces.cli import main

KASSI = Path(sys.executable).with_name("kassi")


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "app.py").write_text(
        'from flask import Flask\napp = Flask(__name__)\n\n\n@app.get("/a")\ndef a():\n    return "a"\n'
    )
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0binary")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    return repo


def test_binary_only_change(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0other")
    git(repo, "commit", "-qam", "logo")
    with pytest.raises(BadInput, match="only changes binary files"):
        changed_endpoints(repo)
    with pytest.raises(BadInput, match="only changes binary files"):
        changed_endpoints_from_diff(git(repo, "diff", "HEAD~1", "HEAD"))


def test_rename_only_change(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    git(repo, "mv", "app.py", "main.py")
    git(repo, "commit", "-qm", "rename")
    with pytest.raises(BadInput, match="only renames files"):
        changed_endpoints(repo)


def test_empty_and_garbage_diffs() -> None:
    with pytest.raises(BadInput, match="empty"):
        changed_endpoints_from_diff("  \n")
    with pytest.raises(BadInput, match="not a unified diff"):
        changed_endpoints_from_diff("hello, this is not a patch\n")


def test_same_commit_is_no_change(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no changes between HEAD and HEAD"):
        changed_endpoints(_repo(tmp_path), "HEAD", "HEAD")


def test_non_git_folder_and_bad_refs(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a git repository"):
        changed_endpoints(tmp_path)
    repo = _repo(tmp_path)
    with pytest.raises(BadInput, match="unknown git ref 'HEAD~1'"):
        changed_endpoints(repo)  # a single commit has no parent
    with pytest.raises(BadInput, match="not a valid git ref"):
        changed_endpoints(repo, "--output=/tmp/pwned", "HEAD")
    assert not Path("/tmp/pwned").exists()


def test_change_touching_no_endpoint_is_an_empty_changeset(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "README.md").write_text("docs\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "docs")
    result = changed_endpoints(repo)
    assert result.endpoints == [] and result.files == ["README.md"]


def run_cli(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, stdin: str = ""
) -> tuple[int, str, str]:
    """The real entry point in-process (a subprocess per call costs seconds of imports here)."""
    monkeypatch.setattr(sys, "argv", ["kassi", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_console_script_prints_json(corpus_repo: Callable[[str], Path]) -> None:
    repo = corpus_repo("express-route-added")
    proc = subprocess.run(
        [str(KASSI), "endpoints", "--repo", str(repo), "--json"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    [entry] = json.loads(proc.stdout)
    assert {k: entry[k] for k in ("method", "route", "change", "framework", "file")} == {
        "method": "DELETE",
        "route": "/api/users/{id}",
        "change": "added",
        "framework": "express",
        "file": "src/routes/users.js",
    }
    assert entry["line"] > 0


def test_cli_modes_and_exit_codes(
    tmp_path: Path,
    corpus_repo: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = corpus_repo("express-route-added")
    code, out, _ = run_cli(
        ["endpoints", "--diff", "-", "--json"], capsys, monkeypatch, git(repo, "diff", "HEAD~1", "HEAD")
    )
    assert code == 0 and json.loads(out)[0]["method"] == "DELETE"

    code, out, err = run_cli(
        ["endpoints", "--repo", str(corpus_repo("express-package-bump")), "--json"], capsys, monkeypatch
    )
    assert code == 0 and json.loads(out) == []
    assert "touches no endpoint" in err

    for args, message in (
        (["--repo", str(tmp_path)], "not a git repository"),
        (["--repo", str(repo), "--base", "no-such-ref"], "unknown git ref"),
        (["--diff", str(tmp_path / "missing.diff")], "cannot read the diff"),
        (["--diff", "-", "--repo", str(repo)], "choose one of"),
    ):
        code, _, err = run_cli(["endpoints", *args], capsys, monkeypatch)
        assert code == 2, err
        assert err.startswith("kassi: ") and message in " ".join(err.split()) and "Traceback" not in err
