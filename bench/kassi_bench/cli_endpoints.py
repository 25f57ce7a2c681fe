"""`kassi bench endpoints`: changed-endpoint detection over the corpus of real-world-shaped diffs."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from kassi_app.errors import BadInput
from kassi_bench.app import bench_app
from kassi_bench.corpus import score_corpus

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "tests" / "change" / "corpus"
"""The corpus is also the change tests' fixture: one copy, kept beside those tests."""


@bench_app.command("endpoints")
def bench_endpoints(
    corpus: Path = typer.Option(DEFAULT_CORPUS, "--corpus", help="Corpus folder (cases with expected.json)."),
) -> None:
    """Precision and recall of changed-endpoint detection over the corpus (repo mode and diff-only mode)."""
    if not corpus.is_dir():
        raise BadInput(f"no corpus at {corpus}")
    started = time.perf_counter()
    repo_score, diff_score = score_corpus(corpus)
    elapsed = time.perf_counter() - started
    for label, score in (("repo mode", repo_score), ("diff-only mode", diff_score)):
        typer.echo(
            f"{label}: cases={score.cases} precision={score.precision:.3f} recall={score.recall:.3f} "
            f"(tp={score.tp} fp={score.fp} fn={score.fn})"
        )
        for miss in score.misses:
            typer.echo(f"  mismatch {miss}")
    typer.echo(f"elapsed={elapsed:.1f}s including building {repo_score.cases} git repos")
