"""The written analysis: deterministic markdown from a verdict, with a playbook recommendation."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kassi_app.judge.model import Effect, RouteVerdict, Verdict

PLAYBOOK: dict[str, str] = {
    "database_locked": (
        "Requests waited on a database lock until they gave up. Keep write transactions short (do slow "
        "work before the transaction begins or after it commits, never while holding row or table "
        "locks), take locks in one consistent order, and give lock waits a timeout that fits the "
        "request's budget; on SQLite also enable WAL mode and a busy timeout."
    ),
    "deadlock": (
        "Two transactions took the same locks in opposite orders. Take locks in one consistent order "
        "(e.g. update rows sorted by key), keep transactions short, and retry a transaction the database "
        "chose as the deadlock victim."
    ),
    "pool_exhausted": (
        "Every connection in the pool was busy: release connections promptly (close sessions, no "
        "connection held across slow work or I/O), size the pool to the concurrency the service "
        "must carry, and set a pool timeout shorter than the request's budget."
    ),
    "n_plus_one": ("Replace the per-row queries with one JOIN or a batched `IN (...)` query, or prefetch the rows."),
    "growth": (
        "Bound the structure that grows (cap or evict), cache the derived result, or update it "
        "incrementally instead of recomputing it on every request."
    ),
    "rate_limit": (
        "If the limit is unintended, raise it to fit the expected traffic; otherwise make clients back off "
        "(honour `Retry-After`, exponential backoff with jitter). Throttling is not an outage: no page."
    ),
    "downstream_timeout": (
        "Size the downstream connection pool to the concurrency, set timeouts that fit the downstream's "
        "latency, and add a circuit breaker so a slow dependency fails fast instead of piling up requests."
    ),
    "lock_contention": (
        "Narrow the critical section: hold the lock only around the shared state, not around I/O or "
        "computation, or use finer-grained locks or lock-free reads."
    ),
    "server_error": (
        "Fix the exception at the location above and add a test that exercises the endpoint concurrently."
    ),
    "latency_shift": (
        "Profile the handler at both refs under the same load: the change added per-request work "
        "(look for repeated queries, recomputation or blocking calls on the request path)."
    ),
}

_MEANING = {
    "REGRESSION": "server errors went up: do not ship (exit 1).",
    "DEGRADING": "latency got worse without more errors: do not ship as is (exit 1).",
    "THROTTLED": "requests were rate limited (429), not broken: no page (exit 0).",
    "HEALTHY": "no practically significant change was found (exit 0).",
    "INCONCLUSIVE": "kassi could not judge this run (exit 3).",
}
_REFUSED = "kassi refused the input before any load was sent (exit 2)."


def render_analysis(verdict: Verdict) -> str:
    """Sections: Summary, Affected endpoints, Root cause, Evidence, Recommendation."""
    lines = [
        f"# kassi verdict: {verdict.cls}",
        "",
        "## Summary",
        "",
        _plain(verdict.reason),
        "",
        _REFUSED if verdict.bad_input else _MEANING[verdict.cls],
    ]
    lines += ["", "## Affected endpoints", ""]
    affected = [r for r in verdict.routes if r.cls != "HEALTHY"]
    if affected:
        lines += [
            "| endpoint | change | class | median ms (base → head) | shift | p95 ms | 5xx | signals |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [_row(r) for r in affected]
    else:
        lines.append("None.")
    lines += ["", "## Root cause", ""]
    cause = verdict.root_cause
    lines.append(_plain(cause.summary) if cause else "None identified.")
    lines += ["", "## Evidence", ""]
    lines += [f"- {_plain(e.fact)} _(source: {e.source})_" for e in verdict.evidence] or ["None."]
    lines += ["", "## Recommendation", ""]
    if cause:
        lines.append(PLAYBOOK.get(cause.kind, PLAYBOOK["server_error"]))
    elif verdict.cls == "INCONCLUSIVE":
        lines.append("Fix the reason above (more samples, a quieter machine, or the failed step) and run again.")
    else:
        lines.append("Nothing to do.")
    return "\n".join(lines) + "\n"


def _row(route: RouteVerdict) -> str:
    e = route.effects
    median = f"{_fmt(e.get('median_base_ms'))} → {_fmt(e.get('median_head_ms'))}"
    shift = f"{_fmt(e.get('shift_ms'))} ms ({_fmt(e.get('shift_pct'))} %)" if e.get("shift_ms") is not None else "—"
    p95 = f"{_fmt(e.get('p95_base_ms'))} → {_fmt(e.get('p95_head_ms'))}"
    errors = f"{_pct(e.get('error_rate_base'))} → {_pct(e.get('error_rate_head'))}"
    signals = ", ".join(s.name for s in route.signals) or route.reason
    cells = (str(route.endpoint), route.change, route.cls, median, shift, p95, errors, signals)
    return "| " + " | ".join(_plain(c).replace("|", "\\|") for c in cells) + " |"


def _plain(text: str) -> str:
    """Measured text as markdown text: normalised errors read ``id=<n>``, which a renderer would take
    for an HTML tag and drop."""
    return text.replace("<", "\\<")


def _fmt(value: Effect) -> str:
    return f"{value:.2f}" if isinstance(value, float) else "—"


def _pct(value: Effect) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, float) else "—"
