"""The live side of one run: the resources Burr state cannot hold, and the work of each phase.

Burr state holds what a run *knows* (JSON values, sealed into the ledger step by step); this
session holds what a run *has*: worktrees, target processes, proxies, the store, the k6 results.
Each phase method does one phase's work and returns the JSON-friendly facts for the state. The
graph in ``graph.py`` decides which phase may run when; nothing here decides order.
"""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from kassi_app.change import ChangeSet, all_endpoints, changed_endpoints
from kassi_app.endpoint import Endpoint
from kassi_app.errors import BadInput, InfrastructureError, KassiError
from kassi_app.events import AccessEvent, LogEvent, Variant
from kassi_app.governance.redact import redact, redact_text
from kassi_app.home import kassi_home, private_dir
from kassi_app.hosts import check_target_url
from kassi_app.inputs import MAX_INPUT_BYTES, finite_number
from kassi_app.judge import JudgeSettings, Slo, Verdict, inconclusive, judge_ab, judge_live
from kassi_app.load import K6Result, LoadPlan, LoadProfile, render_script, run_segmented, validate_script
from kassi_app.openapi import load_openapi, operations, parse_openapi
from kassi_app.target import RunningTarget, TargetSpec, checkout, resolve_ref, start_target
from kassi_app.target.spec import SPEC_FILE, parse_toml
from kassi_app.target.worktree import git
from kassi_app.telemetry.logparse import LogParser
from kassi_app.telemetry.proxy import AccessLogProxy
from kassi_app.telemetry.queries import AccessEventsQuery, RouteStatsQuery, TopErrorsQuery
from kassi_app.telemetry.store import SQLiteStore
from kassi_app.workflow.request import RunRequest

K6_MARGIN_S = 60.0
"""Slack on top of a block's planned duration before the k6 runner gives up on it."""

MAX_SEGMENTS = 16
T = TypeVar("T")


def new_run_id() -> str:
    """Sortable and unique: UTC time to the second plus random hex."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


@dataclass
class Side:
    """One variant under load: where its service listens, and (A/B) the running target."""

    variant: Variant
    host: str
    port: int
    target: RunningTarget | None = None
    parser: LogParser | None = None


@dataclass
class PhaseTimer:
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.monotonic() - started, 3)


class RunSession:
    """One run's resources. ``close()`` (also called by ``conclude``) stops and removes everything."""

    def __init__(self, home: Path | None = None, store: SQLiteStore | None = None) -> None:
        self.home = home or kassi_home()
        self.run_id = new_run_id()
        self.run_dir = private_dir(self.home / "runs" / self.run_id)
        self.store = store or SQLiteStore(self.home / "kassi.db")
        self.timer = PhaseTimer()
        self.failure: KassiError | None = None
        self.request: RunRequest | None = None
        self.spec: TargetSpec | None = None
        self.openapi: dict[str, Any] | None = None
        self.changes = ChangeSet([], [], [])
        self.endpoints: list[Endpoint] = []
        self.background: list[Endpoint] = []
        self.profile = LoadProfile()
        self.rounds = 2
        self.script: Path | None = None
        self.sides: list[Side] = []
        self.blocks: list[dict[str, Any]] = []
        self.logs: list[LogEvent] = []
        self._logs_stored = 0
        self.verdict: Verdict | None = None
        self.record: dict[str, Any] = {}
        self.warnings: list[str] = []
        self.skipped: list[str] = []
        self.refused: set[Endpoint] = set()
        self._stack = ExitStack()

    # ---- helpers -----------------------------------------------------------------------------
    def guarded(self, name: str, work: Callable[[], T]) -> T:
        """Run one phase's work, timing it and remembering the first kassi error (for the exit code)."""
        with self.timer.phase(name):
            try:
                return work()
            except KassiError as exc:
                self.failure = self.failure or exc
                raise

    @property
    def req(self) -> RunRequest:
        if self.request is None:
            raise BadInput("the run has not begun")
        return self.request

    # ---- phases ------------------------------------------------------------------------------
    def begin(self, request: RunRequest) -> dict[str, Any]:
        """Validate the request before anything starts: refs, kassi.toml, URL allowlist, endpoints."""
        self.request = request
        if not 1 <= request.segments <= MAX_SEGMENTS:
            raise BadInput(f"--segments must be at least 1 and at most {MAX_SEGMENTS}")
        if request.mode == "ab":
            repo = request.repo
            if repo is None or not repo.is_dir():
                raise BadInput(f"not a folder: {repo}")
            resolved = {ref: resolve_ref(repo, ref) for ref in (request.base, request.head)}
            self.spec = TargetSpec.parse(_toml_at(repo, request.head))
            facts: dict[str, Any] = {"repo": str(repo), "refs": resolved}
        else:
            if not request.url:
                raise BadInput("a live run needs --url")
            check_target_url(request.url, request.allow_hosts)
            if not request.endpoints:
                raise BadInput("a live run needs at least one --endpoint 'METHOD /route'")
            self.endpoints = [Endpoint.parse(text) for text in request.endpoints]
            self.spec = None
            facts = {"url": request.url}
        self._apply_load_settings()
        return {"run_id": self.run_id, "mode": request.mode, **facts}

    def _apply_load_settings(self) -> None:
        defaults = self.spec.load_defaults if self.spec else None
        over = self.req.load
        for name, flag in (("low_duration_s", "--low-duration"), ("high_duration_s", "--high-duration")):
            if getattr(over, name) is not None:
                finite_number(getattr(over, name), flag, positive=True)

        def pick(name: str) -> Any:
            value = getattr(over, name)
            return value if value is not None else getattr(defaults or self.profile, name, None)

        try:
            self.profile = LoadProfile(
                low_vus=int(pick("low_vus")),
                high_vus=int(pick("high_vus")),
                low_duration_s=float(pick("low_duration_s")),
                high_duration_s=float(pick("high_duration_s")),
                changed_share=1.0 - defaults.background_weight if defaults else self.profile.changed_share,
            )
        except ValueError as exc:
            raise BadInput(f"load settings: {exc}") from None
        rounds = over.rounds if over.rounds is not None else (defaults.rounds if defaults else 2)
        if rounds < 1:
            raise BadInput("--rounds must be at least 1")
        self.rounds = rounds

    def read_change(self) -> dict[str, Any]:
        """The changed endpoints (A/B: from the diff; live: as given) and the background mix."""
        req = self.req
        if req.mode == "ab":
            assert req.repo is not None
            self.changes = changed_endpoints(req.repo, req.base, req.head)
            self.endpoints = self._loadable([c.endpoint for c in self.changes.endpoints if c.change != "removed"])
            self.openapi = self._spec_openapi(req.repo, req.head)
            known = operations(self.openapi) if self.openapi else self._loadable(
                [r.endpoint for r in all_endpoints(req.repo, req.head)])
        else:
            self.openapi = load_openapi(req.openapi, req.allow_hosts) if req.openapi else None
            known = operations(self.openapi) if self.openapi else list(self.endpoints)
            if self.openapi is not None and not known:
                raise BadInput(f"the OpenAPI spec {req.openapi} has no usable operations")
            unknown = [str(e) for e in self.endpoints if self.openapi and e not in known]
            if unknown:
                raise BadInput(f"endpoint not in the OpenAPI spec: {', '.join(unknown)}")
        self.background = [e for e in known if e not in self.endpoints]
        if not self.endpoints and not self.background:
            raise BadInput("nothing to load: the change touches no endpoint and the service lists none")
        return {
            "changed": [c.to_json() for c in self.changes.endpoints],
            "endpoints": [str(e) for e in self.endpoints],
            "background": [str(e) for e in self.background],
            "files": self.changes.files,
        }

    def _loadable(self, found: Sequence[Endpoint]) -> list[Endpoint]:
        """Endpoints read from the repo's code whose route is a plain path; the others (a route
        such as ``@host/x`` would send load elsewhere) are left out with a warning."""
        kept: list[Endpoint] = []
        for endpoint in found:
            try:
                kept.append(Endpoint.checked(endpoint.method, endpoint.route))
            except BadInput as exc:
                self.refused.add(endpoint)
                self.skipped.append(f"not loaded: {exc}")
        return kept

    def _spec_openapi(self, repo: Path, ref: str) -> dict[str, Any] | None:
        """The spec file kassi.toml names, as it is at ``ref`` (the user's tree may differ)."""
        assert self.spec is not None
        if self.spec.openapi_file is None:
            return None
        name = self.spec.openapi_file
        return parse_openapi(git(repo, "show", f"{ref}:{name}"), f"{name} at {ref}")

    def prepare_load(self) -> dict[str, Any]:
        """Render the k6 script for the endpoints and background mix, and validate it with k6 inspect."""
        plan = LoadPlan(self.endpoints, self.background, self.profile, self.openapi)
        self.script = self.run_dir / "load.js"
        self.script.write_text(render_script(plan), encoding="utf-8")
        needs = validate_script(self.script)
        return {
            "script": str(self.script),
            "profile": {
                "low_vus": self.profile.low_vus,
                "high_vus": self.profile.high_vus,
                "low_duration_s": self.profile.low_duration_s,
                "high_duration_s": self.profile.high_duration_s,
                "changed_share": self.profile.changed_share,
            },
            "rounds": self.rounds,
            "block_duration_s": needs.total_duration_s,
            "max_vus": needs.max_vus,
        }

    def start_targets(self) -> dict[str, Any]:
        """A/B: a worktree and a started service per ref; live: the given URL. Proxies come per load."""
        req = self.req
        if req.mode == "live":
            assert req.url is not None
            host, port = check_target_url(req.url, req.allow_hosts)
            _check_reachable(host, port)
            self.sides = [Side("live", host, port)]
            return {"live": req.url}
        assert req.repo is not None
        out: dict[str, Any] = {}
        refs: tuple[tuple[Variant, str], ...] = (("base", req.base), ("head", req.head))
        for variant, ref in refs:
            workdir = self._stack.enter_context(checkout(req.repo, ref))
            spec = TargetSpec.load(workdir)
            parser = LogParser(self.run_id, variant, self._keep_log)
            self._stack.callback(parser.close)
            target = self._stack.enter_context(start_target(spec, workdir, parser.on_line))
            self.sides.append(Side(variant, "127.0.0.1", target.port, target, parser))
            out[variant] = {"ref": ref, "url": target.base_url}
        return out

    def _keep_log(self, event: LogEvent) -> None:
        self.logs.append(event)  # list.append is atomic: reader threads of both targets call this

    def _flush_logs(self) -> None:
        """Write the log events captured since the last flush to the store (one batch)."""
        fresh = self.logs[self._logs_stored :]
        self._logs_stored += len(fresh)
        if fresh:
            self.store.write_logs(fresh)

    def drive_load(self, rounds: int) -> dict[str, Any]:
        """Drive the same k6 load at every side in interleaved blocks (A B B A ...), each block
        through a fresh access-log proxy that is drained before the block's result is kept."""
        if self.script is None or not self.sides:
            raise InfrastructureError("no load script or no target to load")
        routes = [e.route for e in (*self.endpoints, *self.background)]
        block_s = self.profile.low_duration_s + self.profile.high_duration_s + self.profile.graceful_stop_s
        new_blocks: list[dict[str, Any]] = []
        for _ in range(rounds):
            for side in self._round_order():
                block = len(self.blocks)
                result = self._one_block(side, block, routes, block_s)
                summary = {"block": block, "variant": side.variant, **_k6_figures(result)}
                self.blocks.append(summary)
                new_blocks.append(summary)
        return {"blocks": new_blocks, "total_blocks": len(self.blocks)}

    def _round_order(self) -> list[Side]:
        """A B, then B A, then A B ...: an ABBA sequence, so a drift of the machine that is linear in
        time (a neighbour ramping up, a cache warming) adds the same to both variants."""
        done_rounds = len(self.blocks) // max(len(self.sides), 1)
        return list(self.sides) if done_rounds % 2 == 0 else list(reversed(self.sides))

    def _one_block(self, side: Side, block: int, routes: list[str], block_s: float) -> K6Result:
        assert self.script is not None
        if side.target is not None:
            side.target.check_alive()
        proxy = AccessLogProxy(side.host, side.port, self.run_id, side.variant, routes, self._keep_access)
        proxy_port = proxy.start()
        try:
            result = run_segmented(
                self.script,
                self.req.segments,
                env={"BASE_URL": f"http://127.0.0.1:{proxy_port}", "KASSI_BLOCK": str(block)},
                workdir=self.run_dir / f"k6-block{block:02d}-{side.variant}",
                timeout_s=block_s + self.profile.setup_timeout_s + K6_MARGIN_S,
            )
        finally:
            proxy.stop()
        if side.target is not None:
            side.target.check_alive()
        return result

    def _keep_access(self, events: Sequence[AccessEvent]) -> None:
        self.store.write_access(events)

    def collect(self) -> dict[str, Any]:
        """Per variant and route: requests, status classes, p50/p95/p99 and top errors (store queries)."""
        self._flush_logs()
        telemetry = self.telemetry()
        if not telemetry:
            raise InfrastructureError("the proxy recorded no requests: the load never reached the service")
        _check_upstream_answered(telemetry)
        self.warnings = [*self.skipped, *_rejected_routes(telemetry)]
        return {"telemetry": telemetry, "warnings": self.warnings}

    def telemetry(self) -> dict[str, dict[str, Any]]:
        stats = self.store.ask(RouteStatsQuery(run_id=self.run_id))
        errors = self.store.ask(TopErrorsQuery(run_id=self.run_id, limit=3))
        telemetry: dict[str, dict[str, Any]] = {}
        for s in stats:
            telemetry.setdefault(s.variant, {})[s.route] = {
                "requests": s.count,
                "2xx": s.status_2xx,
                "4xx": s.status_4xx,
                "429": s.status_429,
                "5xx": s.status_5xx,
                "p50_ms": round(s.p50, 3),
                "p95_ms": round(s.p95, 3),
                "p99_ms": round(s.p99, 3),
                "top_errors": [],
            }
        for e in errors:
            route = telemetry.get(e.variant, {}).get(e.route)
            if route is not None:
                route["top_errors"].append({"error": e.error, "count": e.count})
        return telemetry

    def judge(self) -> dict[str, Any]:
        """The statistical verdict over the run's access events, with root cause from the logs."""
        events = self.store.ask(AccessEventsQuery(run_id=self.run_id))
        settings = JudgeSettings.from_dict(self.spec.judge) if self.spec else JudgeSettings()
        slo = Slo(p95_ms=self.spec.slo.p95_ms, error_rate=self.spec.slo.error_rate) if self.spec else Slo()
        users = (self.profile.low_vus, self.profile.high_vus)
        roots = [str(s.target.workdir) for s in self.sides if s.target is not None]
        if self.req.mode == "ab":
            changed = [c for c in self.changes.endpoints if c.endpoint not in self.refused]
            self.verdict = judge_ab(
                events, changed, settings, logs=self.logs, hunks=self.changes.hunks,
                slo=slo, stage_users=users, repo_roots=roots,
            )
        else:
            self.verdict = judge_live(events, self.endpoints, settings, slo, logs=self.logs)
        return {"verdict_class": self.verdict.cls, "reason": self.verdict.reason}

    def explain(self) -> dict[str, Any]:
        """The deterministic written analysis of the verdict (sections Summary ... Recommendation)."""
        if self.verdict is None:
            raise InfrastructureError("no verdict to explain")
        analysis = redact_text(self.verdict.analysis())
        (self.run_dir / "analysis.md").write_text(analysis, encoding="utf-8")
        root = self.verdict.root_cause
        return {"root_cause": root.to_dict() if root else None, "analysis_file": str(self.run_dir / "analysis.md")}

    def abort(self, reason: str) -> dict[str, Any]:
        """The run cannot be judged: an explicit INCONCLUSIVE verdict with the reason."""
        self.verdict = inconclusive(reason, bad_input=isinstance(self.failure, BadInput))
        return {"verdict_class": self.verdict.cls, "reason": reason}

    def conclude(self, ledger: Mapping[str, Any]) -> dict[str, Any]:
        """Stop and remove everything, then write the run record (run.json and the store)."""
        with self.timer.phase("cleanup"):
            self._stack.close()
        self._flush_logs()
        verdict = self.verdict or inconclusive("the run ended before a verdict")
        self.verdict = verdict
        self.record = self.build_record(ledger)
        write_record(self.run_dir, self.record)
        self.store.put_run(self.run_id, self.record)
        return {"verdict_class": verdict.cls, "record": str(self.run_dir / "run.json")}

    def close(self) -> None:
        self._stack.close()

    # ---- the run record ------------------------------------------------------------------------
    def build_record(self, ledger: Mapping[str, Any]) -> dict[str, Any]:
        """The run record, redacted (a password in --url, a token in an error body stay out)."""
        req = self.request
        loads: dict[str, dict[str, Any]] = {}
        for block in self.blocks:
            per = loads.setdefault(block["variant"], {"requests": 0, "duration_s": 0.0, "blocks": []})
            per["requests"] += block["requests"]
            per["duration_s"] = round(per["duration_s"] + block["duration_s"], 3)
            per["blocks"].append(block)
        telemetry = self._safe_telemetry()
        record: dict[str, Any] = redact({
            "run_id": self.run_id,
            "mode": req.mode if req else None,
            "request": _request_facts(req),
            "endpoints": [c.to_json() for c in self.changes.endpoints]
            or [{"method": e.method, "route": e.route} for e in self.endpoints],
            "background": [str(e) for e in self.background],
            "load": loads,
            "telemetry": telemetry,
            "verdict": self.verdict.to_dict() if self.verdict else None,
            "failure": str(self.failure) if self.failure else None,
            "warnings": self.warnings,
            "timings_s": dict(self.timer.seconds),
            "ledger": dict(ledger),
        })
        return record

    def _safe_telemetry(self) -> dict[str, dict[str, Any]]:
        try:
            return self.telemetry()
        except Exception as exc:  # the record must be written even when the store is what failed
            return {"error": {"store": str(exc)}}


UNREACHABLE_MARK = "the connection"
"""The proxy's error text when it could not connect upstream ("upstream ... refused the connection")."""


def write_record(run_dir: Path, record: Mapping[str, Any]) -> None:
    """run.json, redacted once more (callers add fields after ``build_record``)."""
    (run_dir / "run.json").write_text(json.dumps(redact(record), indent=2, default=str), encoding="utf-8")


def _check_reachable(host: str, port: int, timeout_s: float = 3.0) -> None:
    """A live target must accept a TCP connection before any load is sent."""
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise InfrastructureError(f"nothing answers at {host}:{port}: {exc.strerror or exc}") from None


def _check_upstream_answered(telemetry: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> None:
    """Most requests of a variant failing to reach its service is an infrastructure failure, not a
    verdict on the change: raise with the proxy's own error text."""
    for variant, routes in telemetry.items():
        total = sum(r["requests"] for r in routes.values())
        refused = [e for r in routes.values() for e in r["top_errors"] if UNREACHABLE_MARK in str(e["error"])]
        if total and sum(e["count"] for e in refused) * 2 > total:
            raise InfrastructureError(f"the proxy could not reach the {variant} service: {refused[0]['error']}")


def _rejected_routes(telemetry: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    """Routes that answered mostly 4xx (not 429) at every variant: the load's requests are being
    rejected, so their latency says little about the change. Reported, not hidden."""
    shares: dict[str, list[float]] = {}
    for routes in telemetry.values():
        for route, s in routes.items():
            shares.setdefault(route, []).append(s["4xx"] / max(s["requests"], 1))
    return [
        f"{route}: {100 * min(values):.0f} % of requests answered 4xx at every variant: check the spec's "
        "parameters and bodies for this route"
        for route, values in sorted(shares.items())
        if min(values) > 0.5
    ]


def _toml_at(repo: Path, ref: str) -> dict[str, Any]:
    """kassi.toml as committed at ``ref``."""
    try:
        text = git(repo, "show", f"{ref}:{SPEC_FILE}")
    except InfrastructureError:
        raise BadInput(f"no {SPEC_FILE} at {ref} in {repo}: kassi needs it to start the service") from None
    if len(text) > MAX_INPUT_BYTES:
        raise BadInput(f"{SPEC_FILE} at {ref} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    return parse_toml(text, f"{SPEC_FILE} at {ref}")


def _k6_figures(result: K6Result) -> dict[str, Any]:
    metrics = result.summary.get("metrics", {})
    duration = metrics.get("http_req_duration", {})
    failed = metrics.get("http_req_failed", {})
    return {
        "requests": result.requests,
        "duration_s": round(result.duration_s, 3),
        "exit_code": result.exit_code,
        "k6_p50_ms": duration.get("med"),
        "k6_p95_ms": duration.get("p(95)"),
        "k6_failed_rate": failed.get("value"),
    }


def _request_facts(req: RunRequest | None) -> dict[str, Any]:
    if req is None:
        return {}
    return {
        "repo": str(req.repo) if req.repo else None,
        "base": req.base,
        "head": req.head,
        "url": req.url,
        "endpoints": list(req.endpoints),
        "segments": req.segments,
    }

