"""`kassi bench calibration`'s arithmetic: the false-alarm rate and its exact interval."""

from __future__ import annotations

import pytest
from kassi_bench.calibration import AaRun, false_alarm_rate


def _runs(alarms: int, total: int, inconclusive: int = 0) -> list[AaRun]:
    classes = ["DEGRADING"] * alarms + ["INCONCLUSIVE"] * inconclusive
    classes += ["HEALTHY"] * (total - len(classes))
    return [AaRun("demo", cls, "", 1.0) for cls in classes]


def test_zero_alarms_in_100_runs_bounds_the_rate_below_3_7_percent() -> None:
    """Clopper-Pearson for 0/n: the upper bound solves (1 - p)^n = 0.025, p = 1 - 0.025^(1/100)."""
    rate = false_alarm_rate(_runs(0, 100))
    assert rate.alarms == 0 and rate.low == 0.0
    assert rate.high == pytest.approx(1 - 0.025 ** (1 / 100), rel=1e-6)


def test_one_alarm_in_100_runs_and_inconclusive_runs_counted_apart() -> None:
    rate = false_alarm_rate(_runs(1, 100, inconclusive=7))
    assert rate.rate == 0.01 and rate.inconclusive == 7
    assert (rate.low, rate.high) == pytest.approx((0.000253, 0.05446), abs=2e-5)
    assert AaRun("d", "THROTTLED", "", 1.0).false_alarm and not AaRun("d", "INCONCLUSIVE", "", 1.0).false_alarm
