"""The judge's entry points: A/B (head against base) and live (against the SLO and itself)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from kassi_app.endpoint import Endpoint
from kassi_app.events import AccessEvent
from kassi_app.judge.assess import ABRoute, SoloRoute, pool_block_tests
from kassi_app.judge.model import SEVERITY, ChangedLike, Evidence, RouteVerdict, Verdict, VerdictClass, inconclusive
from kassi_app.judge.samples import Sample, group
from kassi_app.judge.sequential import Look
from kassi_app.judge.settings import JudgeSettings, Slo
from kassi_app.judge.stats import holm
from kassi_app.judge.throughput import stage_windows

_FAILING: tuple[VerdictClass, ...] = ("REGRESSION", "DEGRADING", "THROTTLED")


def judge_ab(
    events: Iterable[AccessEvent],
    changed: Sequence[ChangedLike],
    settings: JudgeSettings | None = None,
    *,
    slo: Slo | None = None,
    variants: tuple[str, str] = ("base", "head"),
    look: Look | None = None,
) -> Verdict:
    """Judge head against base on every route the load reached.

    Changed routes decide the class; unchanged routes that got worse are collateral and decide it too
    (with no changed endpoints given, every route decides and none is called collateral), unless the
    changed load mix explains them (see ``_mix_explains``); added routes (no baseline) are judged
    against ``slo`` and themselves; removed routes are named in the reason, not judged.
    ``variants`` lets the fix be judged the same way (``("base", "fix")``). ``look`` makes the verdict
    one of several sequential looks at the run: its tests use the alpha spent at this look; at an
    interim look, a verdict that is not an alarm is INCONCLUSIVE (the planned rounds go on).
    """
    settings = settings or JudgeSettings()
    configured_alpha = settings.alpha
    if look is not None:
        settings = dataclasses.replace(settings, alpha=look.alpha(configured_alpha))
    events = list(events)
    base_v, head_v = variants
    for variant in variants:
        if not any(e.variant == variant for e in events):
            return inconclusive(f"no requests reached the {variant} service: the run produced no data to judge")
    kinds = {c.endpoint: c.change for c in changed}
    run_start = min(e._time for e in events if e.variant in variants)
    grouped = group(events, variants)
    windows = stage_windows([s for by_variant in grouped.values() for s in by_variant.values()])
    assessments: list[ABRoute | SoloRoute] = []
    for endpoint, samples in grouped.items():
        change = kinds.get(endpoint, "unchanged" if kinds else "unknown")
        if change == "removed" or head_v not in samples:
            continue
        if base_v in samples and change != "added":
            assessments.append(
                ABRoute(endpoint, change, samples[base_v], samples[head_v], settings, run_start, windows)
            )
        else:
            assessments.append(
                SoloRoute(endpoint, change, head_v, samples[head_v], settings, slo or Slo(), run_start, windows)
            )
    pool_block_tests([a for a in assessments if isinstance(a, ABRoute)], settings.confidence)
    removed = sorted(c.endpoint for c in changed if c.change == "removed")
    targets = {c.endpoint for c in changed if c.change != "removed"}
    routes = _mix_explains(_decide_all(assessments), grouped, targets, variants, settings)
    verdict = _verdict(routes, targets, events, variants)
    if look is not None:
        sequential = Evidence(look.describe(configured_alpha), "proxy")
        verdict = dataclasses.replace(verdict, evidence=(*verdict.evidence, sequential))
        if look.interim and (verdict.cls not in _FAILING or _undecided(verdict.routes)):
            why = "no clear alarm" if verdict.cls not in _FAILING else \
                f"routes still undecided ({', '.join(str(r.endpoint) for r in _undecided(verdict.routes))})"
            verdict = dataclasses.replace(verdict, cls="INCONCLUSIVE", reason=(
                f"{why} at the interim look after {look.done} blocks, so the planned rounds go on "
                f"({verdict.cls} so far: {verdict.reason})"))
    if removed:
        note = f" (removed by this change, not judged: {', '.join(map(str, removed))})"
        return dataclasses.replace(verdict, reason=verdict.reason + note)
    return verdict


def _undecided(routes: Sequence[RouteVerdict]) -> list[RouteVerdict]:
    """Deciding routes the look could not judge yet (too few samples, too little power): an interim
    look stops the run only when it can say which routes the fault reaches, since a fault that slows
    every route (a global lock) starves the others of samples in the first round."""
    return [r for r in routes if r.decides and r.cls == "INCONCLUSIVE"]


def judge_live(
    events: Iterable[AccessEvent],
    endpoints: Sequence[Endpoint],
    settings: JudgeSettings | None = None,
    slo: Slo | None = None,
    stage_users: tuple[int, int] | None = None,
) -> Verdict:
    """Judge a running service without a baseline: ``endpoints`` (the ones the user asked about)
    decide the class; every other route the run saw is reported as "also seen" and decides nothing
    (a live service's background traffic is not the question). All routes decide if ``endpoints`` is
    empty. ``stage_users`` (low, high) lets the scaling fit name the load levels."""
    settings = settings or JudgeSettings()
    slo = slo or Slo()
    events = [e for e in events if e.variant == "live"]
    if not events:
        return inconclusive("no requests reached the live service: the run produced no data to judge")
    run_start = min(e._time for e in events)
    grouped = group(events, ("live",))
    windows = stage_windows([s["live"] for s in grouped.values()])
    asked = set(endpoints)
    assessments: list[ABRoute | SoloRoute] = [
        SoloRoute(endpoint, "live", "live", samples["live"], settings, slo, run_start, windows, stage_users)
        for endpoint, samples in grouped.items()
    ]
    routes = [
        r if not asked or r.endpoint in asked else dataclasses.replace(r, decides=False)
        for r in _decide_all(assessments)
    ]
    verdict = _verdict(routes, asked, events, ("live",))
    if slo.p95_ms is None and verdict.cls in ("HEALTHY", "THROTTLED") and "against an SLO" not in verdict.reason:
        verdict = dataclasses.replace(
            verdict, reason=verdict.reason + " (latency was not judged against an SLO: none set)"
        )
    return verdict


_MIX_SHARE_CHANGE = 0.2
"""How far the changed routes' share of the users' time must move for the mix to count as changed: a
closed-model load keeps users busy all the time, so a fifth of their time freed on the changed routes
sends a fifth more requests elsewhere, well beyond the 5 % shifts the judge is built to see."""


def _mix_explains(
    routes: list[RouteVerdict],
    grouped: Mapping[Endpoint, Mapping[str, Sample]],
    targets: set[Endpoint],
    variants: tuple[str, str],
    settings: JudgeSettings,
) -> list[RouteVerdict]:
    """Collateral slowdowns the changed load mix explains are reported, not decisive.

    kassi's load is a closed model: each user sends its next request when the last one is answered.
    When the changed routes got much cheaper at head, users cycle faster and send more requests to
    every other route, which then queue more: their slowdown is the mix's doing, not the change's.
    A collateral route is let off only when both show: the changed routes' share of the users' time
    fell by ``_MIX_SHARE_CHANGE`` or more, and the route itself received more requests at head by at
    least the practical shift. A route slower at the same or a lower request rate stays collateral.
    """
    if not targets:
        return routes
    base_v, head_v = variants

    def share(variant: str) -> float:
        total = sum(float(s[variant].durations.sum()) for s in grouped.values() if variant in s)
        mine = sum(float(s[variant].durations.sum()) for e, s in grouped.items() if e in targets and variant in s)
        return mine / total if total > 0 else 0.0

    before, after = share(base_v), share(head_v)
    if before <= 0 or after > before * (1.0 - _MIX_SHARE_CHANGE):
        return routes
    out: list[RouteVerdict] = []
    for r in routes:
        sample = grouped.get(r.endpoint, {})
        n_base, n_head = (sample[v].n if v in sample else 0 for v in variants)
        if r.collateral and r.cls == "DEGRADING" and n_head >= n_base * (1.0 + settings.min_shift_pct / 100.0):
            note = (
                f"{r.reason} — the load mix changed: the changed routes took {100 * before:.0f} % of the users' "
                f"time at base, {100 * after:.0f} % at head, so this route got {n_head} requests against "
                f"{n_base} (closed-model load), not evidence against it"
            )
            r = dataclasses.replace(r, reason=note, decides=False)
        out.append(r)
    return out


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
    deciding = [r for r in routes if r.decides]
    decisive = [r for r in deciding if r.endpoint in targets or r.cls in _FAILING] if targets else deciding
    if not decisive:
        return inconclusive("no route that decides the verdict had traffic to judge")
    cls = min((r.cls for r in decisive), key=SEVERITY.index)
    # The changed (or asked) routes lead the reason; collateral comes after them.
    worst = sorted((r for r in decisive if r.cls == cls), key=lambda r: r.endpoint not in targets)
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
    aside = [r for r in routes if not r.decides and r.cls != "HEALTHY"]
    if aside:
        reason += ". Also seen, not deciding: " + "; ".join(f"{r.endpoint}: {r.cls} ({r.reason})" for r in aside)
    counts = ", ".join(f"{sum(e.variant == v for e in events)} {v}" for v in variants)
    evidence = [Evidence(f"the proxy recorded {counts} requests over {len(judged)} route(s)", "proxy")]
    evidence += [Evidence(f"{r.endpoint}: {s.detail}", "proxy") for r in decisive for s in r.signals]
    return Verdict(cls, reason, tuple(routes), evidence=tuple(evidence), lead=tuple(r.endpoint for r in worst))
