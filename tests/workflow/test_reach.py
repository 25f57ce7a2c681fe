"""The 2xx share per changed route, and a HEALTHY verdict that says which changed code it did not reach."""

from __future__ import annotations

from kassi_app.endpoint import Endpoint
from kassi_app.events import AccessEvent
from kassi_app.judge import Verdict
from kassi_app.judge.model import RouteVerdict
from kassi_app.workflow.reach import annotate, reach_dict, reach_of

FORM = Endpoint("POST", "/auth/register")
INGEST = Endpoint("POST", "/ingest")


def _events(endpoint: Endpoint, variant: str, statuses: list[int]) -> list[AccessEvent]:
    return [AccessEvent(float(i), "r1", variant, endpoint.method, endpoint.route, endpoint.route, s, 2.0, 10)  # type: ignore[arg-type]
            for i, s in enumerate(statuses)]


def _healthy() -> Verdict:
    routes = tuple(RouteVerdict(ep, "HEALTHY", "no change", "modified", {"base": 10, "head": 10})
                   for ep in (FORM, INGEST))
    return Verdict("HEALTHY", "no route got worse", routes)


def test_share_per_route_and_variant_from_access_events() -> None:
    events = [*_events(FORM, "base", [201] * 9 + [409]), *_events(FORM, "head", [201] * 10),
              *_events(INGEST, "base", [400] * 4), *_events(INGEST, "head", [400] * 4),
              *_events(Endpoint("GET", "/other"), "head", [200])]
    reach = reach_of(events, [FORM, INGEST])
    assert reach_dict(reach) == {"POST /auth/register": {"base": 0.9, "head": 1.0},
                                 "POST /ingest": {"base": 0.0, "head": 0.0}}


def test_a_healthy_verdict_names_the_changed_route_it_did_not_reach() -> None:
    reach = {FORM: {"base": 0.9, "head": 1.0}, INGEST: {"base": 0.0, "head": 0.1}}
    verdict, notes = annotate(_healthy(), reach, [INGEST])
    assert verdict.cls == "HEALTHY"
    assert verdict.reason.startswith("no route got worse; but the changed route(s) POST /ingest were not reached")
    signals = {r.endpoint: [s.name for s in r.signals] for r in verdict.routes}
    assert signals == {FORM: [], INGEST: ["not_reached"]}
    assert notes == ["POST /ingest: 2xx share base 0 %, head 10 %: the route's own code was not reached "
                     "(no valid body known, 400s only)"]


def test_a_route_that_answers_at_base_was_reached_even_if_head_breaks_it() -> None:
    verdict, notes = annotate(_healthy(), {FORM: {"base": 0.95, "head": 0.0}}, [])
    assert verdict == _healthy() and notes == []
