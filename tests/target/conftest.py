"""A real git repo holding a tiny stdlib service and its kassi.toml (two commits: base, head)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
TOML = """
[target]
start = "{python} server.py {port}"
ready_timeout_s = 10
[target.env]
PEER = "peer at {helper_port}"
[[target.process]]
name = "helper"
start = "{python} server.py {port}"
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          timeout=30).stdout.strip()


@pytest.fixture(scope="session")
def tiny_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("tiny")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.invalid")
    git(repo, "config", "user.name", "t")
    shutil.copy(HERE / "tiny_server.py", repo / "server.py")
    (repo / "kassi.toml").write_text(TOML)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "tag", "base")
    server = repo / "server.py"
    server.write_text(server.read_text().replace("hello from base", "hello from head"))
    git(repo, "commit", "-q", "-am", "head")
    return repo
