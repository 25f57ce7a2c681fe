"""Baseline-free judgement: against the SLO and the run itself (live mode)."""

from __future__ import annotations

import dataclasses

import pytest
from judge_stubs import judged_live
from kassi_bench.synthetic import RouteSpec, live_events

from kassi_app.endpoint import Endpoint
from kassi_app.events import LogEvent
from kassi_app.explain import render_analysis
from kassi_app.judge import JudgeSettings, Slo, judge_live

ITEMS = Endpoint("GET", "/api/items")


def test_a_healthy_live_service() -> None:
    verdict = judge_live(live_events(RouteSpec(), seed=1), [ITEMS], JudgeSettings(), Slo(p95_ms=50.0))
    assert verdict.cls == "HEALTHY" and verdict.exit_code == 0
    assert verdict.routes[0].samples == {"live": 1000}


def test_errors_above_the_slo_are_a_regression() -> None:
    verdict = judge_live(live_events(RouteSpec(errors_at_head=0.05), seed=1), [ITEMS], slo=Slo(error_rate=0.01))
    assert verdict.cls == "REGRESSION"
    assert "above the SLO 1.0 %" in verdict.reason


def test_errors_within_the_slo_are_healthy() -> None:
    verdict = judge_live(live_events(RouteSpec(errors_at_head=0.005), seed=1), [ITEMS], slo=Slo(error_rate=0.02))
    assert verdict.cls == "HEALTHY"


def test_a_p95_over_the_slo_is_degrading() -> None:
    verdict = judge_live(live_events(RouteSpec(), seed=1), [ITEMS], slo=Slo(p95_ms=5.0))
    assert verdict.cls == "DEGRADING"
    assert [s.name for s in verdict.routes[0].signals] == ["slo_p95"]


def test_growth_and_serialisation_are_found_without_a_baseline() -> None:
    growing = judge_live(live_events(RouteSpec(growth_ms_per_s_at_head=0.5), seed=2), [ITEMS])
    assert growing.cls == "DEGRADING" and "trend" in {s.name for s in growing.routes[0].signals}
    retro = RouteSpec(high_factor_at_head=8.0, high_rate_at_head=0.3)
    serial = judged_live(live_events(retro, seed=2), [ITEMS], Slo(), stage_users=(2, 16))
    assert serial.cls == "DEGRADING" and "scaling" in {s.name for s in serial.routes[0].signals}
    assert serial.root_cause is not None and "from 2 to 16 users" in serial.root_cause.summary
    route = serial.routes[0]
    assert route.effects["throughput_drop_pct"] == pytest.approx(70.0, abs=10.0)
    assert route.effects["usl_kappa"] > 0 and route.effects["usl_sigma"] == 0.0  # type: ignore[operator]
    assert "USL fit" in route.reason and "sigma set to 0 (throughput fell)" in route.reason


def test_latency_growing_with_users_at_flat_throughput_is_saturation_not_a_fault() -> None:
    """Latency x8 from 2 to 16 users with throughput flat is what queueing does on a full CPU (Little's
    law): healthy, and the verdict says latency was not judged against an SLO (none set)."""
    verdict = judge_live(live_events(RouteSpec(high_factor_at_head=8.0), seed=2), [ITEMS], stage_users=(2, 16))
    assert verdict.cls == "HEALTHY", verdict.reason
    assert "no retrograde scaling" in verdict.reason
    assert "latency was not judged against an SLO" in verdict.reason
    assert abs(verdict.routes[0].effects["throughput_drop_pct"]) < 20.0  # type: ignore[arg-type]


def test_only_the_asked_endpoint_decides_a_live_verdict() -> None:
    """A failing background route is reported as also seen; the asked, healthy route decides."""
    other = RouteSpec(route="/api/other", errors_at_head=0.3)
    events = live_events(RouteSpec(), seed=4) + live_events(other, seed=5)
    verdict = judge_live(events, [ITEMS])
    assert verdict.cls == "HEALTHY", verdict.reason
    seen = next(r for r in verdict.routes if r.endpoint.route == "/api/other")
    assert seen.cls == "REGRESSION" and not seen.decides and seen.to_dict()["decides"] is False
    assert "Also seen, not deciding: GET /api/other: REGRESSION" in verdict.reason
    assert judge_live(events, []).cls == "REGRESSION"  # asking about nothing: every route decides


def test_an_slo_p95_inside_the_interval_is_inconclusive_not_healthy() -> None:
    verdict = judge_live(live_events(RouteSpec(n=200), seed=1), [ITEMS], slo=Slo(p95_ms=7.5))
    route = verdict.routes[0]
    low, high = route.effects["p95_head_ms_ci"]  # type: ignore[misc]
    assert low <= 7.5 <= high
    assert verdict.cls == "INCONCLUSIVE" and "too short to tell the p95 from the SLO" in verdict.reason


def test_429s_live_are_throttled() -> None:
    verdict = judge_live(live_events(RouteSpec(throttled_at_head=0.2), seed=3), [ITEMS])
    assert verdict.cls == "THROTTLED"


def test_no_live_traffic_is_inconclusive() -> None:
    assert judge_live([], [ITEMS]).cls == "INCONCLUSIVE"


def test_repeated_queries_in_the_target_log_name_an_n_plus_one() -> None:
    """A live latency breach plus one SELECT logged 5 times per request reads as N+1; once is not."""
    logs = [
        LogEvent(1001.0 + i / 1000, "r1", "live", "stdout", "DEBUG", f"SELECT * FROM pets WHERE owner_id = {i}")
        for i in range(5000)
    ]
    verdict = judged_live(live_events(RouteSpec(), seed=1), [ITEMS], Slo(p95_ms=5.0), logs=logs)
    assert verdict.root_cause is not None and verdict.root_cause.kind == "n_plus_one"
    assert "5.0 times per request" in verdict.root_cause.summary and "JOIN" in render_analysis(verdict)
    once = judged_live(live_events(RouteSpec(), seed=1), [ITEMS], Slo(p95_ms=5.0), logs=logs[:1000])
    assert once.root_cause is not None and once.root_cause.kind == "latency_shift"


def test_errors_that_appear_only_under_load_are_retrograde_even_within_the_slo() -> None:
    """4 % of the high stage's requests fail, none at the low stage: within a 5 % error SLO overall,
    but the service breaks as users rise."""
    events = live_events(RouteSpec(n=2000), seed=6)
    high = [i for i, e in enumerate(events) if e.stage == "high"]
    failing = set(high[:: 25])
    events = [dataclasses.replace(e, status=500, error="Internal Server Error") if i in failing else e
              for i, e in enumerate(events)]
    verdict = judge_live(events, [ITEMS], slo=Slo(error_rate=0.05))
    assert verdict.cls == "DEGRADING", verdict.reason
    assert "server errors appear under load: 0.0 % at the low stage" in verdict.reason
