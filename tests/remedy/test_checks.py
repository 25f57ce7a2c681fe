"""Checks on candidate fixes in real scratch worktrees: applies, parses (real compilers), the repo's
own tests (kassi.toml ``[remedy] test_command``) with timeout and capped output."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from remedy_support import git

from kassi_app.errors import BadInput
from kassi_app.remedy.checks import MAX_OUTPUT_CHARS, check_fix
from kassi_app.remedy.edits import Edit, apply_edits
from kassi_app.remedy.patch import Patch, from_text, worktree_patch
from kassi_app.target.spec import TargetSpec
from kassi_app.target.worktree import checkout

TOML = '[target]\nstart = "{python} app.py {port}"\n'


def _repo(tmp_path: Path, files: dict[str, str], toml_extra: str = "") -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    for name, text in {**files, "kassi.toml": TOML + toml_extra}.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "head")
    return repo


def _patch(repo: Path, *edits: Edit) -> Patch:
    """A real patch: the edits applied in a scratch worktree and diffed by git."""
    with checkout(repo, "main") as tree:
        apply_edits(edits, {e.file for e in edits}, tree)
        return worktree_patch(tree)


def test_a_good_fix_applies_and_parses(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app.py": "def f():\n    return 1\n", "web/app.js": "function f() { return 1 }\n"})
    patch = _patch(repo, Edit(file="app.py", anchor="return 1", replacement="return 2"),
                   Edit(file="web/app.js", anchor="return 1", replacement="return 2"))
    checks = check_fix(repo, "main", patch)
    assert checks.ok, checks.to_dict()
    by_name = {c.name: c for c in checks.parses}
    assert by_name["parses:app.py"].status == "passed"
    assert by_name["parses:web/app.js"].status == ("passed" if shutil.which("node") else "skipped")
    assert checks.tests is not None and checks.tests.status == "skipped"
    assert "test_command" in checks.tests.reason


def test_a_fix_that_does_not_apply_fails_and_stops_there(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"app.py": "def f():\n    return 1\n"})
    good = _patch(repo, Edit(file="app.py", anchor="return 1", replacement="return 2"))
    stale = from_text(good.text.replace("-    return 1", "-    return 7").replace(" def f():", " def g():"))
    checks = check_fix(repo, "main", stale)
    assert not checks.ok and checks.applies.status == "failed"
    assert "patch does not apply" in checks.applies.output or "patch failed" in checks.applies.output
    assert checks.parses == [] and checks.tests is None

    empty = check_fix(repo, "main", from_text(""))
    assert empty.applies.status == "failed" and empty.applies.reason == "the fix is empty"


def test_a_fix_that_does_not_parse_is_caught_per_language(tmp_path: Path) -> None:
    files = {"app.py": "def f():\n    return 1\n", "web/app.js": "function f() { return 1 }\n",
             "src/App.java": "public class App { int f() { return 1; } }\n", "main.go": "package main\n"}
    repo = _repo(tmp_path, files)
    patch = _patch(
        repo,
        Edit(file="app.py", anchor="return 1", replacement="return (1"),
        Edit(file="web/app.js", anchor="return 1 }", replacement="return 1 }}"),
        Edit(file="src/App.java", anchor="return 1;", replacement="return 1"),
        Edit(file="main.go", anchor="package main\n", replacement="package main\nfunc {\n"),
    )
    checks = check_fix(repo, "main", patch)
    by_name = {c.name: c for c in checks.parses}
    assert checks.applies.status == "passed" and not checks.ok
    assert by_name["parses:app.py"].status == "failed" and "does not compile" in by_name["parses:app.py"].reason
    for name, tool in (("web/app.js", "node"), ("src/App.java", "javac"), ("main.go", "gofmt")):
        result = by_name[f"parses:{name}"]
        if shutil.which(tool):
            assert result.status == "failed" and result.output, result
        else:
            assert result.status == "skipped" and f"{tool} is not installed" in result.reason


@pytest.mark.skipif(shutil.which("javac") is None, reason="javac is not installed")
def test_java_check_is_syntax_only(tmp_path: Path) -> None:
    """An unresolvable import is not a parse failure (the file is checked alone, without classpath)."""
    java = "import org.example.Missing;\npublic class App { int f() { return Missing.x(); } }\n"
    repo = _repo(tmp_path, {"App.java": java})
    checks = check_fix(repo, "main", _patch(repo, Edit(file="App.java", anchor="x()", replacement="y()")))
    assert checks.ok, checks.to_dict()


def test_the_repos_own_tests_run_with_output_captured(tmp_path: Path) -> None:
    test = "import app, sys\nprint('ran the suite')\nsys.exit(0 if app.f() == 2 else 1)\n"
    extra = '[remedy]\ntest_command = "{python} check_app.py"\n'
    repo = _repo(tmp_path, {"app.py": "def f():\n    return 1\n", "check_app.py": test}, extra)
    passing = check_fix(repo, "main", _patch(repo, Edit(file="app.py", anchor="return 1", replacement="return 2")))
    assert passing.tests is not None and passing.tests.status == "passed", passing.to_dict()
    assert "ran the suite" in passing.tests.output
    failing = check_fix(repo, "main", _patch(repo, Edit(file="app.py", anchor="return 1", replacement="return 3")))
    assert failing.tests is not None and failing.tests.status == "failed" and "exit 1" in failing.tests.reason
    assert [c.name for c in failing.failures()] == ["tests"]


def test_a_hanging_test_command_times_out_and_a_chatty_one_is_capped(tmp_path: Path) -> None:
    command = "import time; print('x' * 50000, flush=True); time.sleep(60)"
    extra = f'[remedy]\ntest_command = ["{{python}}", "-c", "{command}"]\n'
    repo = _repo(tmp_path, {"app.py": "A = 1\n"}, extra)
    started = time.monotonic()
    checks = check_fix(repo, "main", _patch(repo, Edit(file="app.py", anchor="A = 1", replacement="A = 2")),
                       test_timeout_s=2)
    assert time.monotonic() - started < 20
    assert checks.tests is not None and checks.tests.status == "failed" and "timed out after 2 s" in checks.tests.reason
    assert MAX_OUTPUT_CHARS < len(checks.tests.output) < MAX_OUTPUT_CHARS + 100
    assert checks.tests.output.startswith("[... ")


def test_kassi_toml_remedy_table() -> None:
    spec = TargetSpec.parse({"target": {"start": "x"}, "remedy": {"test_command": "{python} -m pytest -q"}})
    assert spec.test_command == ("{python}", "-m", "pytest", "-q")
    assert TargetSpec.parse({"target": {"start": "x"}}).test_command is None
    with pytest.raises(BadInput, match=r"remedy\.timeout: unknown key"):
        TargetSpec.parse({"target": {"start": "x"}, "remedy": {"timeout": 3}})
    with pytest.raises(BadInput, match=r"unknown placeholder \{port\}"):
        TargetSpec.parse({"target": {"start": "x"}, "remedy": {"test_command": "curl {port}"}})
    with pytest.raises(BadInput, match=r"remedy\.test_command: empty command"):
        TargetSpec.parse({"target": {"start": "x"}, "remedy": {"test_command": []}})
