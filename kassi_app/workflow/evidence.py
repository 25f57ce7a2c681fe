"""What a run knows, phase by phase: typed facts, from which the run record is built once, at conclude.

Burr state holds the JSON facts each phase returns (sealed into the ledger step by step); this holds
the same knowledge as typed values for the phases that come later and for the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kassi_app.change import ChangeSet
from kassi_app.change.appwide import AppWideEndpoint
from kassi_app.change.shapes import RequestShape
from kassi_app.config import RunRequest, RunSettings
from kassi_app.endpoint import Endpoint
from kassi_app.errors import KassiError
from kassi_app.events import LogEvent, Variant
from kassi_app.judge import Verdict
from kassi_app.load import K6Result
from kassi_app.load.traffic import Recorded
from kassi_app.remedy import Remedy
from kassi_app.target import TargetSpec
from kassi_app.telemetry.queries import RouteStats
from kassi_app.telemetry.splunk_settings import SplunkSettings


@dataclass(frozen=True)
class BlockResult:
    """One k6 block against one variant: what k6 itself measured (the client's side)."""

    block: int
    variant: Variant
    requests: int
    duration_s: float
    exit_code: int
    k6_p50_ms: float | None
    k6_p95_ms: float | None
    k6_failed_rate: float | None

    @classmethod
    def of(cls, block: int, variant: Variant, result: K6Result) -> BlockResult:
        metrics = result.summary.get("metrics", {})
        duration = metrics.get("http_req_duration", {})
        failed = metrics.get("http_req_failed", {})
        return cls(
            block, variant, result.requests, round(result.duration_s, 3), result.exit_code,
            duration.get("med"), duration.get("p(95)"), failed.get("value"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "block": self.block, "variant": self.variant, "requests": self.requests, "duration_s": self.duration_s,
            "exit_code": self.exit_code, "k6_p50_ms": self.k6_p50_ms, "k6_p95_ms": self.k6_p95_ms,
            "k6_failed_rate": self.k6_failed_rate,
        }


@dataclass(frozen=True)
class RouteTelemetry:
    """The server-side truth for one variant and route, from the telemetry store."""

    stats: RouteStats
    top_errors: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        s = self.stats
        return {
            "requests": s.count, "2xx": s.status_2xx, "4xx": s.status_4xx, "429": s.status_429, "5xx": s.status_5xx,
            "p50_ms": round(s.p50, 3), "p95_ms": round(s.p95, 3), "p99_ms": round(s.p99, 3),
            "top_errors": [{"error": text, "count": count} for text, count in self.top_errors],
        }


Telemetry = dict[str, dict[str, RouteTelemetry]]
"""variant -> route -> what the store says about it."""


@dataclass
class RunEvidence:
    """Everything the run has learned so far; each phase fills its part."""

    request: RunRequest | None = None
    settings: RunSettings | None = None
    splunk: SplunkSettings | None = None
    """Where the service's own logs are, for a live run that reads its truth from Splunk."""
    spec: TargetSpec | None = None
    refs: dict[str, str] = field(default_factory=dict)
    openapi: dict[str, Any] | None = None
    changes: ChangeSet = field(default_factory=lambda: ChangeSet([], [], []))
    endpoints: list[Endpoint] = field(default_factory=list)
    app_wide: list[AppWideEndpoint] = field(default_factory=list)
    looks: list[int] = field(default_factory=list)
    """Blocks driven at each judge phase so far (sequential looks: judge/sequential.py)."""
    """A change that touches no endpoint: the routes judged as its targets (change/appwide.py)."""
    background: list[Endpoint] = field(default_factory=list)
    shapes: dict[Endpoint, RequestShape] = field(default_factory=dict)
    """Request shapes read from the handlers' code (A/B runs)."""
    replay: dict[Endpoint, list[Recorded]] = field(default_factory=dict)
    """Recorded requests of the changed endpoints (``--traffic``), secrets dropped."""
    script: Path | None = None
    unbuilt: list[Endpoint] = field(default_factory=list)
    """Changed body routes the load plan has no valid body for ("POST /x: no valid body known")."""
    blocks: list[BlockResult] = field(default_factory=list)
    logs: list[LogEvent] = field(default_factory=list)
    logs_dropped: int = 0
    """Target log lines past the run's cap (``context.MAX_LOG_EVENTS``), counted, not kept."""
    telemetry: Telemetry = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    refused: list[Endpoint] = field(default_factory=list)
    """Endpoints read from the repo's code whose route is not a plain path: neither loaded nor judged."""
    reach: dict[str, dict[str, float]] = field(default_factory=dict)
    """Changed route -> variant -> share of its requests that answered 2xx (set by judge)."""
    reach_notes: list[str] = field(default_factory=list)
    """Changed routes whose own code the load did not reach (set by judge)."""
    line_coverage: dict[str, Any] = field(default_factory=dict)
    """``[load] line_coverage``: how it was measured and, per changed hunk, its lines that ran."""
    verdict: Verdict | None = None
    failure: KassiError | None = None
    remedy: Remedy | None = None
    """The fix (remedy phase) and what its checks and verify-fix run found; never the run's verdict."""
    remedy_error: str | None = None
    """Why the remedy phase ended without a fix (the run's verdict stands)."""
    fix_candidates: list[Remedy] = field(default_factory=list)
    """The checked fixes verify-fix tries in order: a model's (when configured), then the revert."""
    fix_deadline: float | None = None
    """``time.monotonic()`` by which the fix's experiments must be done (the budget)."""

    def telemetry_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {v: {r: t.to_dict() for r, t in routes.items()} for v, routes in self.telemetry.items()}
