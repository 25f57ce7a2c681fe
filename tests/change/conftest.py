"""Shared helpers: real git repos built from the corpus or from inline file trees."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from kassi_bench.corpus import build_repo

CORPUS = Path(__file__).parent / "corpus"


def git(repo: Path, *args: str) -> str:
    ident = ["-c", "user.name=t", "-c", "user.email=t@kassi.invalid", "-c", "commit.gpgsign=false"]
    proc = subprocess.run(["git", *ident, "-C", str(repo), *args], check=True, capture_output=True, timeout=30)
    return proc.stdout.decode()


@pytest.fixture
def corpus_repo(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build a corpus case (by name, without its number) as a two-commit git repo."""

    def build(name: str) -> Path:
        [case] = [c for c in CORPUS.iterdir() if c.name.split("-", 1)[1] == name]
        return build_repo(case, tmp_path / name)

    return build
