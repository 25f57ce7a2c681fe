"""Stand-ins for the change package's records: the judge needs only their attributes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kassi_app.endpoint import Endpoint
from kassi_app.events import AccessEvent
from kassi_app.explain import explain_verdict
from kassi_app.judge import ChangedLike, Slo, Verdict, judge_ab, judge_live


@dataclass(frozen=True)
class Changed:
    """Stands in for the change package's ChangedEndpoint."""

    method: str
    route: str
    change: str = "modified"
    file: str = "app/main.py"

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.method, self.route)


@dataclass(frozen=True)
class Hunk:
    """Stands in for the change package's Hunk."""

    file: str
    start: int
    end: int


def judged(events: Sequence[AccessEvent], changed: Sequence[ChangedLike], **explain: Any) -> Verdict:
    """An A/B verdict as a run ends up with it: judged from the samples, then explained."""
    events = list(events)
    return explain_verdict(judge_ab(events, changed), events, changed=changed, **explain)


def judged_live(events: Sequence[AccessEvent], endpoints: Sequence[Endpoint], slo: Slo, **explain: Any) -> Verdict:
    """A live verdict, judged against ``slo`` and then explained."""
    events = list(events)
    verdict = judge_live(events, endpoints, slo=slo, stage_users=explain.get("stage_users"))
    return explain_verdict(verdict, events, variants=("live",), **explain)
