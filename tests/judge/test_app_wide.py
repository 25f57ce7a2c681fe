"""A change that touches no endpoint (app config, middleware, a shared helper): a few routes are
judged as its targets so that they get enough samples, never a run where no route can be judged."""

from __future__ import annotations

import warnings

from kassi_bench.synthetic import RouteSpec, ab_events

from kassi_app.change.appwide import APP_WIDE_TARGETS, app_wide_targets
from kassi_app.change.lang_python import extract
from kassi_app.endpoint import Endpoint
from kassi_app.judge import judge_ab


def test_the_first_routes_of_the_service_are_the_targets_of_an_app_wide_change() -> None:
    known = [Endpoint("GET", f"/api/r{i}") for i in range(70)]
    targets = app_wide_targets(["app/settings.py"], known)
    assert [t.endpoint for t in targets] == known[:APP_WIDE_TARGETS]
    assert {t.change for t in targets} == {"app-wide"} and targets[0].file == "app/settings.py"
    assert targets[0].to_json()["change"] == "app-wide"


def test_an_app_wide_change_is_judged_on_its_targets_not_lost_in_seventy_thin_routes() -> None:
    """The load concentrates on the targets (~300 requests each per variant); 66 background routes get
    a handful each: they are INCONCLUSIVE on their own, and do not make the run INCONCLUSIVE."""
    targets = [RouteSpec(route=f"/api/r{i}", n=1200) for i in range(APP_WIDE_TARGETS)]
    background = [RouteSpec(route=f"/api/r{i}", n=12) for i in range(APP_WIDE_TARGETS, 70)]
    known = [Endpoint("GET", f"/api/r{i}") for i in range(70)]
    verdict = judge_ab(ab_events([*targets, *background], seed=3), app_wide_targets(["app/settings.py"], known))
    assert verdict.cls == "HEALTHY", verdict.reason
    judged = {str(r.endpoint): r for r in verdict.routes}
    assert all(judged[f"GET /api/r{i}"].change == "app-wide" for i in range(APP_WIDE_TARGETS))
    assert judged["GET /api/r10"].cls == "INCONCLUSIVE" and not judged["GET /api/r10"].collateral
    slowed = [RouteSpec(route=f"/api/r{i}", n=1200, shift_at_head=1.3) for i in range(APP_WIDE_TARGETS)]
    worse = judge_ab(ab_events([*slowed, *background], seed=3), app_wide_targets(["app/settings.py"], known))
    assert worse.cls == "DEGRADING", worse.reason


def test_parsing_user_code_prints_no_syntax_warnings() -> None:
    code = 'import re\nfrom flask import Flask\napp = Flask(__name__)\nPATTERN = re.compile("\\d+")\n' \
           'if 1 is 1:\n    pass\n\n@app.get("/api/items")\ndef items():\n    return "ok"\n'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        extract("app.py", code)
    assert not [w for w in caught if issubclass(w.category, SyntaxWarning)]
