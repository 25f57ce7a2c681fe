"""The statistics behind a verdict: thin, deterministic wrappers over scipy and numpy.

Every function takes plain arrays and a seed where it resamples, so a verdict is reproducible.

scipy is imported inside the functions that use it: it costs ~1 s of start-up, and every `kassi`
process imports the judge while many (bad input, verify, report, the modular input) never judge.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Interval = tuple[float, float]


def mann_whitney_greater(head: FloatArray, base: FloatArray) -> float:
    """One-sided p-value that ``head`` tends to be larger than ``base`` (ties get mid-ranks)."""
    from scipy import stats  # at first use: see the module docstring
    if head.size == 0 or base.size == 0:
        return 1.0
    return float(stats.mannwhitneyu(head, base, alternative="greater", method="auto").pvalue)


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its confidence interval."""

    value: float
    ci: Interval


def hodges_lehmann(head: FloatArray, base: FloatArray, confidence: float, max_pairs: int, seed: int) -> Estimate:
    """Head's shift over base: the median of pairwise differences (Hodges-Lehmann), with the
    distribution-free interval that inverts the Mann-Whitney test.

    The interval runs from the (k+1)-th to the (N-k)-th smallest of the N = n1*n2 pairwise
    differences, k the normal-approximation critical count of U. Above ``max_pairs`` pairs, a fixed-
    seed random sample of pairs stands in for all of them and the same ranks are taken as quantiles.
    """
    from scipy import stats  # at first use: see the module docstring
    n1, n2 = head.size, base.size
    total = n1 * n2
    if total <= max_pairs:
        diffs = np.subtract.outer(head, base).ravel()
    else:
        rng = np.random.default_rng(seed)
        diffs = head[rng.integers(0, n1, max_pairs)] - base[rng.integers(0, n2, max_pairs)]
    diffs = np.sort(diffs)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    k = max(0.0, total / 2.0 - z * math.sqrt(total * (n1 + n2 + 1) / 12.0))
    low = min(math.floor(k / total * diffs.size), diffs.size - 1)
    return Estimate(float(np.median(diffs)), (float(diffs[low]), float(diffs[diffs.size - 1 - low])))


def bootstrap_quantile(values: FloatArray, q: float, resamples: int, seed: int) -> FloatArray:
    """``resamples`` draws from the bootstrap distribution of the ``q`` quantile of ``values``.

    No resampling of whole arrays: a resample's q-quantile (inverted-CDF definition) is at most the
    k-th smallest value exactly when at least ceil(q*n) of its n draws are among the k smallest, a
    Binomial(n, k/n) event. Inverting that exact distribution costs O(n + resamples * log n).
    """
    from scipy import stats  # at first use: see the module docstring
    ordered = np.sort(values)
    n = ordered.size
    rank = max(1, math.ceil(q * n))
    cdf = stats.binom.sf(rank - 1, n, np.arange(1, n + 1) / n)
    draws = np.random.default_rng(seed).uniform(size=resamples)
    return ordered[np.minimum(np.searchsorted(cdf, draws), n - 1)]


def percentile_interval(distribution: FloatArray, confidence: float) -> Interval:
    """The equal-tailed percentile interval of a bootstrap distribution."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(distribution, [tail, 1.0 - tail])
    return float(low), float(high)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (family-wise error control under any dependence)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


def proportion_greater(head_hits: int, head_n: int, base_hits: int, base_n: int) -> float:
    """One-sided Fisher exact p-value that head's rate of hits is higher than base's."""
    from scipy import stats  # at first use: see the module docstring
    if head_n == 0 or base_n == 0:
        return 1.0
    table = [[head_hits, head_n - head_hits], [base_hits, base_n - base_hits]]
    return float(stats.fisher_exact(table, alternative="greater").pvalue)


def rate_above(hits: int, n: int, limit: float) -> float:
    """One-sided exact binomial p-value that the true rate exceeds ``limit`` (an SLO)."""
    from scipy import stats  # at first use: see the module docstring
    if n == 0:
        return 1.0
    if limit <= 0.0:
        return 0.0 if hits > 0 else 1.0
    return float(stats.binomtest(hits, n, limit, alternative="greater").pvalue)


@dataclass(frozen=True)
class Slope:
    """A robust slope (units of y per unit of t), its interval and the one-sided p that it rises."""

    slope: float
    ci: Interval
    p_rising: float
    strata: int = 1
    strata_rising: int = 1


def stratified_theil_sen(strata: Sequence[tuple[FloatArray, FloatArray]], confidence: float) -> Slope | None:
    """Sen's slope over pairs *within* each stratum, with the seasonal Mann-Kendall test.

    Strata (e.g. the low- and high-concurrency stages) may differ in level; only within-stratum
    pairs enter, so a step between strata is not mistaken for a trend (Hirsch, Slack & Smith 1982).
    With one stratum this is exactly ``scipy.stats.theilslopes`` plus Mann-Kendall.
    """
    from scipy import stats  # at first use: see the module docstring
    slopes: list[FloatArray] = []
    rising = 0
    s_total = 0.0
    var_total = 0.0
    for t, y in strata:
        n = t.size
        if n < 2:
            continue
        i, j = np.triu_indices(n, 1)
        dt, dy = t[j] - t[i], y[j] - y[i]
        keep = dt != 0
        slopes.append(dy[keep] / dt[keep])
        rising += int(slopes[-1].size > 0 and float(np.median(slopes[-1])) > 0)
        s_total += float(np.sum(np.sign(dt) * np.sign(dy)))
        var_total += n * (n - 1) * (2 * n + 5) / 18.0
    if not slopes or var_total == 0.0:
        return None
    ordered = np.sort(np.concatenate(slopes))
    count = ordered.size
    if count == 0:
        return None
    spread = float(stats.norm.ppf(0.5 + confidence / 2.0)) * math.sqrt(var_total)
    upper = min(round((count + spread) / 2.0), count - 1)
    lower = max(round((count - spread) / 2.0) - 1, 0)
    corrected = s_total - math.copysign(1.0, s_total) if s_total else 0.0
    p_rising = float(stats.norm.sf(corrected / math.sqrt(var_total)))
    ci = (float(ordered[lower]), float(ordered[upper]))
    return Slope(float(np.median(ordered)), ci, p_rising, len(slopes), rising)


def hinge_onset(times: FloatArray, values: FloatArray, groups: npt.NDArray[np.int64]) -> float:
    """Least-squares change point where a flat series starts to rise linearly (one level per group).

    Fits ``y = level[group] + b * max(0, t - tau)`` for every observed ``tau`` and keeps the best.
    """
    levels = np.eye(int(groups.max()) + 1)[groups]
    best_tau, best_sse = float(times.min()), math.inf
    for tau in np.unique(times)[:-2]:
        design = np.column_stack([levels, np.maximum(0.0, times - tau)])
        _, residuals, rank, _ = np.linalg.lstsq(design, values, rcond=None)
        if rank < design.shape[1]:
            continue
        sse = float(residuals[0]) if residuals.size else 0.0
        if sse < best_sse - 1e-12:
            best_tau, best_sse = float(tau), sse
    return best_tau
