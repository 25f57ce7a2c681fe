"""The judge against its neighbours: the change package's real records and the CLI benchmark."""

from __future__ import annotations

from judge_stubs import judged
from kassi_bench.synthetic import RouteSpec, ab_events
from typer.testing import CliRunner

from kassi_app.change.model import ChangedEndpoint, Hunk
from kassi_app.events import LogEvent, ParsedException, StackFrame
from kassi_app.faces.cli import app


def test_the_change_packages_records_fit_the_judge() -> None:
    changed = ChangedEndpoint("POST", "/api/visits", "modified", "app/db.py", 30, "flask", "create_visit")
    frames = (StackFrame("/wt/app/db.py", 41, "insert"),)
    exc = ParsedException("sqlite3.OperationalError", "database is locked", frames)
    logs = [LogEvent(1010.0, "r1", "head", "stderr", "ERROR", "Traceback", exc)]
    spec = RouteSpec(method="POST", route="/api/visits", errors_at_head=0.1, error_text="database is locked")
    verdict = judged(
        ab_events([spec], seed=1), [changed], logs=logs, hunks=[Hunk("app/db.py", 40, 44, "+...")], repo_roots=["/wt"]
    )
    assert verdict.cls == "REGRESSION"
    assert verdict.root_cause is not None and verdict.root_cause.location == "app/db.py:41"


def test_bench_judge_prints_hit_rates() -> None:
    result = CliRunner().invoke(app, ["bench", "judge", "--seeds", "1", "--samples", "1000"])
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.output and "hit rate" in result.output
    lines = {line.split("  ")[0]: line for line in result.output.splitlines()}
    assert lines["10 % 429s"].endswith("THROTTLED 1") and lines["unchanged"].endswith("HEALTHY 1")
