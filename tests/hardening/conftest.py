"""Helpers for the hardening tests: small git repos with a kassi.toml, and a marker a started
target would leave (so "nothing started" is checked, not assumed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.workflow.conftest import Kassi, kassi  # noqa: F401  (the `kassi` fixture: real CLI, private home)


def git_repo(path: Path, files_per_commit: list[dict[str, str | bytes]]) -> Path:
    """A git repo at ``path`` with one commit per mapping of file name -> content."""
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for number, files in enumerate(files_per_commit):
        for name, content in files.items():
            target = path / name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        subprocess.run(["git", "-C", str(path), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm",
                        f"commit {number}"], check=True)
    return path
