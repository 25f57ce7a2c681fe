"""A/B latency comparison for one route: rank test, Hodges-Lehmann shift, p95, block consistency, and
the block-level tests (``judge.blocks``) that carry the decision when the run has blocks to compare."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from kassi_app.judge.blocks import BlockSpread, BlockTest, block_spread, median, p95
from kassi_app.judge.samples import FloatArray, Sample, block_pairs, consistent
from kassi_app.judge.settings import JudgeSettings
from kassi_app.judge.stats import (
    Estimate,
    bootstrap_quantile,
    hodges_lehmann,
    mann_whitney_greater,
    percentile_interval,
    proportion_greater,
)

_PAIR_MAX_PAIRS = 50_000  # per block pair only the point estimate is needed


@dataclass(frozen=True)
class LatencyComparison:
    """Head against base on answered requests. ``pairs_*`` count the interleaved block pairs (base
    block, head block) in which the shift / the p95 increase reached the practical threshold.

    ``p_value`` and ``p_tail`` are the request-level tests; ``median_blocks`` and ``p95_blocks``, once
    the run's routes are pooled (``with_blocks``), the block-level ones. A shift fires only when both
    levels agree (an intersection-union test: each is a valid test of no change, so requiring both
    keeps the level), and the block level, the one that sees the noise between blocks, sets the power.
    """

    median_base_ms: float
    median_head_ms: float
    threshold_ms: float
    shift_ms: Estimate
    p_value: float
    p95_base_ms: Estimate
    p95_head_ms: Estimate
    p95_increase_ms: Estimate
    p95_threshold_ms: float
    p_tail: float
    block_pairs: int
    pairs_shifted: int
    pairs_p95: int
    spread_median: BlockSpread | None = None
    spread_p95: BlockSpread | None = None
    median_blocks: BlockTest | None = None
    p95_blocks: BlockTest | None = None

    def with_blocks(self, median_test: BlockTest | None, p95_test: BlockTest | None) -> LatencyComparison:
        return dataclasses.replace(self, median_blocks=median_test, p95_blocks=p95_test)

    @property
    def p_shift(self) -> float:
        """The median shift's p-value: the larger of the request- and block-level ones."""
        return max(self.p_value, self.median_blocks.p_value) if self.median_blocks else self.p_value

    @property
    def p_tail_all(self) -> float:
        """The p95 increase's p-value: the larger of the request- and block-level ones."""
        return max(self.p_tail, self.p95_blocks.p_value) if self.p95_blocks else self.p_tail

    @property
    def shift_pct(self) -> float:
        return 100.0 * self.shift_ms.value / self.median_base_ms if self.median_base_ms > 0 else 0.0

    def shift_fires(self, p_adjusted: float, alpha: float) -> bool:
        return (
            p_adjusted < alpha
            and self.shift_ms.value >= self.threshold_ms
            and consistent(self.pairs_shifted, self.block_pairs)
        )

    def p95_fires(self, p_tail_adjusted: float, alpha: float) -> bool:
        """The p95 rose by a practical amount, consistently, and more requests exceed base's p95.

        The exceedance test (Fisher on the share of requests slower than the pooled p95) guards the
        bootstrap, which is unreliable when p95 sits on the edge of a slow mode (a bimodal tail).
        """
        return (
            p_tail_adjusted < alpha
            and self.p95_increase_ms.ci[0] >= self.p95_threshold_ms
            and consistent(self.pairs_p95, self.block_pairs)
        )


def compare_latency(base: Sample, head: Sample, settings: JudgeSettings) -> LatencyComparison:
    """Compare answered requests of ``head`` with ``base`` (both must be non-empty)."""
    b, h = base.durations, head.durations
    median_base = float(np.median(b))
    threshold = settings.threshold_ms(median_base)
    shift = hodges_lehmann(h, b, settings.confidence, settings.hl_max_pairs, settings.seed)
    boot_b = bootstrap_quantile(b, 0.95, settings.bootstrap_resamples, settings.seed)
    boot_h = bootstrap_quantile(h, 0.95, settings.bootstrap_resamples, settings.seed + 1)
    p95_base = float(np.quantile(b, 0.95))
    p95_threshold = settings.tail_threshold_ms(p95_base)
    pairs = block_pairs(base, head)
    shifted = sum(
        hodges_lehmann(ph.durations, pb.durations, settings.confidence, _PAIR_MAX_PAIRS, settings.seed).value
        >= threshold
        for pb, ph in pairs
    )
    p95_up = sum(
        float(np.quantile(ph.durations, 0.95) - np.quantile(pb.durations, 0.95)) >= p95_threshold for pb, ph in pairs
    )
    return LatencyComparison(
        median_base_ms=median_base,
        median_head_ms=float(np.median(h)),
        threshold_ms=threshold,
        shift_ms=shift,
        p_value=mann_whitney_greater(h, b),
        p95_base_ms=Estimate(p95_base, percentile_interval(boot_b, settings.confidence)),
        p95_head_ms=Estimate(float(np.quantile(h, 0.95)), percentile_interval(boot_h, settings.confidence)),
        p95_increase_ms=Estimate(
            float(np.quantile(h, 0.95)) - p95_base, percentile_interval(boot_h - boot_b, settings.confidence)
        ),
        p95_threshold_ms=p95_threshold,
        p_tail=_exceedance_p(h, b),
        block_pairs=len(pairs),
        pairs_shifted=int(shifted),
        pairs_p95=int(p95_up),
        spread_median=block_spread(base, head, median, settings.min_stage_samples),
        spread_p95=block_spread(base, head, p95, settings.min_stage_samples),
    )


def _exceedance_p(head: FloatArray, base: FloatArray) -> float:
    """One-sided Fisher p that more head than base requests are slower than the pooled p95.

    The cut is taken from both samples together, so under no change both exceed it equally often
    (taking base's own p95 would bias the test: base exceeds its own p95 exactly 5 % of the time).
    """
    cut = float(np.quantile(np.concatenate([head, base]), 0.95))
    return proportion_greater(
        int(np.count_nonzero(head > cut)), head.size, int(np.count_nonzero(base > cut)), base.size
    )
