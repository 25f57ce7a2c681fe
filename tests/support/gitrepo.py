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
