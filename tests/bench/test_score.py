"""kassi-bench scoring against the demo catalogue's expectations (the rules `kassi demo run --check`
and `kassi bench accuracy` apply to a run record)."""

from __future__ import annotations

from typing import Any

from kassi_bench.accuracy import score, summarise
from kassi_bench.sensitivity import Calibration

from kassi_app.demos import CATALOGUE


def _record(cls: str, flagged: list[tuple[str, str, str]], root: str | None = None) -> dict[str, Any]:
    return {"run_id": "r", "verdict": {
        "class": cls, "reason": "", "root_cause": {"summary": root} if root else None,
        "routes": [{"method": m, "route": r, "class": c} for m, r, c in flagged]}}


def test_a_fault_needs_class_route_and_root_cause() -> None:
    lock = CATALOGUE["sqlite-write-lock"]
    good = score(lock, 0, _record("REGRESSION", [("POST", "/api/loans", "REGRESSION")],
                                  "sqlite3.OperationalError: database is locked on POST /api/loans"), 30.0)
    assert good.correct and good.detected and good.localised and good.root_cause_ok
    wrong_route = score(lock, 0, _record("REGRESSION", [("GET", "/api/books", "REGRESSION")], "database is locked"), 1)
    assert not wrong_route.correct and not wrong_route.localised
    no_cause = score(lock, 0, _record("REGRESSION", [("POST", "/api/loans", "REGRESSION")], "KeyError"), 1)
    assert not no_cause.correct and no_cause.root_cause_ok is False


def test_a_control_is_correct_only_when_healthy() -> None:
    control = CATALOGUE["healthy-refactor"]
    assert score(control, 0, _record("HEALTHY", []), 1).correct
    alarm = score(control, 0, _record("DEGRADING", [("GET", "/api/products", "DEGRADING")]), 1)
    assert alarm.false_alarm and not alarm.correct
    unsure = score(control, 0, _record("INCONCLUSIVE", []), 1)
    assert not unsure.correct and not unsure.false_alarm
    table = summarise([alarm, unsure])
    assert table["overall"]["false_alarms"] == 1 and table["overall"]["correct"] == 0


def test_sensitivity_calibration_turns_a_median_shift_into_extra_rounds() -> None:
    """Half the route is key derivation: a 10 % median shift takes 20 % more rounds."""
    calibration = Calibration(route_ms=5.0, work_ms=2.5)
    assert calibration.work_share == 0.5
    assert calibration.rounds_pct(10.0) == 20.0
    assert calibration.rounds_pct(0.0) == 0.0


def test_the_cause_kind_is_reported_beside_the_score_not_in_it() -> None:
    n_plus_one = CATALOGUE["n-plus-one"]
    record = _record("DEGRADING", [("GET", "/api/customers/{customer_id}/orders", "DEGRADING")])
    record["verdict"]["root_cause"] = {"summary": "scales with concurrency", "kind": "lock_contention"}
    wrong_kind = score(n_plus_one, 0, record, 30.0)
    assert wrong_kind.correct and wrong_kind.cause_kind == "lock_contention" and wrong_kind.cause_kind_ok is False
    record["verdict"]["root_cause"] = {"summary": "an N+1 query pattern", "kind": "n_plus_one"}
    right_kind = score(n_plus_one, 1, record, 30.0)
    assert right_kind.cause_kind_ok is True
    assert summarise([wrong_kind, right_kind])["overall"]["cause_kind_ok"] == 1
