"""Retention: finished runs beyond the newest N, or older than D days, are removed at conclude; the
concluding run and runs still going never are. And a target that logs without end is capped."""

from __future__ import annotations

import os
import time
from pathlib import Path

from kassi_app.events import LogEvent
from kassi_app.workflow import context
from kassi_app.workflow.context import RunContext
from kassi_app.workflow.runs import apply_retention


def _run(root: Path, run_id: str, sealed: bool = True, age_days: float = 0.0) -> Path:
    folder = root / run_id
    folder.mkdir(parents=True)
    (folder / "ledger.jsonl").write_text("")
    if sealed:
        seal = folder / "seal.json"
        seal.write_text("{}")
        then = time.time() - age_days * 86400
        os.utime(seal, (then, then))
    return folder


def test_the_newest_runs_are_kept_and_the_current_and_unsealed_never_go(tmp_path: Path) -> None:
    for i in range(5):
        _run(tmp_path, f"20260101T00000{i}Z-aaaaaa")
    _run(tmp_path, "20250101T000000Z-going", sealed=False)
    current = _run(tmp_path, "20260101T000009Z-current", sealed=False)
    removed = apply_retention(tmp_path, current.name, keep_runs=3, keep_days=None)
    assert sorted(removed) == ["20260101T000000Z-aaaaaa", "20260101T000001Z-aaaaaa", "20260101T000002Z-aaaaaa"]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["20250101T000000Z-going", "20260101T000003Z-aaaaaa", "20260101T000004Z-aaaaaa",
                    "20260101T000009Z-current"]


def test_runs_older_than_the_days_kept_go(tmp_path: Path) -> None:
    _run(tmp_path, "20260101T000001Z-old", age_days=10)
    _run(tmp_path, "20260101T000002Z-new", age_days=1)
    assert apply_retention(tmp_path, "none", keep_runs=100, keep_days=5) == ["20260101T000001Z-old"]


def test_target_logs_past_the_cap_are_counted_not_kept(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(context, "MAX_LOG_EVENTS", 3)
    ctx = RunContext(tmp_path)
    try:
        for i in range(5):
            ctx.keep_log(LogEvent(float(i), ctx.run_id, "head", "stdout", "INFO", f"line {i}"))
    finally:
        ctx.resources.store.close()
    assert len(ctx.evidence.logs) == 3 and ctx.evidence.logs_dropped == 2
