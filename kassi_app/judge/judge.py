"""The judge's entry points: A/B (head against base) and live (against the SLO and itself)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np

from kassi_app.endpoint import Endpoint
from kassi_app.events import AccessEvent
from kassi_app.judge.assess import ABRoute, SoloRoute
from kassi_app.judge.model import SEVERITY, ChangedLike, Evidence, RouteVerdict, Verdict, VerdictClass, inconclusive
from kassi_app.judge.samples import group
from kassi_app.judge.settings import JudgeSettings, Slo
from kassi_app.judge.stats import holm

_FAILING: tuple[VerdictClass, ...] = ("REGRESSION", "DEGRADING", "THROTTLED")


def judge_ab(
    events: Iterable[AccessEvent],
    changed: Sequence[ChangedLike],
    settings: JudgeSettings | None = None,
    *,
    slo: Slo | None = None,
    variants: tuple[str, str] = ("base", "head"),
) -> Verdict:
    """Judge head against base on every route the load reached.

    Changed routes decide the class; unchanged routes that got worse are collateral and decide it too
    (with no changed endpoints given, every route decides and none is called collateral);
    added routes (no baseline) are judged against ``slo`` and themselves; removed routes are named in
    the reason, not judged.
    ``variants`` lets the fix be judged the same way (``("base", "fix")``).
    """
    settings = settings or JudgeSettings()
    events = list(events)
    base_v, head_v = variants
    for variant in variants:
        if not any(e.variant == variant for e in events):
            return inconclusive(f"no requests reached the {variant} service: the run produced no data to judge")
    kinds = {c.endpoint: c.change for c in changed}
    run_start = min(e._time for e in events if e.variant in variants)
    assessments: list[ABRoute | SoloRoute] = []
    for endpoint, samples in group(events, variants).items():
        change = kinds.get(endpoint, "unchanged" if kinds else "unknown")
        if change == "removed" or head_v not in samples:
            continue
        if base_v in samples and change != "added":
            assessments.append(ABRoute(endpoint, change, samples[base_v], samples[head_v], settings, run_start))
        else:
            assessments.append(SoloRoute(endpoint, change, head_v, samples[head_v], settings, slo or Slo(), run_start))
    peer_scalings = [a.scaling_head.ratio.value for a in assessments if isinstance(a, ABRoute) and a.scaling_head]
    if peer_scalings:
        for a in assessments:
            if isinstance(a, SoloRoute):
                a.peer_scaling = float(np.median(peer_scalings))
    removed = sorted(c.endpoint for c in changed if c.change == "removed")
    targets = {c.endpoint for c in changed if c.change != "removed"}
    verdict = _verdict(_decide_all(assessments), targets, events, variants)
    if removed:
        note = f" (removed by this change, not judged: {', '.join(map(str, removed))})"
        return dataclasses.replace(verdict, reason=verdict.reason + note)
    return verdict


def judge_live(
    events: Iterable[AccessEvent],
    endpoints: Sequence[Endpoint],
    settings: JudgeSettings | None = None,
    slo: Slo | None = None,
) -> Verdict:
    """Judge a running service without a baseline: ``endpoints`` decide the class (all routes if empty)."""
    settings = settings or JudgeSettings()
    events = [e for e in events if e.variant == "live"]
    if not events:
        return inconclusive("no requests reached the live service: the run produced no data to judge")
    run_start = min(e._time for e in events)
    assessments: list[ABRoute | SoloRoute] = [
        SoloRoute(endpoint, "live", "live", samples["live"], settings, slo or Slo(), run_start)
        for endpoint, samples in group(events, ("live",)).items()
    ]
    return _verdict(_decide_all(assessments), set(endpoints), events, ("live",))


def _decide_all(assessments: Sequence[ABRoute | SoloRoute]) -> list[RouteVerdict]:
    """Holm-adjust every test of the run together (all routes, all families), then let each route decide."""
    keys = [(i, family) for i, a in enumerate(assessments) for family in sorted(a.p_values)]
    adjusted: list[dict[str, float]] = [{} for _ in assessments]
    for (i, family), p in zip(keys, holm([assessments[i].p_values[f] for i, f in keys]), strict=True):
        adjusted[i][family] = p
    return [a.decide(adj) for a, adj in zip(assessments, adjusted, strict=True)]


def _verdict(
    routes: list[RouteVerdict],
    targets: set[Endpoint],
    events: list[AccessEvent],
    variants: Sequence[str],
) -> Verdict:
    """The run's class from the decisive routes: the targets, plus any route that got worse.

    A target the load never reached is INCONCLUSIVE (no data is never a pass), which a fault found
    elsewhere still outranks.
    """
    judged = {r.endpoint for r in routes}
    routes = routes + [
        RouteVerdict(e, "INCONCLUSIVE", "no traffic reached it", "unreached", {}) for e in sorted(targets - judged)
    ]
    if not routes:
        return inconclusive("no route had traffic to judge")
    decisive = [r for r in routes if r.endpoint in targets or r.cls in _FAILING] if targets else routes
    cls = min((r.cls for r in decisive), key=SEVERITY.index)
    worst = [r for r in decisive if r.cls == cls]
    reason = f"{cls}: " + "; ".join(f"{r.endpoint}{' (collateral)' if r.collateral else ''}: {r.reason}" for r in worst)
    throttled = [r for r in decisive if r.cls == "THROTTLED" and r.endpoint in targets]
    if cls == "DEGRADING" and throttled and all(r.collateral for r in worst):
        # kassi's load is a closed model: each user sends its next request when the last one is
        # answered. Instant 429s on the changed route make every user cycle faster, so the other
        # routes see more requests per second at head than at base. Their slowdown is then a
        # product of the load model, not of the change: report it, let the throttling decide.
        slowed = ", ".join(str(r.endpoint) for r in worst)
        cls, worst = "THROTTLED", throttled
        reason = (
            "THROTTLED: "
            + "; ".join(f"{r.endpoint}: {r.reason}" for r in throttled)
            + f". Also slower at head: {slowed} (collateral, not decisive: the fast 429s raised the request"
            " rate the other routes saw under kassi's closed-model load)"
        )
    counts = ", ".join(f"{sum(e.variant == v for e in events)} {v}" for v in variants)
    evidence = [Evidence(f"the proxy recorded {counts} requests over {len(judged)} route(s)", "proxy")]
    evidence += [Evidence(f"{r.endpoint}: {s.detail}", "proxy") for r in decisive for s in r.signals]
    return Verdict(cls, reason, tuple(routes), evidence=tuple(evidence), lead=tuple(r.endpoint for r in worst))
