"""The run record: everything a run found, as one JSON object, built once from the run's evidence.

Written to ``run.json`` and the store at conclude; its digest is sealed with the ledger. Faces show
it with the ledger's final status beside it (``with_ledger``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kassi_app.explain import render_analysis
from kassi_app.judge import Verdict
from kassi_app.load.points import client_events
from kassi_app.redact import redact
from kassi_app.remedy import Remedy, fix_section
from kassi_app.telemetry.join import gap_summary, pair_requests
from kassi_app.telemetry.queries import AccessEventsQuery
from kassi_app.workflow.reach import unbuildable_note
from kassi_app.workflow.sink import LedgerStatus

if TYPE_CHECKING:
    from kassi_app.workflow.context import RunContext


def build_record(ctx: RunContext, telemetry: dict[str, Any]) -> dict[str, Any]:
    """The record of ``ctx``'s run (secrets redacted), from its evidence and the store's telemetry."""
    ev = ctx.evidence
    req = ev.request
    loads: dict[str, dict[str, Any]] = {}
    for block in ev.blocks:
        per = loads.setdefault(block.variant, {"requests": 0, "duration_s": 0.0, "blocks": []})
        per["requests"] += block.requests
        per["duration_s"] = round(per["duration_s"] + block.duration_s, 3)
        per["blocks"].append(block.to_dict())
    verdict = {**ev.verdict.to_dict(), "analysis": full_analysis(ev.verdict, ev.remedy)} if ev.verdict else None
    client_server = _client_server(ctx)
    record: dict[str, Any] = {
        "run_id": ctx.run_id,
        "mode": req.mode if req else None,
        "request": _request_facts(ctx),
        "settings": ev.settings.model_dump(mode="json") if ev.settings else None,
        "endpoints": [c.to_json() for c in ev.changes.endpoints]
        or [{"method": e.method, "route": e.route} for e in ev.endpoints],
        "background": [str(e) for e in ev.background],
        "load": loads,
        "telemetry": telemetry,
        "client_server": client_server,
        "verdict": verdict,
        "failure": str(ev.failure) if ev.failure else None,
        "remedy": ev.remedy.to_dict() if ev.remedy else {"error": ev.remedy_error} if ev.remedy_error else None,
        "reach": ev.reach,
        "line_coverage": ev.line_coverage,
        "replay": {str(ep): len(recorded) for ep, recorded in sorted(ev.replay.items())},
        "request_shapes": {str(ep): shape.to_json() for ep, shape in sorted(ev.shapes.items())},
        "warnings": [unbuildable_note(ep) for ep in ev.unbuilt] + ev.warnings + ev.reach_notes + ctx.sink.failures
        + ([f"{ev.logs_dropped} target log lines past the cap were not kept"] if ev.logs_dropped else []),
        "timings_s": dict(ctx.timer.seconds),
        "ledger": {"path": str(ctx.run_dir / "ledger.jsonl")},
    }
    redacted: dict[str, Any] = redact(record)
    return redacted


def _client_server(ctx: RunContext) -> dict[str, Any]:
    """The client/server gap per variant and endpoint (``telemetry.join``), from k6's points in the run
    folder and the proxy's events in the store; empty when no request carried an id (a live run read
    from Splunk has no proxy). A failure here is a warning: the record is written regardless."""
    try:
        server = ctx.resources.store.ask(AccessEventsQuery(run_id=ctx.run_id))
        return gap_summary(pair_requests(client_events(ctx.run_dir, ctx.run_id), server))
    except Exception as exc:  # the record must be written even when the join could not be made
        ctx.evidence.warnings.append(f"client/server join not made: {type(exc).__name__}: {exc}")
        return {}
def full_analysis(verdict: Verdict, remedy: Remedy | None) -> str:
    """The written analysis, with its "Fix" section when the run proposed one."""
    text = render_analysis(verdict)
    return text if remedy is None else f"{text.rstrip()}\n\n{fix_section(remedy)}"


def with_ledger(record: dict[str, Any], ledger: LedgerStatus) -> dict[str, Any]:
    """``record`` as a face shows it: with the sealed ledger's head, entry count and seal status."""
    return {**record, "ledger": ledger.to_dict()}


def _request_facts(ctx: RunContext) -> dict[str, Any]:
    req = ctx.evidence.request
    if req is None:
        return {}
    return {
        "repo": str(req.repo_path) if req.repo_path else None,
        "base": req.base,
        "head": req.head,
        "refs": dict(ctx.evidence.refs),
        "url": req.url,
        "endpoints": list(req.endpoints),
        "label": req.label,
        "telemetry": req.telemetry,
        "traffic": req.traffic,
    }
