"""The fix budget's arithmetic and the CLI's fix line, without load (the load is test_fix_e2e.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rich.console import Console

from kassi_app.config import LoadOverrides, RunRequest, resolve_settings
from kassi_app.errors import BadInput
from kassi_app.faces.cli.run import render_fix
from kassi_app.workflow.context import RunContext
from kassi_app.workflow.evidence import BlockResult
from kassi_app.workflow.fixing import FIXABLE, OutOfBudget, Trials


def test_the_budget_keeps_the_verify_run_back_and_refuses_an_experiment_that_would_overrun(tmp_path: Path) -> None:
    ctx = RunContext(tmp_path)
    try:
        ctx.evidence.settings = resolve_settings(RunRequest(load=LoadOverrides(rounds=2), max_extensions=1))
        ctx.evidence.blocks = [BlockResult(i, "base" if i % 2 else "head", 100, 9.0, 0, None, None, None)
                               for i in range(4)]
        ctx.timer.seconds = {"drive_load": 40.0, "start_targets": 4.0}
        trials = Trials(ctx, deadline=time.monotonic() + 200)
        # 10 s per block measured by the run; 2 sides x (2 rounds + 1 extension) blocks; one service start
        assert trials.cost_s() == pytest.approx(62.0)
        assert trials.affordable() == 2  # 200 s less the verify run's 62 s holds two 62 s experiments
        trials.deadline = time.monotonic() + 100
        with pytest.raises(OutOfBudget, match="no time for another A/B run"):
            trials.holds("0" * 40, {"kind": "bisect"}, "bad", FIXABLE)
        assert trials.experiments == []  # refused before anything started
    finally:
        ctx.resources.store.close()


def test_an_experiment_that_cannot_run_did_not_clear_and_says_why(tmp_path: Path) -> None:
    """A revert set whose service does not start (dependent hunks: a use kept, its import reverted
    away) is an experiment that did not clear the regression, not the end of the fix."""
    ctx = RunContext(tmp_path)
    try:
        ctx.evidence.settings = resolve_settings(RunRequest(load=LoadOverrides(rounds=1), max_extensions=0))
        ctx.timer.seconds = {"drive_load": 1.0, "start_targets": 1.0}
        trials = Trials(ctx, deadline=time.monotonic() + 600)
        assert trials.holds("0" * 40, {"kind": "hunks", "reverted": ["app.py:17-17"]}, "cleared", ("HEALTHY",)) is False
        (tried,) = trials.experiments
        assert tried["class"] == "INCONCLUSIVE" and tried["cleared"] is False
        assert "base service is not running" in tried["error"]
    finally:
        ctx.resources.store.close()


def test_a_fix_is_for_ab_runs_within_the_budget_limits() -> None:
    with pytest.raises(BadInput, match="fix is for A/B runs"):
        resolve_settings(RunRequest(mode="live", url="http://127.0.0.1:1", fix=True))
    with pytest.raises(BadInput, match="fix_budget_s must be above 0"):
        resolve_settings(RunRequest(fix=True, fix_budget_s=0))
    assert resolve_settings(RunRequest(fix=True, fix_budget_s=90)).fix_budget_s == 90


def test_the_cli_prints_the_fix_under_the_verdict() -> None:
    console = Console(record=True, width=200)
    render_fix({"source": "revert", "checks": {"ok": True},
                "verified": {"class": "HEALTHY", "reason": "HEALTHY: no practically significant change"}}, console)
    render_fix({"error": "reverting abc on head conflicts: app.py"}, console)
    render_fix(None, console)
    assert console.export_text().splitlines() == [
        "fix (revert, checks passed): fix verified: HEALTHY against base under the same load.",
        "no fix: reverting abc on head conflicts: app.py",
    ]
