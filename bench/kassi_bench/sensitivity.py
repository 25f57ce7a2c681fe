"""The smallest real latency shift kassi detects at default settings, with an unshifted control.

A shift is a change in the route's *median latency*: the head adds real CPU work (PBKDF2 rounds) on
``POST /api/tokens``. The route also spends time in the HTTP stack, so the rounds are scaled by the
share of the route's latency that is key derivation, measured on this machine before the runs
(an A/B run against a head with twice the rounds). Shift 0 is the control and must
stay HEALTHY. Shifts are tried from small to large.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kassi_app.config import RunRequest
from kassi_app.demos import sensitivity_repo
from kassi_app.errors import InfrastructureError
from kassi_app.workflow.runner import run_request

DEFAULT_SHIFTS = (0.0, 10.0, 25.0, 40.0)
_CALIBRATION_ROUNDS_PCT = 100.0


@dataclass(frozen=True)
class Calibration:
    """``route_ms``: the route's median at base; ``work_ms``: how much of it is key derivation (a head
    with twice the rounds, minus base). Both are read by kassi's proxy under kassi's load, the way the
    runs will measure the shift."""

    route_ms: float
    work_ms: float

    @property
    def work_share(self) -> float:
        return self.work_ms / self.route_ms

    def rounds_pct(self, shift_pct: float) -> float:
        """The extra rounds, in % of base's, that move the route's median by ``shift_pct``%."""
        return shift_pct / self.work_share


@dataclass(frozen=True)
class ShiftResult:
    shift_pct: float
    rounds_pct: float
    got: str
    detected: bool
    base_p50_ms: float | None
    head_p50_ms: float | None
    measured_shift_pct: float | None
    reason: str


def calibrate(home: Path | None = None) -> Calibration:
    """One A/B run whose head does twice the rounds: the median difference is the base's work."""
    record = _run(_CALIBRATION_ROUNDS_PCT, home)
    base, head = _route_p50(record, "base"), _route_p50(record, "head")
    if base is None or head is None or head <= base:
        reason = (record.get("verdict") or {}).get("reason", "")
        raise InfrastructureError(f"calibration: twice the key-derivation rounds were not measured slower ({reason})")
    return Calibration(route_ms=base, work_ms=head - base)


def run_shift(shift_pct: float, calibration: Calibration, home: Path | None = None) -> ShiftResult:
    rounds_pct = round(calibration.rounds_pct(shift_pct), 1)
    record = _run(rounds_pct, home)
    verdict = record.get("verdict") or {}
    got = str(verdict.get("class", "INCONCLUSIVE"))
    base, head = _route_p50(record, "base"), _route_p50(record, "head")
    measured = round((head / base - 1) * 100, 1) if base and head else None
    reason = str(verdict.get("reason", ""))
    return ShiftResult(shift_pct, rounds_pct, got, got == "DEGRADING", base, head, measured, reason)


def _run(rounds_pct: float, home: Path | None) -> dict[str, Any]:
    """An A/B run of the sensitivity target whose head does ``rounds_pct``% more rounds."""
    folder = Path(tempfile.mkdtemp(prefix="kassi-sensitivity-"))
    try:
        repo = sensitivity_repo(folder / "repo", rounds_pct)
        return run_request(RunRequest(mode="ab", repo=str(repo.path), base=repo.base, head=repo.head), home=home).record
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _route_p50(record: dict[str, Any], variant: str) -> float | None:
    route = (record.get("telemetry") or {}).get(variant, {}).get("/api/tokens")
    return float(route["p50_ms"]) if route else None


def run_sensitivity(
    shifts: Sequence[float] = DEFAULT_SHIFTS,
    on_result: Callable[[ShiftResult], None] = lambda _: None,
    home: Path | None = None,
    calibration: Calibration | None = None,
) -> tuple[list[ShiftResult], float | None]:
    """Every shift once; returns the results and the smallest detected shift (None if the control
    raised an alarm or nothing was detected)."""
    calibration = calibration or calibrate(home)
    results = []
    for shift in sorted(shifts):
        result = run_shift(shift, calibration, home)
        results.append(result)
        on_result(result)
    control_ok = all(r.got == "HEALTHY" for r in results if r.shift_pct == 0)
    detected = [r.shift_pct for r in results if r.shift_pct > 0 and r.detected]
    return results, (min(detected) if detected and control_ok else None)
