"""The judge: statistics over a run's telemetry -> a verdict class, the root cause and its evidence.

Pure: samples in, verdict out. Callers pass the run's access events and the changed endpoints; it does
no I/O and names no cause (kassi_app.explain does, from the verdict and the run's evidence).
"""

from kassi_app.judge.judge import judge_ab, judge_live
from kassi_app.judge.model import (
    ChangedLike,
    Evidence,
    RootCause,
    RouteVerdict,
    Signal,
    Verdict,
    VerdictClass,
    exit_code_for,
    inconclusive,
)
from kassi_app.judge.settings import JudgeSettings, Slo

__all__ = [
    "ChangedLike",
    "Evidence",
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
