"""Throughput per load stage, retrograde scaling, and the Universal Scalability Law over the stages.

Latency alone cannot tell a saturated service from a broken one: with throughput flat, Little's law
makes latency grow in proportion to the users queued (L = X * W), which is what any healthy server
does once its CPU is full. What is *not* healthy is retrograde scaling: throughput that falls as
users rise (contention that costs more than it serves, the USL's coherency term), or errors that
appear only under load. So a run without a baseline judges scaling by throughput, and A/B compares
head with base at the same stage.

scipy is imported inside the functions that use it (why: kassi_app.judge.stats).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kassi_app.judge.samples import FloatArray, Sample

StageWindows = dict[tuple[int, str], tuple[float, float]]
"""(block, stage) -> (first, last) request time of that stretch of the run, over all routes."""


def stage_windows(samples: Sequence[Sample]) -> StageWindows:
    """The time span of each (block, stage) stretch, from every route's requests (a route's own
    requests would understate the span of a rarely-hit route)."""
    spans: StageWindows = {}
    for sample in samples:
        for stretch in sample.strata():
            if not stretch.n:
                continue
            key = (int(stretch.blocks[0]), str(stretch.stages[0]))
            low, high = float(stretch.times.min()), float(stretch.times.max())
            old = spans.get(key)
            spans[key] = (min(low, old[0]), max(high, old[1])) if old else (low, high)
    return spans


@dataclass(frozen=True)
class StageRate:
    """Requests of one route in one stage: ``count`` over ``seconds`` in all, and the rate per block."""

    count: int
    seconds: float
    per_block: dict[int, float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds


def stage_rates(sample: Sample, windows: StageWindows, min_seconds: float) -> dict[str, StageRate]:
    """Per stage, ``sample``'s throughput (all its requests, answered or not), over the stretches of
    at least ``min_seconds`` (a stretch of a few requests has no meaningful span)."""
    out: dict[str, StageRate] = {}
    for stage, stage_sample in sample.by_stage().items():
        per_block: dict[int, float] = {}
        total_n, total_s = 0, 0.0
        for block in np.unique(stage_sample.blocks[stage_sample.blocks >= 0]):  # no block, no window
            span = windows.get((int(block), stage))
            if span is None or span[1] - span[0] < min_seconds:
                continue
            count = int(np.count_nonzero(stage_sample.blocks == block))
            duration = span[1] - span[0]
            per_block[int(block)] = count / duration
            total_n, total_s = total_n + count, total_s + duration
        if total_s > 0:
            out[stage] = StageRate(total_n, total_s, per_block)
    return out


@dataclass(frozen=True)
class Retrograde:
    """Throughput at the high stage against the low one: ``drop_pct`` > 0 means it fell. ``p_value`` is
    the conditional test of two rates (given the total count, the high stage's share is binomial with
    the high stage's share of the time under equal rates), one-sided for a fall."""

    low_rate: float
    high_rate: float
    drop_pct: float
    p_value: float
    blocks: int
    blocks_dropped: int


def retrograde(rates: dict[str, StageRate], min_drop_pct: float) -> Retrograde | None:
    """How throughput moved from the low to the high stage, or None without both stages."""
    from scipy import stats  # at first use: see the module docstring
    low, high = rates.get("low"), rates.get("high")
    if low is None or high is None or low.rate <= 0:
        return None
    drop = 100.0 * (1.0 - high.rate / low.rate)
    blocks = sorted(set(low.per_block) & set(high.per_block))
    dropped = sum(
        low.per_block[b] > 0 and 100.0 * (1.0 - high.per_block[b] / low.per_block[b]) >= min_drop_pct for b in blocks
    )
    share = high.seconds / (low.seconds + high.seconds)
    p = float(stats.binomtest(high.count, low.count + high.count, share, alternative="less").pvalue)
    return Retrograde(low.rate, high.rate, drop, p, len(blocks), dropped)


@dataclass(frozen=True)
class UslFit:
    """The Universal Scalability Law X(N) = lambda N / (1 + sigma (N-1) + kappa N (N-1)) over the stages.

    ``identified`` says what the data could pin down: two load levels give two equations for three
    coefficients, so one of sigma (contention) and kappa (coherency) is set to zero — kappa when
    throughput did not fall (no sign of coherency cost), sigma when it did (only kappa bends the curve
    down). Three or more levels fit all three by least squares (scipy ``curve_fit``, bounded >= 0).
    """

    lam: float
    sigma: float
    kappa: float
    identified: str

    @property
    def peak_users(self) -> float | None:
        """The concurrency of peak throughput, sqrt((1 - sigma) / kappa), when kappa > 0."""
        return math.sqrt(max(1.0 - self.sigma, 0.0) / self.kappa) if self.kappa > 0 else None

    def describe(self) -> str:
        peak = f", peak near {self.peak_users:.0f} users" if self.peak_users is not None else ""
        return (
            f"USL fit: lambda {self.lam:.1f} req/s per user, sigma {self.sigma:.3f}, "
            f"kappa {self.kappa:.4f}{peak} ({self.identified})"
        )


_KAPPA_MAX = 1.0
"""The largest coherency coefficient a fit reports (the least-squares fit's bound too)."""


def fit_usl(points: Sequence[tuple[int, float]]) -> UslFit | None:
    """Fit the USL to ``(users, requests per second)`` points (one per load level)."""
    levels = sorted({(n, x) for n, x in points if n >= 1 and x > 0})
    if len({n for n, _ in levels}) < 2:
        return None
    if len(levels) >= 3:
        return _least_squares(levels)
    (n1, x1), (n2, x2) = levels
    r, m = x2 / x1, n2 / n1
    if r >= m:  # linear or better: no contention seen
        return UslFit(x1 / n1, 0.0, 0.0, "2 load levels: throughput grew with users, sigma = kappa = 0")
    if r >= 1.0:
        sigma = (m - r) / (r * (n2 - 1) - m * (n1 - 1))
        return UslFit(x1 * (1 + sigma * (n1 - 1)) / n1, sigma, 0.0,
                      "2 load levels identify lambda and sigma; kappa set to 0 (throughput did not fall)")
    below = r * n2 * (n2 - 1) - m * n1 * (n1 - 1)
    if below <= 0:  # X(n2)/X(n1) -> m n1(n1-1) / (n2(n2-1)) as kappa grows: a steeper fall has no kappa
        return UslFit(x1 * (1 + _KAPPA_MAX * n1 * (n1 - 1)) / n1, 0.0, _KAPPA_MAX,
                      f"2 load levels: throughput fell {1 / r:.0f}x, more than the USL can express between "
                      f"{n1} and {n2} users; kappa shown at its bound {_KAPPA_MAX:g}")
    kappa = (m - r) / below
    return UslFit(x1 * (1 + kappa * n1 * (n1 - 1)) / n1, 0.0, kappa,
                  "2 load levels identify lambda and kappa; sigma set to 0 (throughput fell)")


def _least_squares(levels: Sequence[tuple[int, float]]) -> UslFit | None:
    from scipy import optimize  # at first use: see the module docstring
    n = np.array([p[0] for p in levels], dtype=np.float64)
    x = np.array([p[1] for p in levels], dtype=np.float64)

    def usl(users: FloatArray, lam: float, sigma: float, kappa: float) -> FloatArray:
        return lam * users / (1 + sigma * (users - 1) + kappa * users * (users - 1))

    try:
        found, _ = optimize.curve_fit(usl, n, x, p0=(x[0] / n[0], 0.05, 0.001),
                                      bounds=((0.0, 0.0, 0.0), (np.inf, 1.0, _KAPPA_MAX)))
    except (RuntimeError, ValueError):
        return None
    return UslFit(float(found[0]), float(found[1]), float(found[2]), f"{len(levels)} load levels, least squares")
