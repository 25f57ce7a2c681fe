"""Explain a verdict: the root cause and its evidence, and the written analysis.

The judge decides the class from statistics alone; this package then reads the rest of the run's
evidence (the target's logs, the diff's hunks, where the repo's files live) to name why. It never
changes the class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from kassi_app.events import AccessEvent, LogEvent
from kassi_app.explain.analysis import render_analysis
from kassi_app.explain.rootcause import Context, HunkLike, find_root_cause
from kassi_app.judge.model import ChangedLike, Verdict

FAILING = frozenset({"REGRESSION", "DEGRADING", "THROTTLED"})

__all__ = ["HunkLike", "explain_verdict", "render_analysis"]


def explain_verdict(
    verdict: Verdict,
    events: Sequence[AccessEvent],
    *,
    changed: Sequence[ChangedLike] = (),
    logs: Sequence[LogEvent] = (),
    hunks: Sequence[HunkLike] = (),
    repo_roots: Sequence[str] = (),
    stage_users: tuple[int, int] | None = None,
    variants: tuple[str, ...] = ("base", "head"),
) -> Verdict:
    """``verdict`` with its root cause and the cause's evidence added (unchanged when nothing failed).

    ``variants`` are the judged sides, the changed side last: ``("base", "head")``, ``("base", "fix")``
    or ``("live",)``.
    """
    if verdict.cls not in FAILING:
        return verdict
    changed_side = variants[-1]
    base_side = variants[0] if len(variants) > 1 else None
    ctx = Context(
        [e for e in events if e.variant == changed_side],
        sum(e.variant == base_side for e in events) if base_side else 0,
        [e for e in logs if e.variant == changed_side],
        [e for e in logs if e.variant == base_side] if base_side else [],
        hunks,
        changed,
        repo_roots,
        stage_users,
    )
    lead = [r for r in verdict.routes if r.endpoint in verdict.lead]
    cause, cause_evidence = find_root_cause(lead, ctx)
    return dataclasses.replace(verdict, root_cause=cause, evidence=verdict.evidence + tuple(cause_evidence))
