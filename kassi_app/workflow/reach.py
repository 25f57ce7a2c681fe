"""Did the load reach the changed code? Per changed route, the share of requests that answered 2xx at
each variant, and the verdict told when a changed route's own code was not reached.

A route that answers 400 in 2 ms at both sides is measuring the framework's validation, not the
handler the change touched; a HEALTHY verdict over it would be quiet about the one thing that
matters. So such a route carries a ``not_reached`` signal, the run a warning, and a HEALTHY verdict
a reason that says what it did not cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from kassi_app.endpoint import Endpoint
from kassi_app.events import AccessEvent
from kassi_app.judge import Verdict
from kassi_app.judge.model import Signal
from kassi_app.load.requests import RequestSpec

REACHED_SHARE = 0.5
"""A changed route counts as reached when at least this share of its requests answered 2xx at some
variant (a change that breaks the route at head still reached it at base)."""

Reach = dict[Endpoint, dict[str, float]]
"""endpoint -> variant -> share of requests that answered 2xx."""


NO_BODY = "no valid body known, 400s only"


def unbuildable(requests: Iterable[RequestSpec], changed: Sequence[Endpoint]) -> list[Endpoint]:
    """The changed body routes kassi has no valid body for (no spec operation, no handler it could
    read): their requests will be rejected, and the record says so before any load."""
    return [r.endpoint for r in requests if r.endpoint in changed and not r.body_known]


def unbuildable_note(endpoint: Endpoint) -> str:
    return f"{endpoint}: {NO_BODY} (no spec operation and no handler code kassi could read for it)"


def reach_of(events: Iterable[AccessEvent], endpoints: Sequence[Endpoint]) -> Reach:
    """The 2xx share of each of ``endpoints`` at each variant, from the run's access events."""
    wanted = set(endpoints)
    counts: dict[Endpoint, dict[str, list[int]]] = {}
    for e in events:
        endpoint = Endpoint(e.http_method, e.route)
        if endpoint in wanted:
            tally = counts.setdefault(endpoint, {}).setdefault(e.variant, [0, 0])
            tally[0] += 200 <= e.status < 300
            tally[1] += 1
    return {ep: {v: ok / total for v, (ok, total) in per.items()} for ep, per in counts.items()}


def reach_dict(reach: Reach) -> dict[str, dict[str, float]]:
    """The reach as the record keeps it: ``"POST /x" -> {"base": 0.98, "head": 0.97}``."""
    return {str(ep): {v: round(share, 4) for v, share in per.items()} for ep, per in sorted(reach.items())}


def not_reached(reach: Reach) -> list[Endpoint]:
    return sorted(ep for ep, per in reach.items() if per and max(per.values()) < REACHED_SHARE)


def _shares(per: dict[str, float]) -> str:
    return ", ".join(f"{v} {100 * s:.0f} %" for v, s in per.items())


def annotate(verdict: Verdict, reach: Reach, unbuilt: Sequence[Endpoint],
             unran: Sequence[str] = ()) -> tuple[Verdict, list[str]]:
    """``verdict`` with a ``not_reached`` signal on every changed route whose own code the load did not
    reach, and a HEALTHY reason that says so; plus the run's warnings. ``unbuilt`` are the routes
    kassi knew no valid body for (the likely why); ``unran`` the changed hunks whose lines did not
    all run in the line-coverage warm-up (``target/linecov.never_ran``), named in any verdict's reason."""
    missed = not_reached(reach)
    notes = {ep: f"2xx share {_shares(reach[ep])}: the route's own code was not reached"
             + (f" ({NO_BODY})" if ep in unbuilt else "") for ep in missed}
    routes = tuple(
        replace(r, signals=(*r.signals, Signal("not_reached", notes[r.endpoint]))) if r.endpoint in notes else r
        for r in verdict.routes)
    reason = verdict.reason
    if missed and verdict.cls == "HEALTHY":
        names = ", ".join(str(ep) for ep in missed)
        reason = (f"{reason}; but the changed route(s) {names} were not reached (under "
                  f"{100 * REACHED_SHARE:.0f} % 2xx at every variant): this verdict does not cover their code")
    if unran:
        reason = f"{reason}; changed lines that never ran under kassi's load: {', '.join(unran)}"
    warnings = [f"{ep}: {note}" for ep, note in notes.items()]
    warnings += [f"changed lines never ran: {hunk}" for hunk in unran]
    return replace(verdict, routes=routes, reason=reason), warnings
