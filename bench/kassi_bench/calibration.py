"""A/A calibration: the same commit on both sides, so every alarm is a false one.

Synthetic data (``kassi bench judge``) measures the statistics; only real A/A runs measure the whole
chain on this machine — k6, the proxy, two processes of one service competing for two cores, the
block order — which is where false alarms come from. Runs cycle over the demo targets at kassi's
default judge settings (the demos' kassi.toml tunes ``alpha`` and ``min_shift_pct``; a user starts
from the defaults), or at the demos' own settings when asked.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy import stats

from kassi_app.config import RunRequest
from kassi_app.demos import CATALOGUE, init_demo
from kassi_app.git import git
from kassi_app.judge import JudgeSettings

ALARMS = frozenset({"REGRESSION", "DEGRADING", "THROTTLED"})


@dataclass(frozen=True)
class AaRun:
    """One A/A run: the demo, its verdict class and reason, and its wall time."""

    demo: str
    cls: str
    reason: str
    wall_s: float

    @property
    def false_alarm(self) -> bool:
        return self.cls in ALARMS


_IDENTITY = {"GIT_AUTHOR_NAME": "kassi bench", "GIT_AUTHOR_EMAIL": "bench@kassi.invalid",
             "GIT_COMMITTER_NAME": "kassi bench", "GIT_COMMITTER_EMAIL": "bench@kassi.invalid"}


def _same_code_commit(repo: Path) -> str:
    """A commit on top of HEAD that changes no code (a note file): kassi refuses to compare a commit
    with itself, and a note is what an A/A pair needs — the same service on both sides."""
    (repo / "CALIBRATION.md").write_text("A/A calibration: this commit changes no code.\n", encoding="utf-8")
    git(repo, "add", "CALIBRATION.md", env=_IDENTITY)
    git(repo, "commit", "--quiet", "--no-verify", "-m", "A/A: no code change", env=_IDENTITY)
    return git(repo, "rev-parse", "HEAD", env=_IDENTITY)


def run_aa_once(demo: str, *, demo_settings: bool = False, home: Path | None = None) -> AaRun:
    """One A/A run of ``demo``: its head commit against a commit that changes no code on top of it."""
    from kassi_app.workflow.runner import run_request

    folder = Path(tempfile.mkdtemp(prefix=f"kassi-aa-{demo}-"))
    try:
        repo = init_demo(demo, folder / "repo")
        same = _same_code_commit(repo.path)
        judge = {} if demo_settings else dataclasses.asdict(JudgeSettings())
        started = time.monotonic()
        outcome = run_request(
            RunRequest(mode="ab", repo=str(repo.path), base=repo.head, head=same, judge=judge, label="aa"),
            home=home,
        )
        verdict: dict[str, Any] = outcome.record.get("verdict") or {}
        return AaRun(demo, str(verdict.get("class", "INCONCLUSIVE")), str(verdict.get("reason", "")),
                     time.monotonic() - started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_calibration(
    runs: int,
    demos: Sequence[str] = (),
    on_run: Callable[[AaRun], None] = lambda _: None,
    *,
    demo_settings: bool = False,
    home: Path | None = None,
) -> list[AaRun]:
    """``runs`` A/A runs, cycling over ``demos`` (all the catalogue's by default)."""
    names = list(demos) or list(CATALOGUE)
    out: list[AaRun] = []
    for i in range(runs):
        result = run_aa_once(names[i % len(names)], demo_settings=demo_settings, home=home)
        out.append(result)
        on_run(result)
    return out


@dataclass(frozen=True)
class FalseAlarmRate:
    """False alarms over judged runs, with the exact (Clopper-Pearson) interval."""

    alarms: int
    runs: int
    inconclusive: int
    low: float
    high: float
    confidence: float

    @property
    def rate(self) -> float:
        return self.alarms / self.runs if self.runs else 0.0


def false_alarm_rate(results: Sequence[AaRun], confidence: float = 0.95) -> FalseAlarmRate:
    """The share of A/A runs that raised an alarm. INCONCLUSIVE runs are counted apart: they are not
    alarms, but a judge that shrugs at everything would have no false alarms either."""
    alarms = sum(r.false_alarm for r in results)
    n = len(results)
    if n == 0:
        return FalseAlarmRate(0, 0, 0, 0.0, 1.0, confidence)
    ci = stats.binomtest(alarms, n).proportion_ci(confidence_level=confidence, method="exact")
    inconclusive = sum(r.cls == "INCONCLUSIVE" for r in results)
    return FalseAlarmRate(alarms, n, inconclusive, float(ci.low), float(ci.high), confidence)
