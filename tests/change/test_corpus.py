"""Every corpus case, replayed as a real two-commit git repo, yields exactly its expected endpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import CORPUS
from kassi_bench.corpus import build_repo, cases, expected, found

CASES = cases(CORPUS)


def test_corpus_is_large_and_covers_every_framework() -> None:
    assert len(CASES) >= 40
    names = " ".join(c.name for c in CASES)
    for framework in (
        "fastapi",
        "flask",
        "django",
        "express",
        "koa",
        "go-std",
        "gin",
        "chi",
        "echo",
        "spring",
    ):
        assert framework in names


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path, tmp_path: Path) -> None:
    want, diff_applicable = expected(case)
    repo = build_repo(case, tmp_path / "repo")
    assert found(repo, diff_only=False) == want
    if diff_applicable:
        assert found(repo, diff_only=True) == want
