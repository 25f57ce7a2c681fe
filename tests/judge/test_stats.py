"""The statistics against direct brute-force computations and scipy references."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from kassi_app.judge.stats import (
    bootstrap_quantile,
    hinge_onset,
    hodges_lehmann,
    holm,
    mann_whitney_greater,
    percentile_interval,
    proportion_greater,
    rate_above,
    stratified_theil_sen,
)


def _arr(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def _brute_u(head: list[float], base: list[float]) -> float:
    return sum((h > b) + 0.5 * (h == b) for h in head for b in base)


def test_mann_whitney_equals_exact_permutation_p_on_a_small_sample() -> None:
    head, base = [5.1, 6.3, 7.2, 8.8], [4.0, 4.9, 5.5, 6.0, 3.3]
    observed = _brute_u(head, base)
    pooled = head + base
    splits = list(itertools.combinations(range(len(pooled)), len(head)))
    at_least = sum(
        _brute_u([pooled[i] for i in s], [pooled[i] for i in range(len(pooled)) if i not in s]) >= observed
        for s in splits
    )
    assert mann_whitney_greater(_arr(*head), _arr(*base)) == pytest.approx(at_least / len(splits))


def test_mann_whitney_with_ties_is_close_to_the_permutation_p() -> None:
    head, base = [2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0, 6.0], [1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0]
    observed = _brute_u(head, base)
    pooled = head + base
    splits = list(itertools.combinations(range(len(pooled)), len(head)))
    exact = sum(
        _brute_u([pooled[i] for i in s], [pooled[i] for i in range(len(pooled)) if i not in s]) >= observed
        for s in splits
    ) / len(splits)
    assert mann_whitney_greater(_arr(*head), _arr(*base)) == pytest.approx(exact, abs=0.02)


def test_mann_whitney_on_identical_constant_samples_finds_nothing() -> None:
    assert mann_whitney_greater(np.full(20, 3.0), np.full(20, 3.0)) >= 0.5
    assert mann_whitney_greater(np.array([], dtype=np.float64), np.full(3, 1.0)) == 1.0


def test_hodges_lehmann_equals_brute_force_with_ties() -> None:
    head = [5.0, 5.0, 6.0, 7.5, 9.0, 6.0, 5.5]
    base = [4.0, 5.0, 5.0, 4.5, 6.0, 3.0]
    diffs = sorted(h - b for h in head for b in base)
    n1, n2, total = len(head), len(base), len(head) * len(base)
    k = math.floor(total / 2 - 1.959963984540054 * math.sqrt(total * (n1 + n2 + 1) / 12))
    est = hodges_lehmann(_arr(*head), _arr(*base), 0.95, max_pairs=10_000, seed=0)
    assert est.value == pytest.approx(float(np.median(diffs)))
    assert est.ci == (diffs[k], diffs[total - 1 - k])


def test_hodges_lehmann_on_sampled_pairs_matches_all_pairs() -> None:
    rng = np.random.default_rng(7)
    base = rng.lognormal(1.6, 0.3, 1500)
    head = rng.lognormal(1.6, 0.3, 1500) * 1.1
    exact = hodges_lehmann(head, base, 0.95, max_pairs=3_000_000, seed=0)
    sampled = hodges_lehmann(head, base, 0.95, max_pairs=200_000, seed=0)
    assert sampled.value == pytest.approx(exact.value, abs=0.02)
    assert sampled.ci[0] == pytest.approx(exact.ci[0], abs=0.03)
    assert sampled.ci[1] == pytest.approx(exact.ci[1], abs=0.03)
    assert sampled == hodges_lehmann(head, base, 0.95, max_pairs=200_000, seed=0)  # deterministic


def test_hodges_lehmann_of_a_pure_shift_recovers_it() -> None:
    base = np.arange(1.0, 41.0)
    est = hodges_lehmann(base + 2.5, base, 0.95, max_pairs=10_000, seed=0)
    assert est.value == pytest.approx(2.5)
    assert est.ci[0] < 2.5 < est.ci[1]


def test_bootstrap_quantile_matches_brute_force_resampling() -> None:
    rng = np.random.default_rng(3)
    values = rng.lognormal(1.6, 0.3, 400)
    fast = bootstrap_quantile(values, 0.95, 20_000, seed=1)
    brute = np.quantile(rng.choice(values, size=(20_000, values.size)), 0.95, axis=1, method="inverted_cdf")
    for a, b in zip(percentile_interval(fast, 0.95), percentile_interval(brute, 0.95), strict=True):
        assert a == pytest.approx(b, rel=0.01)
    assert float(np.mean(fast)) == pytest.approx(float(np.mean(brute)), rel=0.005)


def test_bootstrap_quantile_of_a_tiny_or_constant_sample() -> None:
    assert set(bootstrap_quantile(np.full(5, 2.0), 0.95, 100, seed=0)) == {2.0}
    draws = bootstrap_quantile(_arr(1.0, 2.0), 0.5, 2000, seed=0)
    assert set(draws) == {1.0, 2.0}
    assert float(np.mean(draws == 1.0)) == pytest.approx(0.75, abs=0.03)  # P(at least one of 2 draws is 1)


def test_holm_matches_the_textbook_step_down() -> None:
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5]) == [0.5]
    assert holm([]) == []
    assert holm([0.6, 0.6]) == [1.0, 1.0]


def test_proportion_greater_is_one_sided_fisher() -> None:
    assert proportion_greater(30, 1000, 0, 1000) < 1e-8
    assert proportion_greater(0, 1000, 30, 1000) == pytest.approx(1.0)
    assert proportion_greater(0, 1000, 0, 1000) == pytest.approx(1.0)
    assert proportion_greater(1000, 1000, 1000, 1000) == pytest.approx(1.0)  # all errors at both
    expected = stats.fisher_exact([[5, 95], [1, 99]], alternative="greater").pvalue
    assert proportion_greater(5, 100, 1, 100) == pytest.approx(expected)


def test_rate_above_slo() -> None:
    assert rate_above(50, 1000, 0.01) < 1e-10
    assert rate_above(5, 1000, 0.01) > 0.5
    assert rate_above(0, 0, 0.01) == 1.0


def test_single_stratum_theil_sen_equals_scipy() -> None:
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 30, 40))
    y = 5 + 0.2 * t + rng.normal(0, 1, 40)
    ours = stratified_theil_sen([(t, y)], 0.95)
    ref = stats.theilslopes(y, t, alpha=0.95)
    assert ours is not None
    assert ours.slope == pytest.approx(ref.slope)
    assert ours.ci == pytest.approx((ref.low_slope, ref.high_slope))
    kendall = stats.kendalltau(t, y, alternative="greater")
    assert ours.p_rising == pytest.approx(kendall.pvalue, rel=0.2)


def test_stratified_theil_sen_ignores_the_step_between_strata() -> None:
    t_low, t_high = np.arange(0, 10.0), np.arange(10, 20.0)
    flat = stratified_theil_sen([(t_low, np.full(10, 5.0) + t_low * 0), (t_high, np.full(10, 20.0))], 0.95)
    assert flat is not None and flat.slope == 0.0 and flat.p_rising > 0.4
    pooled = stats.theilslopes(np.r_[np.full(10, 5.0), np.full(10, 20.0)], np.r_[t_low, t_high])
    assert pooled.slope > 0 or pooled.high_slope > 0  # pooling would read the step as growth


def test_hinge_onset_finds_where_growth_starts() -> None:
    t = np.arange(0.0, 30.0, 0.5)
    y = 5.0 + np.where(t > 12.0, 0.8 * (t - 12.0), 0.0) + np.random.default_rng(1).normal(0, 0.1, t.size)
    assert hinge_onset(t, y, np.zeros(t.size, dtype=np.int64)) == pytest.approx(12.0, abs=1.0)
