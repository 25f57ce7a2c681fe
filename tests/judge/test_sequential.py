"""The sequential rule: O'Brien-Fleming alpha spending over a run's looks, with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from judge_stubs import Changed
from kassi_bench.synthetic import RouteSpec, ab_events
from scipy import stats

from kassi_app.judge import judge_ab
from kassi_app.judge.sequential import Look, obrien_fleming_spent

LOOKS = 3
PATHS = 100_000


def _reject_rate(drift: float, levels: list[float], seed: int) -> tuple[float, float]:
    """Share of simulated runs that reject at any of the looks, and at the first one. Each look adds
    one block of equal information: the cumulative z-statistic of look k is S_k / sqrt(k)."""
    rng = np.random.default_rng(seed)
    sums = np.cumsum(rng.normal(drift, 1.0, size=(PATHS, LOOKS)), axis=1)
    z = sums / np.sqrt(np.arange(1, LOOKS + 1))
    rejects = stats.norm.sf(z) < np.array(levels)
    return float(rejects.any(axis=1).mean()), float(rejects[:, 0].mean())


def test_the_spending_function_spends_alpha_by_the_end_and_little_early() -> None:
    assert obrien_fleming_spent(0.01, 0.0) == 0.0 and obrien_fleming_spent(0.01, 1.0) == 0.01
    assert obrien_fleming_spent(0.01, 0.5) == pytest.approx(2 * stats.norm.sf(stats.norm.ppf(0.995) / 0.5**0.5))
    spent = [obrien_fleming_spent(0.05, t) for t in np.linspace(0.1, 1.0, 10)]
    assert spent == sorted(spent) and spent[0] < 1e-6


def test_looking_after_every_block_keeps_the_false_alarm_rate() -> None:
    """Under no change, testing each of 3 looks at the full alpha rejects far more often than alpha;
    the spent increments keep the rate at or below alpha."""
    alpha = 0.05
    levels = [Look(k, LOOKS, k - 1).alpha(alpha) for k in range(1, LOOKS + 1)]
    assert sum(levels) == pytest.approx(alpha)
    naive, _ = _reject_rate(0.0, [alpha] * LOOKS, seed=1)
    spending, _ = _reject_rate(0.0, levels, seed=1)
    assert naive > 1.5 * alpha
    assert spending <= alpha + 3 * (alpha * (1 - alpha) / PATHS) ** 0.5


def test_it_keeps_most_of_the_power_and_stops_early_when_the_answer_is_clear() -> None:
    alpha = 0.05
    levels = [Look(k, LOOKS, k - 1).alpha(alpha) for k in range(1, LOOKS + 1)]
    # A drift giving 80 % power to one test at the end: S_3 / sqrt 3 ~ N(drift sqrt 3, 1).
    drift = (stats.norm.ppf(1 - alpha) + stats.norm.ppf(0.8)) / np.sqrt(LOOKS)
    power, _ = _reject_rate(drift, levels, seed=2)
    assert power >= 0.75
    _, first = _reject_rate(4 * drift, levels, seed=3)
    assert first > 0.9  # a large fault is called at the first look: the run stops early


def test_the_judge_uses_the_looks_alpha_and_says_so() -> None:
    items = Changed("GET", "/api/items")
    look = Look(2, 6)  # the first look of a run planned for 3 rounds of 2 sides
    clear = judge_ab(ab_events([RouteSpec(shift_at_head=2.0)], seed=5, blocks=3), [items], look=look)
    assert clear.cls == "DEGRADING"
    assert any("sequential look after 2 of 6 planned blocks" in e.fact for e in clear.evidence)
    unchanged = judge_ab(ab_events([RouteSpec()], seed=5), [items], look=look)
    assert unchanged.cls in ("HEALTHY", "INCONCLUSIVE")


def test_an_interim_look_ends_the_run_only_on_a_clear_alarm() -> None:
    """Before the planned rounds are driven, an alarm stands (it passed at the look's tiny alpha);
    anything else is INCONCLUSIVE so that the planned rounds go on — never an early HEALTHY."""
    items = Changed("GET", "/api/items")
    interim = Look(2, 6, 0, interim=True)
    clear = judge_ab(ab_events([RouteSpec(shift_at_head=2.0)], seed=5, blocks=3), [items], look=interim)
    assert clear.cls == "DEGRADING"
    assert any("interim look after 2 of 6 planned blocks" in e.fact for e in clear.evidence)
    unchanged = judge_ab(ab_events([RouteSpec()], seed=5), [items], look=interim)
    assert unchanged.cls == "INCONCLUSIVE"
    assert unchanged.reason.startswith("no clear alarm at the interim look after 2 blocks")
    final = judge_ab(ab_events([RouteSpec()], seed=5), [items], look=Look(4, 6, 2))
    assert final.cls == "HEALTHY"


def test_an_interim_alarm_waits_while_a_deciding_route_is_still_undecided() -> None:
    """A fault that slows every route (a global lock) starves the other routes of samples in the first
    round: the interim look must not stop on the one clear route and leave the others unnamed."""
    items, other = Changed("GET", "/api/items"), RouteSpec(route="/api/other", n=30)
    events = ab_events([RouteSpec(shift_at_head=2.0), other], seed=5, blocks=1)
    interim = judge_ab(events, [items], look=Look(2, 6, 0, interim=True))
    assert interim.cls == "INCONCLUSIVE"
    assert interim.reason.startswith("routes still undecided (GET /api/other) at the interim look after 2 blocks")
    assert "DEGRADING so far" in interim.reason
