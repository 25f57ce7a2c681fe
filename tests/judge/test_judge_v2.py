"""Judge v2 on synthetic A/B telemetry with known answers: same-stage scaling, the load mix, power,
the canary failure cases (a variance jump, a few 5xx, no data, few samples), and the USL fit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from judge_stubs import Changed
from kassi_bench.synthetic import RouteSpec, ab_events

from kassi_app.events import AccessEvent
from kassi_app.judge import JudgeSettings, judge_ab
from kassi_app.judge.power import minimum_detectable
from kassi_app.judge.throughput import fit_usl

ITEMS = Changed("GET", "/api/items")
OTHER = RouteSpec(route="/api/other", n=600, median_ms=3.0)


def _route(verdict: object, route: str) -> object:
    return next(r for r in verdict.routes if r.endpoint.route == route)  # type: ignore[attr-defined]


def test_a_route_faster_at_every_stage_is_never_degrading() -> None:
    """Head is ~85 % faster, and its latency grows x5 from low to high load where base's is flat: the
    old high/low ratio of ratios reads x5 worse scaling, yet head is faster at the high stage too."""
    events = ab_events([RouteSpec(shift_at_head=0.15, high_factor_at_head=5.0), OTHER], seed=21)
    verdict = judge_ab(events, [ITEMS])
    route = verdict.routes[0]
    assert route.effects["scaling_growth"] >= 4.0  # type: ignore[operator]
    assert verdict.cls == "HEALTHY", verdict.reason
    assert not route.signals


def test_slower_at_the_high_stage_against_base_is_a_scaling_fault() -> None:
    verdict = judge_ab(ab_events([RouteSpec(high_factor_at_head=4.0), OTHER], seed=6), [ITEMS])
    route = verdict.routes[0]
    assert "scaling" in {s.name for s in route.signals}
    low, _ = route.effects["high_stage_shift_ms_ci"]  # type: ignore[misc]
    assert low > 10.0  # 5 ms -> ~20 ms at the high stage


def _more_head_requests(events: list[AccessEvent], route: str, seed: int) -> list[AccessEvent]:
    """Head's requests to ``route`` doubled (a closed-model load sends more where users got freed)."""
    extra = [e for e in ab_events([RouteSpec(route=route, n=600, median_ms=3.0, shift_at_head=1.3)], seed=seed)
             if e.variant == "head"]
    return sorted(events + extra, key=lambda e: e._time)


def test_a_collateral_slowdown_the_changed_mix_explains_does_not_decide() -> None:
    """The changed route got 80 % cheaper; the untouched route got twice the requests and 30 % slower:
    the mix changed, which the verdict says instead of blaming the untouched route."""
    slowed = RouteSpec(route="/api/other", n=600, median_ms=3.0, shift_at_head=1.3)
    events = _more_head_requests(ab_events([RouteSpec(shift_at_head=0.2, n=1500), slowed], seed=22), "/api/other", 23)
    verdict = judge_ab(events, [ITEMS])
    other = _route(verdict, "/api/other")
    assert other.cls == "DEGRADING" and not other.decides  # type: ignore[attr-defined]
    assert "the load mix changed" in other.reason  # type: ignore[attr-defined]
    assert verdict.cls == "HEALTHY", verdict.reason
    assert "Also seen, not deciding: GET /api/other" in verdict.reason


def test_a_collateral_slowdown_at_the_same_request_rate_still_decides() -> None:
    slowed = RouteSpec(route="/api/other", n=600, median_ms=3.0, shift_at_head=1.3)
    verdict = judge_ab(ab_events([RouteSpec(shift_at_head=0.2, n=1500), slowed], seed=22), [ITEMS])
    assert verdict.cls == "DEGRADING" and _route(verdict, "/api/other").decides  # type: ignore[attr-defined]


def test_a_variance_jump_with_the_same_median_is_caught() -> None:
    """Head's slowest 20 % take twice as long: the median does not move, the p95 doubles."""
    events = ab_events([RouteSpec(n=1500), OTHER], seed=24)
    cut = float(np.quantile([e.duration_ms for e in events if e.variant == "head" and e.route == "/api/items"], 0.8))
    events = [dataclasses.replace(e, duration_ms=2 * e.duration_ms)
              if e.variant == "head" and e.route == "/api/items" and e.duration_ms > cut else e for e in events]
    verdict = judge_ab(events, [ITEMS])
    route = verdict.routes[0]
    assert abs(route.effects["shift_pct"]) < 5.0  # type: ignore[arg-type]
    assert verdict.cls == "DEGRADING" and "p95_shift" in {s.name for s in route.signals}, verdict.reason


def test_a_few_server_errors_at_head_against_none_at_base_are_caught() -> None:
    verdict = judge_ab(ab_events([RouteSpec(errors_at_head=0.015), OTHER], seed=25), [ITEMS])
    route = verdict.routes[0]
    assert route.effects["error_rate_base"] == 0.0 and 0 < route.effects["error_rate_head"] < 0.03  # type: ignore[operator]
    assert verdict.cls == "REGRESSION", verdict.reason


def test_no_data_for_one_side_is_inconclusive_never_healthy() -> None:
    events = [e for e in ab_events([RouteSpec(), OTHER], seed=26) if e.variant == "base"]
    verdict = judge_ab(events, [ITEMS])
    assert verdict.cls == "INCONCLUSIVE" and "no requests reached the head service" in verdict.reason


def test_few_samples_are_inconclusive_with_the_reason() -> None:
    verdict = judge_ab(ab_events([RouteSpec(n=30), OTHER], seed=27), [ITEMS])
    assert verdict.cls == "INCONCLUSIVE" and "too few samples (base 30, head 30; need 50 each)" in verdict.reason


def test_a_run_too_short_to_see_the_threshold_says_so_and_is_not_healthy() -> None:
    """300 requests per variant on a 5 ms route cannot see the 0.25 ms (5 %) a user set as mattering,
    so "no change found" would be a silent pass. The reason gives the figure."""
    verdict = judge_ab(ab_events([RouteSpec(n=300), OTHER], seed=28), [ITEMS], JudgeSettings(min_shift_pct=5.0))
    route = verdict.routes[0]
    assert route.cls == "INCONCLUSIVE" and "too short" in route.reason and "could detect shifts from" in route.reason
    assert route.effects["mde_ms"] > route.effects["threshold_ms"]  # type: ignore[operator]


def test_every_judged_route_states_its_minimum_detectable_shift() -> None:
    """The figure scales as 1/sqrt(n): four times the samples, half the detectable shift (block to
    block, the spread of each block's median shrinks the same way when blocks differ by sampling only;
    many blocks and routes, so the spread itself is well estimated)."""
    routes = [RouteSpec(route=f"/api/r{i}", n=0) for i in range(4)]

    def mde(n: int) -> float:
        specs = [dataclasses.replace(r, n=n) for r in routes] + [RouteSpec(n=n)]
        return float(judge_ab(ab_events(specs, seed=29, blocks=8), [ITEMS]).routes[0].effects["mde_ms"])  # type: ignore[arg-type]

    assert mde(1000) / mde(4000) == pytest.approx(2.0, rel=0.25)
    large = judge_ab(ab_events([RouteSpec(n=2000)], seed=29), [ITEMS]).routes[0].effects  # type: ignore[operator]
    assert large["mde_pct"] == pytest.approx(100 * large["mde_ms"] / large["median_base_ms"])  # type: ignore[operator]


def test_the_minimum_detectable_shift_formula() -> None:
    """A 95 % interval of +-1.96 is a standard error of 1: at alpha 0.05 and 80 % power the MDE is
    z_0.95 + z_0.8 = 1.645 + 0.842 standard errors."""
    power = minimum_detectable((-1.96, 1.96), 0.95, 0.05, 0.8, reference_ms=10.0, threshold_ms=2.0)
    assert power.mde_ms == pytest.approx(2.486, abs=0.002) and power.mde_pct == pytest.approx(24.86, abs=0.02)
    assert not power.enough


def test_the_changed_route_leads_the_reason_before_collateral() -> None:
    failing_other = RouteSpec(route="/api/a-other", n=600, errors_at_head=0.2)
    verdict = judge_ab(ab_events([failing_other, RouteSpec(errors_at_head=0.2)], seed=30), [ITEMS])
    assert verdict.cls == "REGRESSION"
    assert verdict.reason.index("GET /api/items") < verdict.reason.index("GET /api/a-other (collateral)")


def test_usl_from_three_levels_recovers_its_coefficients() -> None:
    lam, sigma, kappa = 50.0, 0.1, 0.002

    def usl(n: int) -> float:
        return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))

    fit = fit_usl([(n, usl(n)) for n in (1, 4, 16, 32)])
    assert fit is not None
    assert (fit.lam, fit.sigma, fit.kappa) == pytest.approx((lam, sigma, kappa), rel=1e-3)
    assert fit.peak_users == pytest.approx(((1 - sigma) / kappa) ** 0.5, rel=1e-3)


def test_usl_from_two_levels_says_what_it_could_identify() -> None:
    falling = fit_usl([(2, 100.0), (16, 40.0)])
    assert falling is not None and falling.sigma == 0.0 and falling.kappa > 0
    for n, x in ((2, 100.0), (16, 40.0)):  # the fit passes through both points
        assert falling.lam * n / (1 + falling.kappa * n * (n - 1)) == pytest.approx(x)
    assert "sigma set to 0" in falling.identified
    flat = fit_usl([(2, 100.0), (16, 110.0)])
    assert flat is not None and flat.kappa == 0.0 and 0 < flat.sigma < 1 and "kappa set to 0" in flat.identified
    assert fit_usl([(16, 40.0)]) is None
    # From 2 to 16 users the law can fall at most 15x (kappa -> infinity); a steeper collapse (a convoy
    # behind one lock) is said as such, with kappa at its bound, never a negative coefficient.
    collapse = fit_usl([(2, 430.0), (16, 15.0)])
    assert collapse is not None and collapse.kappa == 1.0 and collapse.sigma == 0.0
    assert "fell 29x, more than the USL can express" in collapse.identified


def test_a_short_run_that_rules_the_slowdown_out_is_healthy() -> None:
    """200 noisy requests cannot detect 0.25 ms, but when head is far faster the shift's interval ends below
    the threshold: a slowdown that matters is ruled out (equivalence), so the pass is not silent."""
    verdict = judge_ab(ab_events([RouteSpec(n=200, sigma=0.4, shift_at_head=0.5)], seed=31), [ITEMS])
    route = verdict.routes[0]
    assert route.effects["mde_ms"] > route.effects["threshold_ms"]  # type: ignore[operator]
    assert route.cls == "HEALTHY" and "interval ends at" in route.reason, route.reason
