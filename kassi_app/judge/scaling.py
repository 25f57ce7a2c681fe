"""Concurrency scaling: median latency at the high-concurrency stage over the low one.

A handler that serialises on a lock grows with the number of users; a healthy one stays near flat
until the machine saturates, which is why A/B compares head's scaling with base's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kassi_app.judge.samples import FloatArray, Sample, block_pairs, consistent
from kassi_app.judge.settings import JudgeSettings
from kassi_app.judge.stats import Estimate, bootstrap_quantile, percentile_interval


@dataclass(frozen=True)
class Scaling:
    """``ratio`` = median(high) / median(low) with a bootstrap interval; ``draws`` its bootstrap draws."""

    ratio: Estimate
    draws: FloatArray


def scaling(sample: Sample, settings: JudgeSettings, seed: int) -> Scaling | None:
    """The scaling of ``sample`` (answered requests), or None without enough requests in both stages."""
    stages = sample.by_stage()
    low, high = stages.get("low"), stages.get("high")
    if low is None or high is None or min(low.n, high.n) < settings.min_stage_samples:
        return None
    low_median = float(np.median(low.durations))
    if low_median <= 0:
        return None
    draws = bootstrap_quantile(high.durations, 0.5, settings.bootstrap_resamples, seed) / np.maximum(
        bootstrap_quantile(low.durations, 0.5, settings.bootstrap_resamples, seed + 1), 1e-9
    )
    ratio = float(np.median(high.durations)) / low_median
    return Scaling(Estimate(ratio, percentile_interval(draws, settings.confidence)), draws)


def growth(head: Scaling, base: Scaling, confidence: float) -> Estimate:
    """How much worse head scales than base (ratio of ratios) with a bootstrap interval."""
    return Estimate(head.ratio.value / base.ratio.value, percentile_interval(head.draws / base.draws, confidence))


def point_ratio(sample: Sample, min_stage_samples: int) -> float | None:
    """median(high) / median(low) without an interval (per block), or None without both stages."""
    stages = sample.by_stage()
    low, high = stages.get("low"), stages.get("high")
    if low is None or high is None or min(low.n, high.n) < min_stage_samples:
        return None
    low_median = float(np.median(low.durations))
    return float(np.median(high.durations)) / low_median if low_median > 0 else None


def scales_worse_in_pairs(base: Sample, head: Sample, limit: float, min_stage_samples: int) -> bool:
    """Head scaled ``limit`` times worse than base in a strict majority of block pairs: the pooled
    interval alone would let one noisy block carry the signal."""
    worse = compared = 0
    for pb, ph in block_pairs(base, head):
        rb, rh = point_ratio(pb, min_stage_samples), point_ratio(ph, min_stage_samples)
        if rb is None or rh is None:
            continue
        compared += 1
        worse += rh / rb >= limit
    return consistent(worse, compared)
