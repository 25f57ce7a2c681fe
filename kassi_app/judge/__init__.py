"""The judge: statistics over a run's telemetry -> a verdict class, the root cause and its evidence.

Pure library: callers pass the run's access and log events, the changed endpoints and diff hunks.
"""

from kassi_app.judge.judge import judge_ab, judge_live
from kassi_app.judge.model import (
    Evidence,
    RootCause,
    RouteVerdict,
    Signal,
    Verdict,
    VerdictClass,
    exit_code_for,
    inconclusive,
)
from kassi_app.judge.rootcause import ChangedLike, HunkLike
from kassi_app.judge.settings import JudgeSettings, Slo

__all__ = [
    "ChangedLike",
    "Evidence",
    "HunkLike",
    "JudgeSettings",
    "RootCause",
    "RouteVerdict",
    "Signal",
    "Slo",
    "Verdict",
    "VerdictClass",
    "exit_code_for",
    "inconclusive",
    "judge_ab",
    "judge_live",
]
