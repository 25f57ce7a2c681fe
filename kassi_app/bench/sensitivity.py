"""The smallest real latency shift kassi detects at default settings, with an unshifted control.

The target's head makes one route's real CPU work (PBKDF2 rounds) ``shift_pct``% more expensive;
shift 0 is the control and must stay HEALTHY. Shifts are tried from small to large.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kassi_app.demos import sensitivity_repo
from kassi_app.workflow.request import RunRequest
from kassi_app.workflow.runner import run_request

DEFAULT_SHIFTS = (0.0, 5.0, 10.0, 20.0)


@dataclass(frozen=True)
class ShiftResult:
    shift_pct: float
    got: str
    detected: bool
    base_p50_ms: float | None
    head_p50_ms: float | None
    measured_shift_pct: float | None
    reason: str


def _route_p50(record: dict[str, Any], variant: str) -> float | None:
    route = (record.get("telemetry") or {}).get(variant, {}).get("/api/tokens")
    return float(route["p50_ms"]) if route else None


def run_shift(shift_pct: float, home: Path | None = None) -> ShiftResult:
    folder = Path(tempfile.mkdtemp(prefix="kassi-sensitivity-"))
    try:
        repo = sensitivity_repo(folder / "repo", shift_pct)
        record = run_request(RunRequest(mode="ab", repo=repo.path, base=repo.base, head=repo.head), home=home).record
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    verdict = record.get("verdict") or {}
    got = str(verdict.get("class", "INCONCLUSIVE"))
    base, head = _route_p50(record, "base"), _route_p50(record, "head")
    measured = round((head / base - 1) * 100, 1) if base and head else None
    return ShiftResult(shift_pct, got, got == "DEGRADING", base, head, measured, str(verdict.get("reason", "")))


def run_sensitivity(
    shifts: Sequence[float] = DEFAULT_SHIFTS,
    on_result: Callable[[ShiftResult], None] = lambda _: None,
    home: Path | None = None,
) -> tuple[list[ShiftResult], float | None]:
    """Every shift once; returns the results and the smallest detected shift (None if the control
    raised an alarm or nothing was detected)."""
    results = []
    for shift in sorted(shifts):
        result = run_shift(shift, home)
        results.append(result)
        on_result(result)
    control_ok = all(r.got == "HEALTHY" for r in results if r.shift_pct == 0)
    detected = [r.shift_pct for r in results if r.shift_pct > 0 and r.detected]
    return results, (min(detected) if detected and control_ok else None)
