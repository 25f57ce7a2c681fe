"""kassi.toml is read as committed at the head ref, not from the user's working tree: a ref with
none, or with a broken one, is refused before anything starts (real git repos, the real session)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kassi_cli import Kassi

from kassi_app.config import RunRequest
from kassi_app.errors import BadInput
from kassi_app.workflow import actions
from kassi_app.workflow.context import RunContext

GOOD = '[target]\nstart = "{python} app.py {port}"\n'


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True,
                   capture_output=True, timeout=30)


def repo_with(tmp_path: Path, base_toml: str | None, head_toml: str | None) -> Path:
    """Two commits; ``None`` means the commit has no kassi.toml."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for toml, tag in ((base_toml, "base"), (head_toml, "head")):
        (repo / "app.py").write_text(f"# {tag}\n")
        spec = repo / "kassi.toml"
        if toml is None:
            spec.unlink(missing_ok=True)
        else:
            spec.write_text(toml)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", tag)
        git(repo, "tag", tag)
    return repo


@pytest.fixture
def begin(tmp_path: Path) -> Iterator[Callable[[Path], dict[str, object]]]:
    ctx = RunContext(home=tmp_path / "home")

    def run(repo: Path) -> dict[str, object]:
        return actions.begin(ctx, RunRequest(mode="ab", repo=str(repo), base="base", head="head"))

    yield run
    ctx.resources.close()
    ctx.resources.store.close()


@pytest.mark.parametrize(("head_toml", "message"), [
    (None, "no kassi.toml at head in"),
    ('[target\nstart = "x"\n', "kassi.toml at head: cannot read: not valid TOML"),
    ('[target]\nstart = "{python} app.py {port}"\nhealth = 5\n', "target.health"),
    ('[target]\nstart = "{python} app.py {nope}"\n', "unknown placeholder {nope}"),
])
def test_head_without_a_usable_spec_is_refused(tmp_path: Path, begin: Callable[[Path], dict[str, object]],
                                               head_toml: str | None, message: str) -> None:
    repo = repo_with(tmp_path, GOOD, head_toml)
    (repo / "kassi.toml").write_text(GOOD)  # a good file in the working tree does not count
    with pytest.raises(BadInput, match=message.replace("{", r"\{").replace("}", r"\}")):
        begin(repo)


def test_spec_comes_from_head_so_a_base_without_one_is_fine(
        tmp_path: Path, begin: Callable[[Path], dict[str, object]]) -> None:
    repo = repo_with(tmp_path, None, GOOD)
    (repo / "kassi.toml").write_text("not toml at all [")  # nor does a broken one
    facts = begin(repo)
    assert facts["mode"] == "ab" and set(facts["refs"]) == {"base", "head"}  # type: ignore[arg-type]


def test_the_cli_refuses_it_before_any_load(kassi: Kassi, tmp_path: Path) -> None:
    repo = repo_with(tmp_path, GOOD, '[target\n')
    code, record, stderr = kassi.run_json("--repo", str(repo), "--base", "base", "--head", "head")
    assert code == 2, stderr
    assert "kassi.toml at head: cannot read: not valid TOML" in record["verdict"]["reason"]
    assert record["load"] == {} and record["ledger"]["sealed"] is True
