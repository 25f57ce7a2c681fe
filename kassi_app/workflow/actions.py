"""The work of each phase of a run. Each takes the run's context, fills its part of the evidence and
returns the JSON-friendly facts that go into Burr state (and so into the ledger).

Nothing here decides order: ``graph.py`` holds the legal moves.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kassi_app.change import all_endpoints, changed_endpoints
from kassi_app.change.appwide import app_wide_targets
from kassi_app.change.request_shapes import route_shapes
from kassi_app.config import ProjectSettings, RunRequest, RunSettings, resolve_settings
from kassi_app.endpoint import Endpoint
from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.events import AccessEvent, Variant
from kassi_app.explain import explain_verdict, render_analysis
from kassi_app.git import resolve_ref, show_file
from kassi_app.hosts import check_target_url, origin_url
from kassi_app.inputs import MAX_INPUT_BYTES
from kassi_app.judge import ChangedLike, Verdict, inconclusive, judge_ab, judge_live
from kassi_app.judge.baseline import with_history
from kassi_app.judge.sequential import Look
from kassi_app.load import K6Result, LoadPlan, LoadProfile, render_script, run_segmented, validate_script
from kassi_app.load.script import plan_requests
from kassi_app.openapi import load_openapi, operations, parse_openapi
from kassi_app.redact import redact, redact_text
from kassi_app.target import TargetSpec, checkout, start_target
from kassi_app.target.linecov import never_ran
from kassi_app.target.spec import SPEC_FILE, parse_toml
from kassi_app.telemetry.logparse import LogParser
from kassi_app.telemetry.port import ExternalTruth
from kassi_app.telemetry.proxy import AccessLogProxy
from kassi_app.telemetry.queries import AccessEventsQuery, RouteStatsQuery, TopErrorsQuery
from kassi_app.telemetry.spl import BlockWindow
from kassi_app.telemetry.splunk_open import load_settings, open_splunk_store
from kassi_app.workflow.context import RunContext, Side
from kassi_app.workflow.evidence import BlockResult, RouteTelemetry, RunEvidence, Telemetry
from kassi_app.workflow.history import live_histories
from kassi_app.workflow.linecheck import head_env, warm_up
from kassi_app.workflow.reach import annotate, reach_dict, reach_of, unbuildable, unbuildable_note
from kassi_app.workflow.record import build_record, full_analysis
from kassi_app.workflow.replay import check_traffic, recorded_traffic
from kassi_app.workflow.runs import apply_retention, sealed_files

K6_MARGIN_S = 60.0
"""Slack on top of a block's planned duration before the k6 runner gives up on it."""
UNREACHABLE_MARK = "the connection"
"""The proxy's error text when it could not connect upstream ("upstream ... refused the connection")."""


def _settings(ctx: RunContext) -> RunSettings:
    if ctx.evidence.settings is None or ctx.evidence.request is None:
        raise BadInput("the run has not begun")
    return ctx.evidence.settings


def _request(ctx: RunContext) -> RunRequest:
    if ctx.evidence.request is None:
        raise BadInput("the run has not begun")
    return ctx.evidence.request


def load_profile(settings: RunSettings) -> LoadProfile:
    """The k6 load profile of a run's settings."""
    load = settings.load
    return LoadProfile(
        low_vus=load.low_vus, high_vus=load.high_vus, low_duration_s=load.low_duration_s,
        high_duration_s=load.high_duration_s, changed_share=load.changed_share,
    )


def begin(ctx: RunContext, request: RunRequest) -> dict[str, Any]:
    """Validate the whole request before anything starts: refs, kassi.toml and every setting in it,
    the URL allow list, the endpoints. Bad input ends the run here (exit 2), with nothing to stop."""
    ev = ctx.evidence
    ev.request = request
    ctx.sink.begin(ctx.run_id, redact(request.model_dump(mode="json")))
    if request.telemetry == "splunk" and request.mode != "live":
        raise BadInput("telemetry splunk is for live runs: A/B targets run here, behind kassi's proxy")
    check_traffic(request)
    if request.mode == "ab":
        repo = request.repo_path
        if repo is None or not repo.is_dir():
            raise BadInput(f"not a folder: {request.repo}")
        ev.refs = {ref: resolve_ref(repo, ref) for ref in (request.base, request.head)}
        ev.spec = TargetSpec.parse(_toml_at(repo, ev.refs[request.head], request.head))
        project = ev.spec.settings
        facts: dict[str, Any] = {"repo": str(repo), "refs": ev.refs}
    else:
        if not request.url:
            raise BadInput("a live run needs --url")
        check_target_url(request.url, request.allow_hosts)
        if not request.endpoints:
            raise BadInput("a live run needs at least one --endpoint 'METHOD /route'")
        ev.endpoints = [Endpoint.parse(text) for text in request.endpoints]
        project = ProjectSettings()
        if request.telemetry == "splunk":
            ev.splunk = ctx.splunk.settings if ctx.splunk else load_settings(
                Path(request.splunk_config).expanduser() if request.splunk_config else None)
        facts = {"url": request.url, "telemetry": request.telemetry}
    ev.settings = resolve_settings(request, project)
    return {
        "run_id": ctx.run_id, "mode": request.mode, **facts,
        "max_extensions": ev.settings.max_extensions, "extensions": 0, "fix": ev.settings.fix,
    }


def read_change(ctx: RunContext) -> dict[str, Any]:
    """The changed endpoints (A/B: from the diff; live: as given) and the background mix."""
    req, ev = _request(ctx), ctx.evidence
    if req.mode == "ab":
        repo = req.repo_path
        assert repo is not None and ev.spec is not None
        head = ev.refs[req.head]
        ev.changes = changed_endpoints(repo, ev.refs[req.base], head)
        ev.endpoints = _loadable(ev, [c.endpoint for c in ev.changes.endpoints if c.change != "removed"])
        ev.openapi = _spec_openapi(repo, head, ev.spec.openapi_file)
        known = operations(ev.openapi) if ev.openapi else _loadable(ev, [r.endpoint for r in all_endpoints(repo, head)])
        if not ev.endpoints:  # app config, middleware, a shared helper: judge a few routes, load them
            ev.app_wide = app_wide_targets(ev.changes.files, known)
            ev.endpoints = [t.endpoint for t in ev.app_wide]
        ev.shapes = route_shapes(repo, head)
    else:
        ev.openapi = load_openapi(req.openapi, req.allow_hosts) if req.openapi else None
        known = operations(ev.openapi) if ev.openapi else list(ev.endpoints)
        if ev.openapi is not None and not known:
            raise BadInput(f"the OpenAPI spec {req.openapi} has no usable operations")
        unknown = [str(e) for e in ev.endpoints if ev.openapi and e not in known]
        if unknown:
            raise BadInput(f"endpoint not in the OpenAPI spec: {', '.join(unknown)}")
    ev.background = [e for e in known if e not in ev.endpoints]
    if not ev.endpoints and not ev.background:
        raise BadInput("nothing to load: the change touches no endpoint and the service lists none")
    if req.traffic:
        ev.replay = recorded_traffic(req, ev.endpoints, ev.splunk)
    return {
        "changed": [c.to_json() for c in ev.changes.endpoints] + [t.to_json() for t in ev.app_wide],
        "endpoints": [str(e) for e in ev.endpoints],
        "background": [str(e) for e in ev.background],
        "files": ev.changes.files,
        "request_shapes": {str(ep): shape.source for ep, shape in sorted(ev.shapes.items())},
        "replay": {str(ep): len(recorded) for ep, recorded in sorted(ev.replay.items())},
    }


def _loadable(ev: RunEvidence, found: Sequence[Endpoint]) -> list[Endpoint]:
    """Endpoints read from the repo's code whose route is a plain path; the others (a route such as
    ``@host/x`` would send load elsewhere) are left out, neither loaded nor judged, with a warning."""
    kept: list[Endpoint] = []
    for endpoint in found:
        try:
            kept.append(Endpoint.checked(endpoint.method, endpoint.route))
        except BadInput as exc:
            if endpoint not in ev.refused:
                ev.refused.append(endpoint)
                ev.warnings.append(f"not loaded: {exc}")
    return kept


def prepare_load(ctx: RunContext) -> dict[str, Any]:
    """Render the k6 script for the endpoints and background mix, and validate it with k6 inspect."""
    settings, ev = _settings(ctx), ctx.evidence
    profile = load_profile(settings)
    plan = LoadPlan(ev.endpoints, ev.background, profile, ev.openapi, ev.shapes, ev.replay)
    ev.unbuilt = unbuildable(plan_requests(plan), ev.endpoints)
    ev.script = ctx.run_dir / "load.js"
    ev.script.write_text(render_script(plan), encoding="utf-8")
    needs = validate_script(ev.script)
    return {
        "script": str(ev.script),
        "profile": settings.load.model_dump(),
        "block_duration_s": needs.total_duration_s,
        "max_vus": needs.max_vus,
        "warnings": [unbuildable_note(ep) for ep in ev.unbuilt],
    }


def start_targets(ctx: RunContext) -> dict[str, Any]:
    """A/B: a worktree and a started service per ref; live: the given URL. Proxies come per load."""
    req, res, ev = _request(ctx), ctx.resources, ctx.evidence
    if req.mode == "live":
        assert req.url is not None
        host, port = check_target_url(req.url, req.allow_hosts)
        _check_reachable(host, port)
        res.sides = [Side("live", host, port)]
        if ctx.evidence.splunk is not None:
            routes = [e.route for e in (*ev.endpoints, *ev.background)]
            res.truth = open_splunk_store(ctx.evidence.splunk, routes, ctx.splunk.session_key if ctx.splunk else None)
        return {"live": req.url}
    repo = req.repo_path
    assert repo is not None
    out: dict[str, Any] = {}
    refs: tuple[tuple[Variant, str], ...] = (("base", req.base), ("head", req.head))
    for variant, ref in refs:
        workdir = res.stack.enter_context(checkout(repo, ctx.evidence.refs[ref]))
        spec = TargetSpec.load(workdir)
        parser = LogParser(ctx.run_id, variant, ctx.keep_log)
        res.stack.callback(parser.close)
        extra_env = head_env(ctx, variant, workdir)
        target = res.stack.enter_context(start_target(spec, workdir, parser.on_line, extra_env))
        res.sides.append(Side(variant, "127.0.0.1", target.port, target, parser))
        out[variant] = {"ref": ref, "url": target.base_url}
    return out


def drive_load(ctx: RunContext, rounds: int | None = None) -> dict[str, Any]:
    """Drive the same k6 load at every side in interleaved blocks (A B B A ...), each block through a
    fresh access-log proxy that is drained before the block's result is kept."""
    settings, ev, res = _settings(ctx), ctx.evidence, ctx.resources
    if ev.script is None or not res.sides:
        raise InfrastructureError("no load script or no target to load")
    count = rounds if rounds is not None else _first_rounds(ctx)
    facts = {"line_coverage": warm_up(ctx, _block_timeout_s(settings))} if ctx.resources.linecov else {}
    new_blocks = drive_rounds(ctx, res.sides, ctx.run_id, count, ev.blocks)
    driven = len(ev.blocks) // max(len(res.sides), 1)
    return {"blocks": [b.to_dict() for b in new_blocks], "total_blocks": len(ev.blocks),
            "planned_rounds_left": max(settings.load.rounds - driven, 0), **facts}


def _block_timeout_s(settings: RunSettings) -> float:
    profile = load_profile(settings)
    block_s = profile.low_duration_s + profile.high_duration_s + profile.graceful_stop_s
    return block_s + profile.setup_timeout_s + K6_MARGIN_S


def _first_rounds(ctx: RunContext) -> int:
    """An A/B run looks first after ``first_look_rounds``, so a clear fault ends the run early (the
    interim look's tests run at the tiny alpha O'Brien-Fleming spends that early); a live run has no
    second side to stop against and drives all its rounds."""
    load = _settings(ctx).load
    return min(load.first_look_rounds, load.rounds) if _request(ctx).mode == "ab" else load.rounds


def drive_rounds(
    ctx: RunContext, sides: Sequence[Side], run_id: str, rounds: int, blocks: list[BlockResult], tag: str = ""
) -> list[BlockResult]:
    """``rounds`` ABBA rounds of the run's k6 script at ``sides``, the proxies recording under
    ``run_id``; each block's result is appended to ``blocks`` and returned. The fix's A/B runs
    (remedy and verify-fix, ``tag`` naming their k6 folders) measure with exactly this."""
    settings, ev, res = _settings(ctx), ctx.evidence, ctx.resources
    assert ev.script is not None
    routes = [e.route for e in (*ev.endpoints, *ev.background)]
    timeout_s = _block_timeout_s(settings)
    new_blocks: list[BlockResult] = []
    script = ev.script
    # Ids are looked up at the base service itself, not through a proxy: the same ids for both sides,
    # checked to answer 2xx at base, and no lookup ever counted as load.
    base = next((s for s in res.sides if s.variant == "base"), None)
    lookup = {"LOOKUP_URL": origin_url(base.host, base.port)} if base is not None else {}

    def k6(block: int, variant: Variant, base_url: str) -> K6Result:
        return run_segmented(
            script, settings.segments, env={"BASE_URL": base_url, "KASSI_BLOCK": str(block), **lookup},
            workdir=ctx.run_dir / f"k6-{tag}block{block:02d}-{variant}", timeout_s=timeout_s,
        )

    for _ in range(rounds):
        for side in _round_order(sides, len(blocks)):
            ctx.check_cancel()
            block = len(blocks)
            if side.target is not None:
                side.target.check_alive()
            if isinstance(res.truth, ExternalTruth):  # no proxy: the service's own log is the truth
                started = time.time()
                result = k6(block, side.variant, (_request(ctx).url or "").rstrip("/"))
                res.truth.record_block(BlockWindow(run_id, side.variant, block, started, time.time()))
            else:
                proxy = AccessLogProxy(side.host, side.port, run_id, side.variant, routes, res.store.write_access)
                proxy_port = proxy.start()
                try:
                    result = k6(block, side.variant, f"http://127.0.0.1:{proxy_port}")
                finally:
                    proxy.stop()
            if side.target is not None:
                side.target.check_alive()
            blocks.append(BlockResult.of(block, side.variant, result))
            new_blocks.append(blocks[-1])
    return new_blocks


def _round_order(sides: Sequence[Side], blocks_done: int) -> list[Side]:
    """A B, then B A, then A B ...: an ABBA sequence, so a drift of the machine that is linear in time
    (a neighbour ramping up, a cache warming) adds the same to both variants."""
    done_rounds = blocks_done // max(len(sides), 1)
    return list(sides) if done_rounds % 2 == 0 else list(reversed(sides))


def collect(ctx: RunContext) -> dict[str, Any]:
    """Per variant and route: requests, status classes, p50/p95/p99 and top errors (store queries)."""
    ev = ctx.evidence
    ctx.resources.flush_logs(ev.logs)
    if isinstance(ctx.resources.truth, ExternalTruth):
        ctx.resources.truth.settle(ctx.run_id)
    ev.telemetry = read_telemetry(ctx)
    if not ev.telemetry:
        raise InfrastructureError("the proxy recorded no requests: the load never reached the service")
    check_upstream_answered(ev.telemetry)
    ev.warnings = [w for w in ev.warnings if w.startswith("not loaded:")] + rejected_routes(ev.telemetry)
    return {"telemetry": ev.telemetry_dict(), "warnings": ev.warnings}


def read_telemetry(ctx: RunContext) -> Telemetry:
    """The store's per-variant, per-route figures for this run."""
    store = ctx.resources.truth
    errors: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for e in store.ask(TopErrorsQuery(run_id=ctx.run_id, limit=3)):
        errors.setdefault((e.variant, e.route), []).append((e.error, e.count))
    telemetry: Telemetry = {}
    for s in store.ask(RouteStatsQuery(run_id=ctx.run_id)):
        telemetry.setdefault(s.variant, {})[s.route] = RouteTelemetry(s, tuple(errors.get((s.variant, s.route), ())))
    return telemetry


def judge(ctx: RunContext) -> dict[str, Any]:
    """The statistical verdict over the run's access events (no cause yet: ``explain`` names it)."""
    settings, ev, req = _settings(ctx), ctx.evidence, _request(ctx)
    events = _access_events(ctx)
    if req.mode == "ab":
        changed: list[ChangedLike] = [
            *(c for c in ev.changes.endpoints if c.endpoint not in ev.refused), *ev.app_wide
        ]
        # Every judge phase is a look; the run may be extended and judged again, so each look uses
        # the alpha spent since the last one (planned: the run's rounds plus its extensions).
        sides = max(len(ctx.resources.sides), 1)
        planned = (settings.load.rounds + settings.max_extensions) * sides
        interim = len(ev.blocks) < settings.load.rounds * sides
        look = Look(len(ev.blocks), max(planned, len(ev.blocks)), ev.looks[-1] if ev.looks else 0, interim)
        ev.looks.append(len(ev.blocks))
        ev.verdict = judge_ab(events, changed, settings.judge, slo=settings.slo.to_slo(), look=look)
    else:
        ev.verdict = judge_live(
            events, ev.endpoints, settings.judge, settings.slo.to_slo(),
            stage_users=(settings.load.low_vus, settings.load.high_vus),
        )
    reach = reach_of(events, ev.endpoints)
    ev.verdict, ev.reach_notes = annotate(ev.verdict, reach, ev.unbuilt, never_ran(ev.line_coverage))
    if req.mode == "live" and req.url:  # advisory: the route's p95 beside its own past live runs
        histories, unread = live_histories(ctx.resources.truth, ev.telemetry, ev.endpoints, req.url)
        ev.verdict, ev.reach_notes = with_history(ev.verdict, histories), [*ev.reach_notes, *unread]
    ev.reach = reach_dict(reach)
    for route in ev.verdict.routes:
        share = ev.reach.get(f"{route.endpoint}")
        ctx.sink.route_result(ctx.run_id, {**route.to_dict(), **({"2xx_share": share} if share else {})})
    return {"verdict_class": ev.verdict.cls, "reason": ev.verdict.reason, "reach": ev.reach,
            "warnings": ev.reach_notes}


def explain(ctx: RunContext) -> dict[str, Any]:
    """The root cause from the run's evidence, and the written analysis (analysis.md)."""
    settings, ev, req = _settings(ctx), ctx.evidence, _request(ctx)
    if ev.verdict is None:
        raise InfrastructureError("no verdict to explain")
    ev.verdict = explain_verdict(
        ev.verdict,
        _access_events(ctx),
        changed=[*ev.changes.endpoints, *ev.app_wide],
        logs=ev.logs,
        hunks=ev.changes.hunks,
        repo_roots=[str(s.target.workdir) for s in ctx.resources.sides if s.target is not None],
        stage_users=(settings.load.low_vus, settings.load.high_vus),
        variants=("base", "head") if req.mode == "ab" else ("live",),
    )
    analysis_file = ctx.run_dir / "analysis.md"
    analysis_file.write_text(redact_text(render_analysis(ev.verdict)), encoding="utf-8")
    root = ev.verdict.root_cause
    return {"root_cause": root.to_dict() if root else None, "analysis_file": str(analysis_file)}


def abort(ctx: RunContext, reason: str) -> dict[str, Any]:
    """The run cannot be judged: an explicit INCONCLUSIVE verdict with the reason."""
    ctx.evidence.verdict = inconclusive(reason, bad_input=isinstance(ctx.evidence.failure, BadInput))
    return {"verdict_class": "INCONCLUSIVE", "reason": reason}


def conclude(ctx: RunContext) -> dict[str, Any]:
    """Stop and remove everything, then write the run record once (run.json and the store); its digest
    goes into this step's ledger entry, so the seal covers the record too."""
    ev = ctx.evidence
    with ctx.timer.phase("cleanup"):
        ctx.resources.close()
    ctx.resources.flush_logs(ev.logs)
    ev.verdict = ev.verdict or inconclusive("the run ended before a verdict")
    ctx.sink.verdict(ctx.run_id, _verdict_view(ctx, ev.verdict))
    record = build_record(ctx, _safe_telemetry(ctx))
    ctx.record_path.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    ctx.resources.store.put_run(ctx.run_id, record)
    req = ev.request or RunRequest()
    removed = apply_retention(ctx.run_dir.parent, ctx.run_id, req.keep_runs, req.keep_days)
    return {"verdict_class": ev.verdict.cls, "record": str(ctx.record_path), "files_sha256": sealed_files(ctx.run_dir),
            "runs_removed": len(removed)}


def _verdict_view(ctx: RunContext, verdict: Verdict) -> dict[str, Any]:
    return {**verdict.to_dict(), "analysis": full_analysis(verdict, ctx.evidence.remedy)}


def _access_events(ctx: RunContext) -> list[AccessEvent]:
    return list(ctx.resources.truth.ask(AccessEventsQuery(run_id=ctx.run_id)))


def _safe_telemetry(ctx: RunContext) -> dict[str, Any]:
    try:
        return {v: {r: t.to_dict() for r, t in routes.items()} for v, routes in read_telemetry(ctx).items()}
    except Exception as exc:  # the record must be written even when the store is what failed
        return {"error": {"store": str(exc)}}


def _toml_at(repo: Path, sha: str, ref: str) -> dict[str, Any]:
    """kassi.toml as committed at ``sha`` (the ref ``ref`` names)."""
    text = show_file(repo, sha, SPEC_FILE)
    if text is None:
        raise BadInput(f"no {SPEC_FILE} at {ref} in {repo}: kassi needs it to start the service")
    if len(text) > MAX_INPUT_BYTES:
        raise BadInput(f"{SPEC_FILE} at {ref} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    return parse_toml(text, f"{SPEC_FILE} at {ref}")


def _spec_openapi(repo: Path, sha: str, name: str | None) -> dict[str, Any] | None:
    """The spec file kassi.toml names, as committed at ``sha`` (the user's tree may differ)."""
    if name is None:
        return None
    text = show_file(repo, sha, name)
    if text is None:
        raise BadInput(f"kassi.toml names openapi_file {name!r}, which is not in the commit {sha[:12]}")
    return parse_openapi(text, f"{name} at {sha[:12]}")


def _check_reachable(host: str, port: int, timeout_s: float = 3.0) -> None:
    """A live target must accept a TCP connection before any load is sent."""
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise InfrastructureError(f"nothing answers at {host}:{port}: {exc.strerror or exc}") from None


def check_upstream_answered(telemetry: Telemetry) -> None:
    """Most requests of a variant failing to reach its service is an infrastructure failure, not a
    verdict on the change: raise with the proxy's own error text."""
    for variant, routes in telemetry.items():
        total = sum(r.stats.count for r in routes.values())
        refused = [(text, n) for r in routes.values() for text, n in r.top_errors if UNREACHABLE_MARK in text]
        if total and sum(n for _, n in refused) * 2 > total:
            raise InfrastructureError(f"the proxy could not reach the {variant} service: {refused[0][0]}")


def rejected_routes(telemetry: Mapping[str, Mapping[str, RouteTelemetry]]) -> list[str]:
    """Routes that answered mostly 4xx (not 429) at every variant: the load's requests are being
    rejected, so their latency says little about the change. Reported, not hidden."""
    shares: dict[str, list[float]] = {}
    for routes in telemetry.values():
        for route, t in routes.items():
            shares.setdefault(route, []).append(t.stats.status_4xx / max(t.stats.count, 1))
    return [
        f"{route}: {100 * min(values):.0f} % of requests answered 4xx at every variant: check the spec's "
        "parameters and bodies for this route"
        for route, values in sorted(shares.items())
        if min(values) > 0.5
    ]
