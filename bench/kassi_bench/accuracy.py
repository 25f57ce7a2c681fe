"""kassi-bench: every demo, N times, end to end; scored against the catalogue's expectations.

A fault run is correct when the run's class is the expected one, every expected route is flagged,
and (for faults with an error) the root cause names the expected error. A control run is a false
alarm when it ends REGRESSION, DEGRADING or THROTTLED. Whether the root cause names the expected
mechanism (its kind: N+1, growth, lock contention, ...) is reported beside, not scored.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kassi_app.config import RunRequest
from kassi_app.demos import CATALOGUE, Demo, init_demo
from kassi_app.demos.score import RunScore, score
from kassi_app.workflow.runner import run_request


def run_demo_once(demo: Demo, rep: int, home: Path | None = None) -> RunScore:
    folder = Path(tempfile.mkdtemp(prefix=f"kassi-bench-{demo.name}-"))
    try:
        repo = init_demo(demo.name, folder / "repo")
        started = time.monotonic()
        outcome = run_request(RunRequest(mode="ab", repo=str(repo.path), base=repo.base, head=repo.head), home=home)
        return score(demo, rep, outcome.record, time.monotonic() - started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_accuracy(
    reps: int,
    names: Sequence[str] = (),
    on_score: Callable[[RunScore], None] = lambda _: None,
    home: Path | None = None,
) -> list[RunScore]:
    """Interleave scenarios within each rep, so slow drift of the machine spreads over all of them."""
    demos = [CATALOGUE[n] for n in names] if names else list(CATALOGUE.values())
    scores: list[RunScore] = []
    for rep in range(reps):
        for demo in demos:
            result = run_demo_once(demo, rep, home)
            scores.append(result)
            on_score(result)
    return scores


def summarise(scores: Sequence[RunScore]) -> dict[str, Any]:
    """Per scenario and overall: counts of correct, detected, localised, class, root cause; wall time."""
    by: dict[str, list[RunScore]] = {}
    for s in scores:
        by.setdefault(s.scenario, []).append(s)

    def block(group: Sequence[RunScore]) -> dict[str, Any]:
        faults = [s for s in group if s.expected != "HEALTHY"]
        with_cause = [s for s in faults if s.root_cause_ok is not None]
        return {
            "runs": len(group),
            "correct": sum(s.correct for s in group),
            "detected": sum(s.detected for s in faults),
            "faults": len(faults),
            "localised": sum(s.localised for s in faults),
            "class_ok": sum(s.class_ok for s in group),
            "root_cause_ok": sum(bool(s.root_cause_ok) for s in with_cause),
            "with_root_cause": len(with_cause),
            "cause_kind_ok": sum(bool(s.cause_kind_ok) for s in faults),
            "false_alarms": sum(s.false_alarm for s in group),
            "median_wall_s": round(statistics.median(s.wall_s for s in group), 1) if group else 0.0,
        }

    return {
        "scenarios": {name: block(group) for name, group in by.items()},
        "overall": block(scores),
        "runs": [asdict(s) | {"correct": s.correct} for s in scores],
    }
