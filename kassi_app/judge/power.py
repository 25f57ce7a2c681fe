"""Power: the smallest shift a run of this size and noise would have detected.

A HEALTHY verdict means "no shift at least this large", never "no shift": the figure says what the
run could have missed. It is the normal-approximation minimum detectable effect of a one-sided test
at level ``alpha`` with power ``power``: (z_{1-alpha} + z_{power}) * SE, where SE is the standard
error of the estimate, read off its confidence interval (half-width / z_{(1+confidence)/2}), so it
holds for whatever estimator produced the interval (Hodges-Lehmann, a bootstrap quantile).

scipy is imported inside the functions that use it (why: kassi_app.judge.stats).
"""

from __future__ import annotations

from dataclasses import dataclass

from kassi_app.judge.stats import Interval


@dataclass(frozen=True)
class Power:
    """``mde_ms``: the smallest shift detected with probability ``power``; ``mde_pct`` of ``reference_ms``."""

    mde_ms: float
    mde_pct: float
    threshold_ms: float

    @property
    def enough(self) -> bool:
        """The run could see the practical threshold: a HEALTHY verdict then means something."""
        return self.mde_ms <= self.threshold_ms

    def describe(self) -> str:
        return f"could detect shifts from {self.mde_ms:.2f} ms ({self.mde_pct:.1f} %)"


def minimum_detectable(
    ci: Interval, confidence: float, alpha: float, power: float, reference_ms: float, threshold_ms: float
) -> Power:
    """The minimum detectable shift of an estimate whose ``confidence`` interval is ``ci``."""
    from scipy import stats  # at first use: see the module docstring
    z_ci = float(stats.norm.ppf(0.5 + confidence / 2.0))
    se = (ci[1] - ci[0]) / (2.0 * z_ci)
    mde = (float(stats.norm.ppf(1.0 - alpha)) + float(stats.norm.ppf(power))) * se
    pct = 100.0 * mde / reference_ms if reference_ms > 0 else float("inf")
    return Power(mde, pct, threshold_ms)
