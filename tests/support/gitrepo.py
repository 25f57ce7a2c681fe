"""Real git repos for tests: a git command with a test identity, and the endpoint corpus's place."""

from __future__ import annotations

import subprocess
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "change" / "corpus"
"""Real-world-shaped diffs, each with the endpoints it must yield (also `kassi bench endpoints`' input)."""


def git(repo: Path, *args: str) -> str:
    ident = ["-c", "user.name=t", "-c", "user.email=t@kassi.invalid", "-c", "commit.gpgsign=false"]
    proc = subprocess.run(["git", *ident, "-C", str(repo), *args], check=True, capture_output=True, timeout=30)
    return proc.stdout.decode()


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
