"""Render a load plan into one self-contained k6 script (the runtime in runtime.js plus the plan data)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from kassi_app.load.plan import LoadPlan, LoadProfile
from kassi_app.load.requests import RequestSpec, SpecIndex, build_request
from kassi_app.load.samples import SEQ_TOKEN
from kassi_app.redact import redact

SCHEDULE_SLOTS = 100
SUMMARY_TREND_STATS = ["avg", "min", "med", "max", "p(50)", "p(90)", "p(95)", "p(99)", "count"]


def weighted_schedule(weights: list[float], slots: int = SCHEDULE_SLOTS) -> list[int]:
    """Indices in smooth weighted round-robin order: every endpoint appears, interleaved, in proportion.

    A fixed cycle (rather than a random pick per request) means even a one-second test reaches every
    endpoint, and both variants of an A/B run get exactly the same mix.
    """
    slots = max(slots, len(weights))
    counts = [max(1, round(w * slots)) for w in weights]
    current = [0] * len(counts)
    total = sum(counts)
    order: list[int] = []
    for _ in range(total):
        for i, count in enumerate(counts):
            current[i] += count
        best = max(range(len(counts)), key=lambda i: current[i])
        current[best] -= total
        order.append(best)
    return order


def k6_options(profile: LoadProfile) -> dict[str, Any]:
    """Scenarios ``low`` then ``high`` (constant VUs; ``high`` starts when ``low`` ends)."""
    stop = f"{profile.graceful_stop_s:g}s"
    options: dict[str, Any] = {
        "scenarios": {
            "low": {"executor": "constant-vus", "vus": profile.low_vus,
                    "duration": f"{profile.low_duration_s:g}s", "gracefulStop": stop},
            "high": {"executor": "constant-vus", "vus": profile.high_vus,
                     "duration": f"{profile.high_duration_s:g}s", "gracefulStop": stop,
                     "startTime": f"{profile.low_duration_s:g}s"},
        },
        "summaryTrendStats": SUMMARY_TREND_STATS,
        "setupTimeout": f"{profile.setup_timeout_s:g}s",
        "userAgent": "kassi-k6",
        "maxRedirects": 0,  # a 3xx is measured and recorded as such, never followed to another host
    }
    if profile.thresholds:
        options["thresholds"] = profile.thresholds
    return options


def _redacted(request: dict[str, Any]) -> dict[str, Any]:
    """A request with kassi's redaction applied to what it sends (headers, query, body): the script
    is written to the run folder, so a credential from the spec's examples must not be in it. The
    route is left alone: it is a validated path, and ``/v1/auth:refresh`` is not a secret."""
    return {**request, **redact({k: request[k] for k in ("headers", "query", "body")})}


def plan_requests(plan: LoadPlan) -> list[RequestSpec]:
    """The concrete request of every endpoint of ``plan``, in its weighted order."""
    index = SpecIndex(plan.openapi)
    declared = [*plan.endpoints, *plan.background]
    return [build_request(index, endpoint, group, weight, plan.shapes.get(endpoint), declared,
                          plan.replay.get(endpoint, ()))
            for endpoint, group, weight in plan.weighted()]


def render_script(plan: LoadPlan) -> str:
    """The k6 script text for ``plan``; BASE_URL and KASSI_BLOCK come from ``-e`` at run time (and
    LOOKUP_URL, where ids are looked up, when it is not BASE_URL)."""
    weighted = plan.weighted()
    requests = plan_requests(plan)
    data = {
        "requests": [_redacted(r.to_json()) for r in requests],
        "schedule": weighted_schedule([w for _, _, w in weighted]),
        "seqToken": SEQ_TOKEN,
        "thinkTime": plan.profile.think_time_s,
        "requestTimeout": f"{plan.profile.request_timeout_s:g}s",
    }
    template = resources.files("kassi_app.load").joinpath("runtime.js").read_text(encoding="utf-8")
    options = json.dumps(k6_options(plan.profile), indent=2, sort_keys=True)
    return (template
            .replace("/*__KASSI_OPTIONS__*/", f"export const options = {options};")
            .replace("/*__KASSI_PLAN__*/", f"const PLAN = {json.dumps(data, indent=1, sort_keys=True)};"))
