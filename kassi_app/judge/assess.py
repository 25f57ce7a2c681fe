"""Per-route assessments: raw statistics first, the class after the p-values are adjusted.

Holm is applied over every test of the run at once (server errors, throttling, latency, tail and
trend, on every route): one false alarm on any route or test fails the build just the same, so the
run's family-wise error rate is the quantity to control (not the false discovery rate, which
Benjamini-Hochberg controls). Holm controls it under any dependence between the tests (they share
one machine and one run), and is uniformly more powerful than Bonferroni. The faults kassi exists for
move a route by multiples, which keeps even the block-level p-values (a few blocks, pooled over the
run's routes) far below alpha / m.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from kassi_app.endpoint import Endpoint
from kassi_app.judge.blocks import BlockTest, pooled_tests
from kassi_app.judge.latency import LatencyComparison, compare_latency
from kassi_app.judge.model import Effect, RouteVerdict, Signal, VerdictClass
from kassi_app.judge.power import Power, minimum_detectable
from kassi_app.judge.samples import Sample, consistent
from kassi_app.judge.scaling import Scaling, growth, scales_worse_in_pairs, scaling
from kassi_app.judge.settings import JudgeSettings, Slo
from kassi_app.judge.stats import (
    bootstrap_quantile,
    hodges_lehmann,
    percentile_interval,
    proportion_greater,
    rate_above,
)
from kassi_app.judge.throughput import Retrograde, StageWindows, UslFit, fit_usl, retrograde, stage_rates
from kassi_app.judge.trend import Trend, steeper_in_pairs, trend

Adjusted = dict[str, float]
_LATENCY_SIGNALS = frozenset({"latency_shift", "p95_shift", "trend", "scaling"})


@dataclass
class ABRoute:
    """Head against base for one route (both variants present)."""

    endpoint: Endpoint
    change: str
    base: Sample
    head: Sample
    settings: JudgeSettings
    run_start: float
    windows: StageWindows = field(default_factory=dict)
    p_values: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.settings
        self.enough = min(self.base.n, self.head.n) >= s.min_samples
        self.ok_base, self.ok_head = self.base.answered(), self.head.answered()
        ok_base, ok_head = self.ok_base, self.ok_head
        self.latency: LatencyComparison | None = None
        self.trend_head: Trend | None = None
        self.trend_base: Trend | None = None
        self.scaling_head: Scaling | None = None
        self.scaling_base: Scaling | None = None
        if not self.enough:
            return
        self.p_values["server_errors"] = proportion_greater(
            self.head.server_errors, self.head.n, self.base.server_errors, self.base.n
        )
        self.p_values["throttling"] = proportion_greater(
            self.head.throttled, self.head.n, self.base.throttled, self.base.n
        )
        if min(ok_base.n, ok_head.n) < s.min_samples:
            return
        self.latency = compare_latency(ok_base, ok_head, s)
        self.p_values["latency"] = self.latency.p_shift
        self.p_values["tail"] = self.latency.p_tail_all
        self.trend_head = trend(ok_head, self.run_start, s)
        self.trend_base = trend(ok_base, self.run_start, s)
        if self.trend_head:
            self.p_values["trend"] = self.trend_head.p_rising
        self.scaling_head = scaling(ok_head, s, s.seed + 2)
        self.scaling_base = scaling(ok_base, s, s.seed + 4)

    def decide(self, adjusted: Adjusted) -> RouteVerdict:
        s = self.settings
        samples = {"base": self.base.n, "head": self.head.n}
        if not self.enough:
            reason = f"too few samples (base {self.base.n}, head {self.head.n}; need {s.min_samples} each)"
            return RouteVerdict(self.endpoint, "INCONCLUSIVE", reason, self.change, samples)
        rates = _rates(self.base, "base") | _rates(self.head, "head")
        errors_up = rates["error_rate_head"] - rates["error_rate_base"]
        throttle_up = rates["throttle_rate_head"] - rates["throttle_rate_base"]
        signals: list[Signal] = []
        if adjusted["server_errors"] < s.alpha and errors_up >= s.failure_threshold(rates["error_rate_base"]):
            signals.append(Signal("server_errors", _rate_change("server errors", rates, "error_rate")))
        if (
            adjusted["throttling"] < s.alpha
            and throttle_up >= s.failure_threshold(rates["throttle_rate_base"])
            and self.head.throttled > self.head.server_errors
        ):
            signals.append(Signal("throttling", _rate_change("429 responses", rates, "throttle_rate")))
        effects: dict[str, Effect] = dict(rates)
        power: Power | None = None
        if self.latency is not None:
            effects |= _latency_effects(self.latency)
            signals += _latency_signals(self.latency, adjusted, s)
            power = _power(self.latency, s)
            effects |= {"mde_ms": power.mde_ms, "mde_pct": power.mde_pct}
        if self.trend_head is not None:
            effects |= _trend_effects(self.trend_head)
            if self._growth_explains(self.trend_head, signals, adjusted["trend"]):
                signals.append(Signal("trend", _trend_detail(self.trend_head)))
        if self.scaling_head is not None and self.scaling_base is not None:
            g = growth(self.scaling_head, self.scaling_base, s.confidence)
            effects |= {
                "scaling_base": self.scaling_base.ratio.value,
                "scaling_head": self.scaling_head.ratio.value,
                "scaling_growth": g.value,
                "scaling_growth_ci": g.ci,
            }
            if (
                g.ci[0] >= s.max_scaling_growth
                and self._slower_at_high_stage(effects)
                and scales_worse_in_pairs(self.ok_base, self.ok_head, s.max_scaling_growth, s.min_stage_samples)
            ):
                signals.append(
                    Signal(
                        "scaling",
                        (
                            f"x{self.scaling_head.ratio.value:.1f} high/low concurrency at head against "
                            f"x{self.scaling_base.ratio.value:.1f} at base "
                            f"(x{g.value:.1f}, CI {g.ci[0]:.1f}-{g.ci[1]:.1f})"
                        ),
                    )
                )
        if signals and self._faster_at_every_stage():
            # A route that got faster at every stage (median and p95) is not degrading, whatever its
            # shape: a handler that became fast shows the queueing a slow one hid.
            signals = [sig for sig in signals if sig.name not in _LATENCY_SIGNALS]
        upper = _upper_shift_ms(self.latency) if self.latency is not None else None
        cls, reason = _classify(signals, latency_judged=self.latency is not None, power=power, settings=s,
                                upper_ms=upper)
        p_values = {k: (v, adjusted[k]) for k, v in self.p_values.items()}
        return RouteVerdict(self.endpoint, cls, reason, self.change, samples, effects, p_values, tuple(signals))

    def pool_blocks(self, median_test: BlockTest | None, p95_test: BlockTest | None) -> None:
        """Take the block-level tests (pooled over the run's routes by ``pool_block_tests``)."""
        if self.latency is None:
            return
        self.latency = self.latency.with_blocks(median_test, p95_test)
        self.p_values["latency"] = self.latency.p_shift
        self.p_values["tail"] = self.latency.p_tail_all

    def _slower_at_high_stage(self, effects: dict[str, Effect]) -> bool:
        """Head against base at the same, high-concurrency stage: head's latency there is higher by the
        practical threshold (the lower end of its interval) and its throughput not clearly higher.
        A ratio of ratios (high/low at head over high/low at base) alone fires when head's *low*
        stage got fast, which is an improvement."""
        s = self.settings
        base_high, head_high = self.ok_base.by_stage().get("high"), self.ok_head.by_stage().get("high")
        if base_high is None or head_high is None or min(base_high.n, head_high.n) < s.min_stage_samples:
            return False
        shift = hodges_lehmann(head_high.durations, base_high.durations, s.confidence, s.hl_max_pairs, s.seed + 8)
        rate_base = stage_rates(self.base, self.windows, s.trend_bucket_s).get("high")
        rate_head = stage_rates(self.head, self.windows, s.trend_bucket_s).get("high")
        effects["high_stage_shift_ms"] = shift.value
        effects["high_stage_shift_ms_ci"] = shift.ci
        if rate_base is not None and rate_head is not None:
            effects["throughput_high_base"] = rate_base.rate
            effects["throughput_high_head"] = rate_head.rate
        # Head serving clearly more requests at the high stage (by the margin a throughput drop is held
        # to) is a route that scales better, whatever its latency.
        more = 1.0 + s.max_throughput_drop_pct / 100.0
        rate_ok = rate_base is None or rate_head is None or rate_head.rate < rate_base.rate * more
        return shift.ci[0] >= s.threshold_ms(float(np.median(base_high.durations))) and rate_ok

    def _faster_at_every_stage(self) -> bool:
        """Median and p95 of head at or below base's in every stage both variants ran."""
        base_stages, head_stages = self.ok_base.by_stage(), self.ok_head.by_stage()
        common = [st for st in base_stages if st in head_stages and base_stages[st].n and head_stages[st].n]
        return bool(common) and all(
            float(np.quantile(head_stages[st].durations, q)) <= float(np.quantile(base_stages[st].durations, q))
            for st in common
            for q in (0.5, 0.95)
        )

    def _growth_explains(self, head: Trend, signals: list[Signal], p_adjusted: float) -> bool:
        """With a baseline, a trend explains a slowdown; it does not raise one on its own.

        Head must be measurably slower than base (a shift or tail signal fired), its trend must fire,
        base must not rise the same way, and head must rise faster than base in a strict majority of
        block pairs. Within 8 s blocks a slope also picks up what is not growth: latency climbing while
        a stage's users queue up, and state that grows to a cap at both refs (a bounded cache). Growth
        the change brings makes head slower than base over the same load, which the shift and tail
        tests measure directly; the trend then says why.
        """
        s = self.settings
        if not any(sig.name in ("latency_shift", "p95_shift") for sig in signals):
            return False
        if not head.fires(p_adjusted, s.alpha):
            return False
        if self.trend_base is not None and self.trend_base.fires(self.trend_base.p_rising, s.alpha):
            return False
        return steeper_in_pairs(self.ok_base, self.ok_head, self.run_start, head.threshold_ms, s)


@dataclass
class SoloRoute:
    """One variant judged without a baseline (live, new routes): errors against the SLO; latency against
    the SLO's p95 (when one is set) and its own trend; scaling by throughput across the stages.

    Latency growing with users is not judged: on a saturated server it is what queueing does (with
    throughput flat, latency grows in proportion to the users waiting). Throughput that falls as users
    rise, or errors that appear only under load, is retrograde scaling, and that is judged.
    """

    endpoint: Endpoint
    change: str
    variant: str
    sample: Sample
    settings: JudgeSettings
    slo: Slo
    run_start: float
    windows: StageWindows = field(default_factory=dict)
    stage_users: tuple[int, int] | None = None
    p_values: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.settings
        self.enough = self.sample.n >= s.min_samples
        self.ok = self.sample.answered()
        self.trend: Trend | None = None
        self.retro: Retrograde | None = None
        self.stage_errors: tuple[Sample, Sample] | None = None
        if not self.enough:
            return
        self.p_values["server_errors"] = rate_above(self.sample.server_errors, self.sample.n, self.slo.error_rate)
        self.p_values["throttling"] = rate_above(self.sample.throttled, self.sample.n, self.slo.error_rate)
        stages = self.sample.by_stage()
        if "low" in stages and "high" in stages:
            low, high = stages["low"], stages["high"]
            self.stage_errors = (low, high)
            self.p_values["errors_under_load"] = proportion_greater(
                high.server_errors, high.n, low.server_errors, low.n
            )
        self.retro = retrograde(stage_rates(self.sample, self.windows, s.trend_bucket_s), s.max_throughput_drop_pct)
        if self.retro is not None:
            self.p_values["scaling"] = self.retro.p_value
        if self.ok.n >= s.min_samples:
            self.trend = trend(self.ok, self.run_start, s)
            if self.trend:
                self.p_values["trend"] = self.trend.p_rising

    def decide(self, adjusted: Adjusted) -> RouteVerdict:
        s, sample = self.settings, self.sample
        samples = {self.variant: sample.n}
        if not self.enough:
            reason = f"too few samples ({self.variant} {sample.n}; need {s.min_samples})"
            return RouteVerdict(self.endpoint, "INCONCLUSIVE", reason, self.change, samples)
        rates = _rates(sample, "head")
        effects: dict[str, Effect] = dict(rates)
        signals: list[Signal] = []
        slo_pct = f"{100 * self.slo.error_rate:.1f} %"
        if adjusted["server_errors"] < s.alpha and rates["error_rate_head"] > self.slo.error_rate:
            signals.append(
                Signal(
                    "server_errors",
                    f"server errors {100 * rates['error_rate_head']:.1f} % above the SLO {slo_pct}",
                )
            )
        if adjusted["throttling"] < s.alpha and sample.throttled > sample.server_errors:
            signals.append(
                Signal("throttling", f"429 responses {100 * rates['throttle_rate_head']:.1f} % above {slo_pct}")
            )
        effects |= self._scaling(signals, adjusted)
        undecided: str | None = None
        if self.ok.n >= s.min_samples:
            latency, undecided = self._latency(signals, adjusted)
            effects |= latency
        cls, reason = _classify(signals, latency_judged=self.ok.n >= s.min_samples, power=None, settings=s)
        if cls == "HEALTHY" and undecided:
            cls, reason = "INCONCLUSIVE", undecided
        elif cls == "HEALTHY":
            reason = self._healthy_reason(effects)
        p_values = {k: (v, adjusted[k]) for k, v in self.p_values.items()}
        return RouteVerdict(self.endpoint, cls, reason, self.change, samples, effects, p_values, tuple(signals))

    def _healthy_reason(self, effects: dict[str, Effect]) -> str:
        parts = ["errors within the SLO, no rising trend"]
        low, high = effects.get("throughput_low"), effects.get("throughput_high")
        if isinstance(low, float) and isinstance(high, float):
            users = f" from {self.stage_users[0]} to {self.stage_users[1]} users" if self.stage_users else ""
            parts.append(f"throughput {low:.0f} → {high:.0f} req/s{users} (no retrograde scaling)")
        if self.slo.p95_ms is not None:
            parts.append(f"p95 within the SLO {self.slo.p95_ms:g} ms")
        else:
            parts.append("latency was not judged against an SLO: none set")
        return "; ".join(parts)

    def _scaling(self, signals: list[Signal], adjusted: Adjusted) -> dict[str, Effect]:
        """Retrograde scaling: throughput falling from the low to the high stage, or server errors that
        appear only under load. The USL coefficients are reported with it."""
        s, effects = self.settings, dict[str, Effect]()
        retro = self.retro
        fit: UslFit | None = None
        if retro is not None:
            effects |= {"throughput_low": retro.low_rate, "throughput_high": retro.high_rate,
                        "throughput_drop_pct": retro.drop_pct}
            if self.stage_users is not None:
                fit = fit_usl([(self.stage_users[0], retro.low_rate), (self.stage_users[1], retro.high_rate)])
            if fit is not None:
                effects |= {"usl_lambda": fit.lam, "usl_sigma": fit.sigma, "usl_kappa": fit.kappa}
            if (
                adjusted["scaling"] < s.alpha
                and retro.drop_pct >= s.max_throughput_drop_pct
                and consistent(retro.blocks_dropped, retro.blocks)
            ):
                users = f" from {self.stage_users[0]} to {self.stage_users[1]} users" if self.stage_users else ""
                usl = f"; {fit.describe()}" if fit is not None else ""
                signals.append(Signal(
                    "scaling",
                    f"retrograde scaling: throughput fell {retro.drop_pct:.0f} % ({retro.low_rate:.0f} → "
                    f"{retro.high_rate:.0f} req/s){users}, in {retro.blocks_dropped} of {retro.blocks} blocks{usl}",
                ))
        if self.stage_errors is not None and "errors_under_load" in adjusted:
            low, high = self.stage_errors
            low_rate, high_rate = low.server_errors / max(low.n, 1), high.server_errors / max(high.n, 1)
            if adjusted["errors_under_load"] < s.alpha and high_rate - low_rate >= s.min_error_increase:
                signals.append(Signal(
                    "errors_under_load",
                    f"server errors appear under load: {100 * low_rate:.1f} % at the low stage → "
                    f"{100 * high_rate:.1f} % at the high stage",
                ))
        return effects

    def _latency(self, signals: list[Signal], adjusted: Adjusted) -> tuple[dict[str, Effect], str | None]:
        """p95 against the SLO and the trend; with it, what the run could have resolved: the p95
        interval (an SLO inside it cannot be told apart) and the smallest median shift a baseline of
        the same size would have shown (two samples: the standard error grows by sqrt 2)."""
        s, durations = self.settings, self.ok.durations
        boot = bootstrap_quantile(durations, 0.95, s.bootstrap_resamples, s.seed)
        p95 = float(np.quantile(durations, 0.95))
        p95_ci = percentile_interval(boot, s.confidence)
        median = float(np.median(durations))
        median_ci = percentile_interval(bootstrap_quantile(durations, 0.5, s.bootstrap_resamples, s.seed + 3),
                                        s.confidence)
        half = (median_ci[1] - median_ci[0]) * np.sqrt(2.0) / 2.0
        power = minimum_detectable((median - half, median + half), s.confidence, s.alpha, s.power, median,
                                   s.threshold_ms(median))
        effects: dict[str, Effect] = {
            "median_head_ms": median,
            "p95_head_ms": p95,
            "p95_head_ms_ci": p95_ci,
            "mde_ms": power.mde_ms,
            "mde_pct": power.mde_pct,
        }
        undecided: str | None = None
        if self.slo.p95_ms is not None and p95_ci[0] > self.slo.p95_ms:
            signals.append(
                Signal(
                    "slo_p95",
                    f"p95 {p95:.1f} ms (CI {p95_ci[0]:.1f}-{p95_ci[1]:.1f}) above the SLO {self.slo.p95_ms:g} ms",
                )
            )
        elif self.slo.p95_ms is not None and p95_ci[1] > self.slo.p95_ms:
            undecided = (
                f"too short to tell the p95 from the SLO: p95 {p95:.1f} ms, CI {p95_ci[0]:.1f}-{p95_ci[1]:.1f} "
                f"ms contains the SLO {self.slo.p95_ms:g} ms"
            )
        if self.trend is not None:
            effects |= _trend_effects(self.trend)
            if self.trend.fires(adjusted["trend"], s.alpha):
                signals.append(Signal("trend", _trend_detail(self.trend)))
        return effects, undecided


def _rates(sample: Sample, variant: str) -> dict[str, float]:
    n = max(sample.n, 1)
    return {
        f"error_rate_{variant}": sample.server_errors / n,
        f"throttle_rate_{variant}": sample.throttled / n,
    }


def _rate_change(what: str, rates: dict[str, float], key: str) -> str:
    base, head = rates[f"{key}_base"], rates[f"{key}_head"]
    return f"{what} {100 * base:.1f} % at base → {100 * head:.1f} % at head (+{100 * (head - base):.1f} points)"


def pool_block_tests(routes: Sequence[ABRoute], confidence: float) -> None:
    """Give every A/B route its block-level median and p95 tests, the block noise pooled over the
    run's routes (``judge.blocks``): a route's own few blocks cannot estimate it on their own."""
    judged = [r for r in routes if r.latency is not None]
    medians = pooled_tests([r.latency.spread_median for r in judged if r.latency], confidence)
    tails = pooled_tests([r.latency.spread_p95 for r in judged if r.latency], confidence)
    for route, median_test, p95_test in zip(judged, medians, tails, strict=True):
        route.pool_blocks(median_test, p95_test)


def _power(lat: LatencyComparison, s: JudgeSettings) -> Power:
    """The smallest median shift the run could detect: from the block-level test when there is one
    (the noise between blocks is what a shift must stand out from), else from the request level."""
    if lat.median_blocks is None:
        return minimum_detectable(lat.shift_ms.ci, s.confidence, s.alpha, s.power, lat.median_base_ms,
                                  lat.threshold_ms)
    pct = lat.median_blocks.mde_pct(s.alpha, s.power)
    return Power(lat.median_base_ms * pct / 100.0, pct, lat.threshold_ms)


def _upper_shift_ms(lat: LatencyComparison) -> float:
    """The upper end of the median shift's interval, in ms: the wider of the two levels' intervals."""
    upper = lat.shift_ms.ci[1]
    if lat.median_blocks is not None:
        upper = max(upper, lat.median_base_ms * lat.median_blocks.ci_pct[1] / 100.0)
    return upper


def _latency_effects(lat: LatencyComparison) -> dict[str, Effect]:
    base = lat.median_base_ms or 1.0
    blocks: dict[str, Effect] = {} if lat.median_blocks is None else {
        "block_shift_pct": lat.median_blocks.shift_pct,
        "block_shift_pct_ci": lat.median_blocks.ci_pct,
        "block_df": float(lat.median_blocks.df),
    }
    return blocks | {
        "median_base_ms": lat.median_base_ms,
        "median_head_ms": lat.median_head_ms,
        "shift_ms": lat.shift_ms.value,
        "shift_ms_ci": lat.shift_ms.ci,
        "shift_pct": lat.shift_pct,
        "shift_pct_ci": (100 * lat.shift_ms.ci[0] / base, 100 * lat.shift_ms.ci[1] / base),
        "threshold_ms": lat.threshold_ms,
        "p95_base_ms": lat.p95_base_ms.value,
        "p95_base_ms_ci": lat.p95_base_ms.ci,
        "p95_head_ms": lat.p95_head_ms.value,
        "p95_head_ms_ci": lat.p95_head_ms.ci,
        "p95_increase_ms_ci": lat.p95_increase_ms.ci,
        "block_pairs": float(lat.block_pairs),
        "block_pairs_shifted": float(lat.pairs_shifted),
    }


def _latency_signals(lat: LatencyComparison, adjusted: Adjusted, s: JudgeSettings) -> list[Signal]:
    found: list[Signal] = []
    pairs = f", in {lat.pairs_shifted} of {lat.block_pairs} block pairs" if lat.block_pairs > 1 else ""
    if lat.shift_fires(adjusted["latency"], s.alpha):
        low, high = lat.shift_ms.ci
        found.append(
            Signal(
                "latency_shift",
                (
                    f"median {lat.median_base_ms:.2f} → {lat.median_head_ms:.2f} ms, "
                    f"shift +{lat.shift_ms.value:.2f} ms "
                    f"(+{lat.shift_pct:.1f} %, CI {low:.2f}-{high:.2f} ms{pairs}"
                    f"{'; ' + lat.median_blocks.describe() if lat.median_blocks else ''})"
                ),
            )
        )
    if lat.p95_fires(adjusted["tail"], s.alpha):
        low, high = lat.p95_increase_ms.ci
        found.append(
            Signal(
                "p95_shift",
                (
                    f"p95 {lat.p95_base_ms.value:.2f} → {lat.p95_head_ms.value:.2f} ms "
                    f"(increase CI {low:.2f}-{high:.2f} ms)"
                ),
            )
        )
    return found


def _trend_effects(t: Trend) -> dict[str, Effect]:
    return {
        "trend_ms_per_s": t.slope_ms_per_s.value,
        "trend_ms_per_s_ci": t.slope_ms_per_s.ci,
        "trend_rise_ms": t.rise_ms,
        "trend_onset_s": t.onset_s,
    }


def _trend_detail(t: Trend) -> str:
    return f"+{t.slope_ms_per_s.value:.2f} ms/s from t={t.onset_s:.0f} s (+{t.rise_ms:.1f} ms over the run)"


def _classify(
    signals: list[Signal],
    *,
    latency_judged: bool,
    power: Power | None,
    settings: JudgeSettings,
    upper_ms: float | None = None,
) -> tuple[VerdictClass, str]:
    """The route's class. A pass needs evidence too: the run could detect the practical threshold
    (power), or the shift's interval ends below it (an equivalence test, as TOST: a slowdown that
    matters is ruled out at the interval's level even when the run could not have detected one)."""
    names = {s.name for s in signals}
    detail = "; ".join(s.detail for s in signals)
    if "server_errors" in names:
        return "REGRESSION", detail
    if "throttling" in names:
        return "THROTTLED", detail
    if names:
        return "DEGRADING", detail
    if not latency_judged:
        return "INCONCLUSIVE", f"too few answered requests to judge latency (need {settings.min_samples})"
    if power is not None and not power.enough and upper_ms is not None and upper_ms < power.threshold_ms:
        return "HEALTHY", (
            f"no practically significant change: the shift's interval ends at {upper_ms:+.2f} ms, below the "
            f"{power.threshold_ms:.2f} ms that matters (the run {power.describe()})"
        )
    if power is not None and not power.enough:
        return "INCONCLUSIVE", (
            f"too noisy or too short: the run {power.describe()} at {100 * settings.power:.0f} % power, "
            f"larger than the smallest shift that matters ({power.threshold_ms:.2f} ms): it needs more samples"
        )
    if power is not None:
        return "HEALTHY", f"no practically significant change (the run {power.describe()})"
    return "HEALTHY", "no practically significant change"
