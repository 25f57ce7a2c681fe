"""Live mode's history baseline: this run's p95 beside the route's past runs, advisory only."""

from __future__ import annotations

import pytest
from kassi_bench.synthetic import RouteSpec, live_events

from kassi_app.endpoint import Endpoint
from kassi_app.explain import render_analysis
from kassi_app.judge import JudgeSettings, Slo, judge_live
from kassi_app.judge.baseline import MIN_RUNS, p95_history, with_history

ITEMS = Endpoint("GET", "/api/items")


def test_median_and_middle_half_of_the_past_runs() -> None:
    history = p95_history(30.0, [10.0, 12.0, 11.0, 14.0, 13.0])
    assert history is not None
    assert (history.runs, history.median_ms, history.low_ms, history.high_ms) == (5, 12.0, 11.0, 13.0)
    assert history.position == "above"
    assert p95_history(12.5, [10.0, 12.0, 11.0, 14.0, 13.0]).position == "within"  # type: ignore[union-attr]
    assert p95_history(9.0, [10.0, 12.0, 11.0]).position == "below"  # type: ignore[union-attr]


def test_too_short_a_history_says_nothing() -> None:
    assert p95_history(30.0, [10.0] * (MIN_RUNS - 1)) is None


@pytest.mark.parametrize("slo", [Slo(p95_ms=50.0), Slo(p95_ms=5.0)], ids=["healthy", "degrading"])
def test_history_is_reported_but_never_changes_the_verdict(slo: Slo) -> None:
    verdict = judge_live(live_events(RouteSpec(), seed=1), [ITEMS], JudgeSettings(), slo)
    history = p95_history(40.0, [10.0, 11.0, 12.0, 13.0])
    assert history is not None
    judged = with_history(verdict, {ITEMS: history})
    assert (judged.cls, judged.reason, [r.cls for r in judged.routes]) == (
        verdict.cls, verdict.reason, [r.cls for r in verdict.routes])
    assert judged.routes[0].to_dict()["history"] == {
        "p95_ms": 40.0, "runs": 4, "median_ms": 11.5, "low_ms": 10.75, "high_ms": 12.25, "position": "above"}
    sentence = "GET /api/items: p95 40.0 ms; last 4 runs: median 11.5 ms (middle half 10.8-12.2 ms), above"
    assert [e.source for e in judged.evidence[len(verdict.evidence):]] == ["store query"]
    assert sentence in judged.evidence[-1].fact
    assert sentence in render_analysis(judged)
    assert "history" not in verdict.routes[0].to_dict(), "no history, no key"
    assert with_history(verdict, {}) is verdict
