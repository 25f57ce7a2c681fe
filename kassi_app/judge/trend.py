"""Latency that rises over the run: a robust slope per stage, its onset, and whether it matters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kassi_app.judge.samples import FloatArray, Sample, block_pairs
from kassi_app.judge.settings import JudgeSettings
from kassi_app.judge.stats import Estimate, hinge_onset, stratified_theil_sen

_MIN_PER_BUCKET = 3
_MIN_BUCKETS = 6


@dataclass(frozen=True)
class Trend:
    """Slope of per-bucket median latency against run time (ms per s). Pairs are taken only within one
    stage of one block, so neither the low-to-high concurrency step nor one slow block (a noisy
    neighbour) reads as growth; growth with accumulated state shows inside every stretch.
    ``rise_ms`` is the slope over the whole span."""

    slope_ms_per_s: Estimate
    p_rising: float
    rise_ms: float
    threshold_ms: float
    onset_s: float
    strata: int
    strata_rising: int

    def fires(self, p_adjusted: float, alpha: float) -> bool:
        """Significant, practically large, and rising in a strict majority of the stretches."""
        return (
            p_adjusted < alpha
            and self.slope_ms_per_s.ci[0] > 0
            and self.rise_ms >= self.threshold_ms
            and 2 * self.strata_rising > self.strata
        )


def trend(sample: Sample, run_start: float, settings: JudgeSettings) -> Trend | None:
    """The trend of ``sample`` (answered requests), or None when the run is too short to tell."""
    strata: list[tuple[FloatArray, FloatArray]] = []
    for stratum in sample.strata():
        t, y = _bucket_medians(stratum, run_start, settings.trend_bucket_s)
        if t.size >= 2:
            strata.append((t, y))
    if sum(t.size for t, _ in strata) < _MIN_BUCKETS:
        return None
    slope = stratified_theil_sen(strata, settings.confidence)
    if slope is None:
        return None
    times = np.concatenate([t for t, _ in strata])
    values = np.concatenate([y for _, y in strata])
    groups = np.concatenate([np.full(t.size, i, dtype=np.int64) for i, (t, _) in enumerate(strata)])
    return Trend(
        slope_ms_per_s=Estimate(slope.slope, slope.ci),
        p_rising=slope.p_rising,
        rise_ms=slope.slope * float(times.max() - times.min()),
        threshold_ms=max(settings.min_shift_ms, settings.min_trend_pct / 100.0 * float(np.median(sample.durations))),
        onset_s=hinge_onset(times, values, groups),
        strata=slope.strata,
        strata_rising=slope.strata_rising,
    )


def steeper_in_pairs(
    base: Sample, head: Sample, run_start: float, threshold_ms: float, settings: JudgeSettings
) -> bool:
    """Head's latency rose faster than base's in a strict majority of block pairs, by a slope that
    adds ``threshold_ms`` over the run (the scale the pooled trend is held to).

    Latency also ramps inside a stage when nothing is wrong (users arrive, queues fill); the base
    blocks show how much of that is normal for this route on this machine. Comparing pooled trends
    alone let one steep head stretch, or a base that rose in one block and fell in the other, read as
    growth; growth the change brings shows in every pair. Without a pair long enough for a trend on
    both sides there is nothing to check, and the pooled trends decide.
    """
    span_s = float(head.times.max() - head.times.min()) if head.n else 0.0
    steeper = compared = 0
    for pb, ph in block_pairs(base, head):
        tb, th = trend(pb, run_start, settings), trend(ph, run_start, settings)
        if tb is None or th is None:
            continue
        compared += 1
        steeper += (th.slope_ms_per_s.value - tb.slope_ms_per_s.value) * span_s >= threshold_ms
    return compared == 0 or 2 * steeper > compared


def _bucket_medians(sample: Sample, run_start: float, width_s: float) -> tuple[FloatArray, FloatArray]:
    """Median time and median latency per time bucket with enough requests (noise-robust points)."""
    rel = sample.times - run_start
    keys, inverse = np.unique(np.floor(rel / width_s).astype(np.int64), return_inverse=True)
    t_out: list[float] = []
    y_out: list[float] = []
    for index in range(keys.size):
        members = inverse == index
        if np.count_nonzero(members) >= _MIN_PER_BUCKET:
            t_out.append(float(np.median(rel[members])))
            y_out.append(float(np.median(sample.durations[members])))
    return np.array(t_out, dtype=np.float64), np.array(y_out, dtype=np.float64)
