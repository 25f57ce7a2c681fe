"""The block-level test on synthetic runs with known answers: block noise alone is not a shift, a
real shift well above the block noise is; what the request-level test alone got wrong (A/A runs on a
busy machine raised alarms because requests in one block share that block's state)."""

from __future__ import annotations

import dataclasses

import numpy as np
from judge_stubs import Changed
from kassi_bench.synthetic import RouteSpec, ab_events

from kassi_app.events import AccessEvent
from kassi_app.judge import JudgeSettings, judge_ab
from kassi_app.judge.blocks import BlockSpread, pooled_tests
from kassi_app.judge.stats import mann_whitney_greater

ROUTES = [RouteSpec(route=f"/api/r{i}", median_ms=5.0 + i) for i in range(4)]
CHANGED = [Changed("GET", r.route) for r in ROUTES]


def with_block_noise(events: list[AccessEvent], sigma: float, seed: int) -> list[AccessEvent]:
    """Every request of a (block, stage) scaled by that stratum's own factor: the machine's state
    during a stretch of the run, shared by every route and not by the other blocks."""
    rng = np.random.default_rng(seed)
    factors: dict[tuple[int, str], float] = {}
    out = []
    for e in events:
        f = factors.setdefault((e.block, e.stage), float(np.exp(rng.normal(0.0, sigma))))
        out.append(dataclasses.replace(e, duration_ms=e.duration_ms * f))
    return out


def test_block_noise_alone_raises_no_alarm_where_the_request_level_test_would() -> None:
    """10 % block-to-block noise, no change, the practical threshold at 5 %: over thousands of requests
    the rank test calls a third of these routes significantly slower at head by more than 5 %; the
    block-level test keeps all but at most one of the 20 runs from an alarm (noise shared by every
    route, as here, makes the pooled degrees of freedom overstate the information: judge.blocks)."""
    settings = JudgeSettings(min_shift_pct=5.0)
    alarms, request_level_alarms = 0, 0
    for seed in range(20):
        events = with_block_noise(ab_events(ROUTES, seed=seed), 0.10, seed + 100)
        alarms += judge_ab(events, CHANGED, settings).cls in ("DEGRADING", "REGRESSION")
        for spec in ROUTES:
            base, head = (np.array([e.duration_ms for e in events if e.route == spec.route and e.variant == v])
                          for v in ("base", "head"))
            request_level_alarms += (mann_whitney_greater(head, base) < 0.01
                                     and np.median(head) > 1.05 * np.median(base))
    assert request_level_alarms >= 15
    assert alarms <= 1


def test_a_shift_far_above_the_block_noise_is_an_alarm() -> None:
    shifted = [dataclasses.replace(ROUTES[0], shift_at_head=2.0), *ROUTES[1:]]
    events = with_block_noise(ab_events(shifted, seed=3), 0.10, 7)
    verdict = judge_ab(events, CHANGED)
    assert verdict.cls == "DEGRADING" and verdict.lead == (CHANGED[0].endpoint,)
    route = verdict.routes[0]
    low, high = route.effects["block_shift_pct_ci"]  # type: ignore[misc]
    assert low < 100.0 < high and route.effects["block_df"] > 4  # type: ignore[operator]


def test_the_pooled_test_has_the_t_distributions_answer() -> None:
    """Two routes, each log shift 0.2 with scale 0.5; pooled sigma^2 = (0.08 + 0.08) / (4 + 4) = 0.02:
    se = 0.1414 * 0.5 = 0.0707, t = 2.83 on 8 degrees of freedom, one-sided p = 0.0111."""
    tests = pooled_tests([BlockSpread(0.2, 0.5, 0.08, 4), BlockSpread(0.2, 0.5, 0.08, 4), None], 0.95)
    first = tests[0]
    assert first is not None and tests[2] is None
    assert first.df == 8 and abs(first.se_log - 0.0707) < 1e-3 and abs(first.p_value - 0.0111) < 5e-4
    assert abs(first.shift_pct - 22.14) < 0.01
    assert pooled_tests([BlockSpread(0.2, 0.5, 0.0, 0)], 0.95) == [None]  # one block per side: no test
