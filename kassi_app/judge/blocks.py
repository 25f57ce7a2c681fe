"""Head against base block by block: a latency test whose unit is the block, not the request.

Requests in one block share that block's machine state (what else ran, the scheduler, caches, the
service instance's own state), so they are not independent draws. On a busy two-core machine a
route's median moves ~10 % from one block to the next, far more than the sampling error of thousands
of requests; a request-level rank test then calls that block noise a significant shift. A/A
calibration measured it: 3 false alarms in 18 runs of one commit against itself, each a median
"shift" that held in both block pairs. This is pseudo-replication, and the standard remedy for
clustered data applies: summarise each cluster by its statistic and test the difference between the
variants against the spread between clusters of the same variant.

A cluster here is one stage of one block (one load level, one variant, one stretch of time). Per
route and statistic (log median, log p95), stratified by stage because low and high concurrency
differ by design: the shift is the mean over stages of ``mean(head strata) - mean(base strata)``; the
noise is the spread of base's blocks around base's stage mean. Under the null hypothesis (the change
changed nothing) head's blocks are drawn like base's, so base's spread is the noise of both; head's
own spread is left out because it may be the change's doing: unbounded growth makes head's blocks
climb one after the other, and counting that as noise hid a doubled p95 behind it.

With the default two rounds a route has two such degrees of freedom (one per stage), too few for a t
test, so the variance is pooled over the run's routes (the limit of limma's moderated t, Smyth 2004,
when the routes' variances agree): block noise is mostly the machine's, shared by every route. For
the same reason the routes' residuals correlate (a mean correlation of 0.3-0.9 in A/A runs on this
machine), so the pooled degrees of freedom overstate the information (Kish's design effect
``1 + (k - 1) * rho`` for k routes; dividing by it left a default run unable to detect even a
doubling). The t test keeps the pooled degrees of freedom; the practical threshold, several block
standard errors wide (``JudgeSettings``), is what keeps block noise from an alarm, and ``kassi bench
calibration`` (A/A runs) is the check that the level holds.

scipy is imported inside the functions that use it (why: kassi_app.judge.stats).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from kassi_app.judge.samples import FloatArray, Sample
from kassi_app.judge.stats import Interval

Statistic = Callable[[FloatArray], float]


def median(values: FloatArray) -> float:
    return float(np.median(values))


def p95(values: FloatArray) -> float:
    return float(np.quantile(values, 0.95))


@dataclass(frozen=True)
class BlockSpread:
    """One statistic of one route over its strata: head's log shift over base and what its noise
    estimate rests on (standard error = sigma * ``scale``, sigma^2 estimated by ``ss / df`` from
    base's strata)."""

    log_shift: float
    scale: float
    ss: float
    df: int


def block_spread(base: Sample, head: Sample, statistic: Statistic, min_stratum: int) -> BlockSpread | None:
    """The stage-stratified block comparison of ``statistic`` (None when no stage has a stratum of
    at least ``min_stratum`` answered requests at both variants)."""
    shifts: list[float] = []
    variance_terms: list[float] = []
    ss, df = 0.0, 0
    base_stages, head_stages = base.by_stage(), head.by_stage()
    for stage in sorted(set(base_stages) & set(head_stages)):
        b = _log_strata(base_stages[stage], statistic, min_stratum)
        h = _log_strata(head_stages[stage], statistic, min_stratum)
        if not b or not h:
            continue
        shifts.append(float(np.mean(list(h.values())) - np.mean(list(b.values()))))
        variance_terms.append(1.0 / len(b) + 1.0 / len(h))
        base_logs = np.array(list(b.values()))
        ss += float(np.sum((base_logs - base_logs.mean()) ** 2))
        df += len(b) - 1
    if not shifts:
        return None
    return BlockSpread(float(np.mean(shifts)), math.sqrt(sum(variance_terms)) / len(shifts), ss, df)


def _log_strata(stage: Sample, statistic: Statistic, min_stratum: int) -> dict[int, float]:
    """Per block of one stage, the log of ``statistic`` (blocks with too few requests left out)."""
    out = {}
    for block in np.unique(stage.blocks[stage.blocks >= 0]):
        values = stage.durations[stage.blocks == block]
        if values.size >= min_stratum and (value := statistic(values)) > 0:
            out[int(block)] = math.log(value)
    return out


@dataclass(frozen=True)
class BlockTest:
    """Head against base with the block as the unit: the shift in per cent, its interval, the
    one-sided p-value that head is slower, and the t test's standard error (log) and degrees of
    freedom, from which the minimum detectable shift follows."""

    shift_pct: float
    ci_pct: Interval
    p_value: float
    se_log: float
    df: int

    def mde_pct(self, alpha: float, power: float) -> float:
        """The smallest shift (per cent) this test detects at level ``alpha`` with ``power``."""
        from scipy import stats  # at first use: see the module docstring
        t = float(stats.t.ppf(1.0 - alpha, self.df)) + float(stats.t.ppf(power, self.df))
        return 100.0 * math.expm1(t * self.se_log)

    def describe(self) -> str:
        return f"{self.shift_pct:+.1f} % block to block (CI {self.ci_pct[0]:+.1f} to {self.ci_pct[1]:+.1f} %)"


def pooled_tests(spreads: Sequence[BlockSpread | None], confidence: float) -> list[BlockTest | None]:
    """One block test per spread on the variance pooled over every spread (see the module docstring);
    None where there is no spread or no residual degree of freedom anywhere."""
    from scipy import stats  # at first use: see the module docstring
    present = [s for s in spreads if s is not None]
    total_ss, total_df = sum(s.ss for s in present), sum(s.df for s in present)
    if total_df == 0:
        return [None for _ in spreads]
    sigma = math.sqrt(total_ss / total_df)
    df = total_df
    out: list[BlockTest | None] = []
    for s in spreads:
        se = sigma * s.scale if s is not None else 0.0
        if s is None or se <= 0:
            out.append(None)
            continue
        half = float(stats.t.ppf(0.5 + confidence / 2.0, df)) * se
        p = float(stats.t.sf(s.log_shift / se, df))
        out.append(BlockTest(
            100.0 * math.expm1(s.log_shift),
            (100.0 * math.expm1(s.log_shift - half), 100.0 * math.expm1(s.log_shift + half)),
            p, se, df,
        ))
    return out
