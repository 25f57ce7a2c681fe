"""Live mode's baseline from history: this run's p95 of a route beside the same route's p95 over
its last recorded live runs (median and middle half), in the route's result and as evidence.

Advisory, never a rule that changes the class: past runs of a live service ran under whatever
load, deployment and neighbours they had, and a short history has a wide spread, so a p95 outside
it says "look here", not "regressed". The class stays with the tests on this run's own samples
and the SLO, which control their error rates; a history has no such guarantee.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from kassi_app.endpoint import Endpoint
from kassi_app.judge.model import Evidence, Verdict

HISTORY_RUNS = 20
"""How many past runs of a route make its history (the newest ones)."""
MIN_RUNS = 3
"""Fewer past runs than this give no median and spread worth printing."""


@dataclass(frozen=True)
class P95History:
    """This run's p95 of a route, and the same route's p95 over ``runs`` past runs."""

    p95_ms: float
    runs: int
    median_ms: float
    low_ms: float
    """The past p95s' 25th percentile: with ``high_ms``, the middle half of the history."""
    high_ms: float

    @property
    def position(self) -> str:
        """Where this run falls: ``above``, ``below`` or ``within`` the middle half of the history."""
        return "above" if self.p95_ms > self.high_ms else "below" if self.p95_ms < self.low_ms else "within"

    def sentence(self, endpoint: Endpoint) -> str:
        return (f"{endpoint}: p95 {self.p95_ms:.1f} ms; last {self.runs} runs: median {self.median_ms:.1f} ms "
                f"(middle half {self.low_ms:.1f}-{self.high_ms:.1f} ms), {self.position} its usual range "
                "(advisory: history does not change the verdict)")

    def to_dict(self) -> dict[str, object]:
        return {"p95_ms": round(self.p95_ms, 3), "runs": self.runs, "median_ms": round(self.median_ms, 3),
                "low_ms": round(self.low_ms, 3), "high_ms": round(self.high_ms, 3), "position": self.position}


def p95_history(p95_ms: float, past_ms: Sequence[float]) -> P95History | None:
    """``p95_ms`` against ``past_ms`` (the route's p95 in its past runs); None below MIN_RUNS."""
    if len(past_ms) < MIN_RUNS:
        return None
    low, _, high = statistics.quantiles(past_ms, n=4, method="inclusive")
    return P95History(p95_ms, len(past_ms), statistics.median(past_ms), low, high)


def with_history(verdict: Verdict, histories: Mapping[Endpoint, P95History]) -> Verdict:
    """``verdict`` with each route's history in its result and one evidence line per route; the
    classes, reasons and the run's class are left as they were."""
    if not histories:
        return verdict
    routes = tuple(replace(r, history=histories[r.endpoint]) if r.endpoint in histories else r for r in verdict.routes)
    facts = tuple(Evidence(h.sentence(endpoint), "store query") for endpoint, h in histories.items())
    return replace(verdict, routes=routes, evidence=verdict.evidence + facts)
