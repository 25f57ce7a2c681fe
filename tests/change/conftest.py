"""Shared helpers: real git repos built from the corpus or from inline file trees."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import CORPUS
from kassi_bench.corpus import build_repo


@pytest.fixture
def corpus_repo(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build a corpus case (by name, without its number) as a two-commit git repo."""

    def build(name: str) -> Path:
        [case] = [c for c in CORPUS.iterdir() if c.name.split("-", 1)[1] == name]
        return build_repo(case, tmp_path / name)

    return build
