"""Root cause: the dominant error over the failing requests, where it was raised, and which hunk of
the change put it there; for latency classes, the signal that fired and where the time went."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from kassi_app.endpoint import Endpoint
from kassi_app.events import AccessEvent, LogEvent, ParsedException, StackFrame
from kassi_app.explain.errorkinds import error_kind
from kassi_app.explain.normalise import message_of, normalise
from kassi_app.judge.model import ChangedLike, Effect, Evidence, RootCause, RouteVerdict, Signal
from kassi_app.redact import redact_text

# A SELECT statement anywhere in a log line: ORMs and loggers prefix it with a level and a logger name.
_SELECT = re.compile(r"\bSELECT\s.+?\bFROM\b.*", re.IGNORECASE | re.DOTALL)
_EXAMPLE_LEN = 300
"""A representative raw message is shown whole up to this length (a stack dump is not a message)."""
_LIBRARY_MARKERS = ("site-packages", "dist-packages", "/lib/python", "<frozen", "<string>", "node_modules")


class HunkLike(Protocol):
    """A diff hunk's new-side line range (``kassi_app.change.model.Hunk`` fits)."""

    @property
    def file(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


@dataclass(frozen=True)
class Context:
    """What the root-cause search may look at, beyond the route verdicts."""

    head_events: Sequence[AccessEvent]
    base_requests: int
    head_logs: Sequence[LogEvent]
    base_logs: Sequence[LogEvent]
    hunks: Sequence[HunkLike]
    changed: Sequence[ChangedLike]
    repo_roots: Sequence[str]
    stage_users: tuple[int, int] | None


def find_root_cause(routes: Sequence[RouteVerdict], ctx: Context) -> tuple[RootCause | None, list[Evidence]]:
    """The cause of the worst class among ``routes`` (the decisive, failing ones), with its evidence."""
    failing = [r for r in routes if r.cls == "REGRESSION"]
    if failing:
        return _error_cause(failing, ctx)
    throttled = [r for r in routes if r.cls == "THROTTLED"]
    degrading = [r for r in routes if r.cls == "DEGRADING"]
    if degrading:
        return _latency_cause(degrading, ctx)
    if throttled:
        return _throttle_cause(throttled, ctx)
    return None, []


def _error_cause(failing: list[RouteVerdict], ctx: Context) -> tuple[RootCause, list[Evidence]]:
    endpoints = {r.endpoint for r in failing}
    bad = [e for e in ctx.head_events if e.status >= 500 and Endpoint(e.http_method.upper(), e.route) in endpoints]
    evidence: list[Evidence] = []
    statuses = Counter(e.status for e in bad)
    if statuses:
        shown = ", ".join(f"{count} x {status}" for status, count in statuses.most_common())
        evidence.append(Evidence(f"{len(bad)} failing requests at head: {shown}", "proxy"))
    excerpts = Counter(normalise(e.error) for e in bad if e.error)
    top_excerpt = excerpts.most_common(1)[0] if excerpts else None
    example: str | None = None
    if top_excerpt:
        evidence.append(Evidence(f"{top_excerpt[1]} of {len(bad)} error bodies read '{top_excerpt[0]}'", "proxy"))
        example = next(message_of(e.error) for e in bad if e.error and normalise(e.error) == top_excerpt[0])
    exception, count = _dominant_exception(ctx.head_logs, ctx.base_logs)
    error_text = top_excerpt[0] if top_excerpt else None
    location: str | None = None
    hunk_text: str | None = None
    introduced = False
    if exception is not None:
        error_text = f"{exception.type}: {normalise(exception.message)}"
        example = f"{exception.type}: {exception.message}"
        evidence.append(Evidence(f"the target logged {count} x {error_text} at head", "target log"))
        location, hunk_text, introduced = _locate(exception.frames, ctx)
        if location:
            evidence.append(Evidence(f"raised at {location}", "target log"))
    if location is None:
        hunk_text = _handler_hunk([r.endpoint for r in failing], ctx)
    kind = error_kind(error_text or "", statuses)
    routes = ", ".join(str(e) for e in _lead_first(failing, ctx))
    example = redact_text(example.strip()[:_EXAMPLE_LEN]) if example else None
    shown = f" (for example: {example})" if example and example != error_text else ""
    summary = f"{error_text or 'server errors'}{shown} on {routes}"
    if introduced and location:
        summary += f": introduced by this change, at {location}"
    elif hunk_text:
        summary += f" (this change touched {hunk_text})"
    return RootCause(kind, summary, error_text, location, hunk_text, introduced, example), evidence


def _lead_first(routes: Sequence[RouteVerdict], ctx: Context) -> list[Endpoint]:
    """The routes' endpoints, the changed (or asked) ones first, then collateral, each sorted."""
    changed = {c.endpoint for c in ctx.changed}
    return sorted((r.endpoint for r in routes), key=lambda e: (e not in changed and bool(changed), e))


def _dominant_exception(head: Sequence[LogEvent], base: Sequence[LogEvent]) -> tuple[ParsedException | None, int]:
    """The exception signature most over-represented at head (head count minus base count)."""

    def signature(exc: ParsedException) -> str:
        return f"{exc.type}: {normalise(exc.message)}"

    base_counts = Counter(signature(e.exception) for e in base if e.exception)
    head_counts: Counter[str] = Counter()
    first: dict[str, ParsedException] = {}
    for event in head:
        if event.exception:
            sig = signature(event.exception)
            head_counts[sig] += 1
            first.setdefault(sig, event.exception)
    ranked = sorted(head_counts, key=lambda s: (-(head_counts[s] - base_counts[s]), s))
    if not ranked or head_counts[ranked[0]] <= base_counts[ranked[0]]:
        return None, 0
    return first[ranked[0]], head_counts[ranked[0]]


def _locate(frames: Sequence[StackFrame], ctx: Context) -> tuple[str | None, str | None, bool]:
    """(location, hunk, introduced): the innermost in-repo frame a hunk covers, else the innermost
    in-repo frame and any hunk in its file, else nothing."""
    in_repo = [(path, f) for f in reversed(frames) if (path := _repo_path(f.file, ctx.repo_roots))]
    for path, frame in in_repo:
        for hunk in ctx.hunks:
            if _same_file(path, hunk.file) and hunk.start <= frame.line <= hunk.end:
                return f"{hunk.file}:{frame.line}", _hunk_name(hunk), True
    if not in_repo:
        return None, None, False
    path, frame = in_repo[0]
    touching = [h for h in ctx.hunks if _same_file(path, h.file)]
    return f"{path}:{frame.line} in {frame.function}", _hunk_name(touching[0]) if touching else None, False


def _handler_hunk(endpoints: Sequence[Endpoint], ctx: Context) -> str | None:
    """The first hunk in the file of a changed handler among ``endpoints``."""
    files = [c.file for c in ctx.changed if c.endpoint in endpoints]
    for hunk in ctx.hunks:
        if any(_same_file(f, hunk.file) for f in files):
            return _hunk_name(hunk)
    return None


def _repo_path(file: str, roots: Sequence[str]) -> str | None:
    if roots:
        for root in roots:
            prefix = root.rstrip("/") + "/"
            if file.startswith(prefix):
                return file[len(prefix) :]
        return None
    return None if any(m in file for m in _LIBRARY_MARKERS) else file


def _same_file(path: str, repo_file: str) -> bool:
    return path == repo_file or path.endswith("/" + repo_file) or repo_file.endswith("/" + path)


def _hunk_name(hunk: HunkLike) -> str:
    return f"{hunk.file}:{hunk.start}-{hunk.end}"


def _latency_cause(degrading: list[RouteVerdict], ctx: Context) -> tuple[RootCause, list[Evidence]]:
    """The most specific latency explanation: repeated queries the target logged (direct evidence of
    the mechanism), then growth over the run, then scaling with users, then the shift itself.

    The cause is named on the routes the change touched when they got slower; collateral routes are
    reported after it. A process that does more work per request makes every route queue at high
    load, so a collateral route's scaling is evidence of a shared resource, not the cause itself."""
    own = [r for r in degrading if not r.collateral]
    collateral = [r for r in degrading if r.collateral]
    lead = own or collateral
    hunk = _handler_hunk([r.endpoint for r in degrading], ctx)
    evidence: list[Evidence] = []
    queries = _query_growth(ctx)
    trend, scaling = _first("trend", lead), _first("scaling", lead)
    if queries:
        route, signal = _first("latency_shift", lead) or _first("p95_shift", lead) or _any_signal(lead)
        summary = f"{route.endpoint} got slower ({signal.detail}); {queries} — an N+1 query pattern"
        evidence.append(Evidence(queries, "target log"))
        kind = "n_plus_one"
    elif trend:
        route = trend[0]
        summary = (
            f"latency rises over the run on {route.endpoint} at {_number(route.effects.get('trend_ms_per_s')):+.2f} "
            f"ms/s from t={_number(route.effects.get('trend_onset_s')):.0f} s — cost grows with accumulated state"
        )
        kind = "growth"
    elif scaling:
        route = scaling[0]
        summary = f"latency on {route.endpoint} {_scaling_text(route, ctx)} — serialisation on a shared resource"
        kind = "lock_contention"
    else:
        route, signal = _first("latency_shift", lead) or _any_signal(lead)
        summary = f"{route.endpoint} got slower: {signal.detail} — more work per request"
        kind = "latency_shift"
    others = [r for r in collateral if r is not route]
    if others:
        summary += f"; unchanged routes slowed too ({', '.join(str(r.endpoint) for r in others)})"
        queued = _first("scaling", others) if kind != "lock_contention" else None
        if queued:
            summary += f" and {queued[0].endpoint} {_scaling_text(queued[0], ctx)}"
        summary += ": the change acts on a resource they share"
        kind = "lock_contention" if kind == "latency_shift" else kind
    where = f" (this change touched {hunk})" if hunk else ""
    return RootCause(kind, summary + where, None, None, hunk, False), evidence


def _first(name: str, routes: Sequence[RouteVerdict]) -> tuple[RouteVerdict, Signal] | None:
    """The first of ``routes`` (in order) with the signal ``name``, and that signal."""
    return next(((r, s) for r in routes for s in r.signals if s.name == name), None)


def _any_signal(routes: Sequence[RouteVerdict]) -> tuple[RouteVerdict, Signal]:
    return next((r, s) for r in routes for s in r.signals)


def _scaling_text(route: RouteVerdict, ctx: Context) -> str:
    """``scales with concurrency: x9.4 from 2 to 16 users (x1.6 at base)``; without a baseline, the
    throughput finding itself (``does not scale: retrograde scaling: throughput fell ...``)."""
    if "scaling_head" not in route.effects:
        return "does not scale: " + next(s.detail for s in route.signals if s.name == "scaling")
    users = f" from {ctx.stage_users[0]} to {ctx.stage_users[1]} users" if ctx.stage_users else " at high load"
    base = route.effects.get("scaling_base")
    against = f" (x{base:.1f} at base)" if isinstance(base, float) else ""
    return f"scales with concurrency: x{_number(route.effects.get('scaling_head')):.1f}{users}{against}"


def _number(value: Effect) -> float:
    return value if isinstance(value, float) else float("nan")


def _query_growth(ctx: Context) -> str | None:
    """The SQL statement the target logged most at head, when it ran at least twice per request and
    at least three times as often per request as at base: the signature of an N+1 query path."""

    def queries(logs: Sequence[LogEvent]) -> Counter[str]:
        return Counter(normalise(m.group(0)) for e in logs if (m := _SELECT.search(e.message)))

    head, base = queries(ctx.head_logs), queries(ctx.base_logs)
    if not head or not ctx.head_events:
        return None
    statement, count = head.most_common(1)[0]
    per_head = count / len(ctx.head_events)
    per_base = base[statement] / ctx.base_requests if ctx.base_requests else 0.0
    if per_head < 2.0 or per_head < 3.0 * per_base:
        return None
    return f"the target ran '{statement}' {per_head:.1f} times per request at head, {per_base:.1f} at base"


def _throttle_cause(throttled: list[RouteVerdict], ctx: Context) -> tuple[RootCause, list[Evidence]]:
    names = ", ".join(str(r.endpoint) for r in throttled)
    details = "; ".join(s.detail for r in throttled for s in r.signals if s.name == "throttling")
    hunk = _handler_hunk([r.endpoint for r in throttled], ctx)
    where = f" (this change touched {hunk})" if hunk else ""
    summary = f"rate limited, not broken: 429 Too Many Requests on {names} ({details}){where}"
    return RootCause("rate_limit", summary, "429 Too Many Requests", None, hunk, False), []
