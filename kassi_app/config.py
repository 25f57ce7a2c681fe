"""Everything a run can be told, in one pydantic model with one set of defaults.

A run's settings come from three layers, later ones winning: the defaults below, the repo's
``kassi.toml`` (its ``[load]``, ``[slo]`` and ``[judge]`` tables) and what the face passes (CLI flags,
a search command's options, an MCP client's ``begin`` inputs, the Splunk app's setup). A face builds a
``RunRequest``; ``resolve_settings`` merges and validates the whole of it at ``begin``, before any
worktree, process or k6 starts, so bad input ends a run with exit 2 and nothing to clean up.
docs/kassi-toml.md documents these defaults; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kassi_app.errors import BadInput
from kassi_app.judge.settings import JudgeSettings, Slo

Mode = Literal["ab", "live"]
TelemetrySource = Literal["proxy", "splunk"]
SPLUNK_TRAFFIC = "splunk"
"""``traffic`` naming the service's own access events in Splunk (a live run's Splunk telemetry)."""
M = TypeVar("M", bound=BaseModel)
MAX_SEGMENTS = 16
MAX_EXTENSIONS = 5
MAX_ROUNDS = 20
MAX_FIX_BUDGET_S = 3000.0
"""The remedy phase's deadline (graph.py) is above this, so a budget never outlives its phase."""

_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)
"""No unknown keys, no strings or booleans where numbers go, no inf/NaN."""


class LoadSettings(BaseModel):
    """The k6 load: a low- then a high-concurrency stage per block, ``rounds`` ABBA rounds per run."""

    model_config = _STRICT

    low_vus: int = Field(2, ge=1, le=1000, description="virtual users in the low-concurrency stage")
    high_vus: int = Field(16, ge=1, le=1000, description="virtual users in the high-concurrency stage")
    low_duration_s: float = Field(3.0, ge=1, le=3600, description="seconds of the low stage")
    high_duration_s: float = Field(5.0, ge=1, le=3600, description="seconds of the high stage")
    rounds: int = Field(2, ge=1, le=MAX_ROUNDS, description="base/head rounds (one block each), interleaved ABBA")
    first_look_rounds: int = Field(
        MAX_ROUNDS, ge=1, le=MAX_ROUNDS,
        description="A/B: rounds before the first look (at most `rounds`); a look before all rounds are driven "
                    "ends the run only on a clear alarm. Off by default: one A B pair does not cancel drift",
    )
    changed_share: float = Field(
        0.6, ge=0, le=1, description="share of requests sent to the changed endpoints; the rest is background"
    )
    line_coverage: bool = Field(
        False, description="A/B, Python targets: one extra warm-up block at head records which changed lines ran"
    )


class SloSettings(BaseModel):
    """The service-level objective: what a run without a baseline (live, new routes) is judged against.

    No ``p95_ms`` by default: kassi cannot know what latency a service promises, so without one a
    baseline-free latency is judged only by its own trend and scaling, and the verdict says so.
    """

    model_config = _STRICT

    p95_ms: float | None = Field(None, gt=0, description="p95 latency objective in ms (none: not judged)")
    error_rate: float = Field(0.01, ge=0, lt=1, description="largest acceptable share of 5xx answers")

    def to_slo(self) -> Slo:
        return Slo(p95_ms=self.p95_ms, error_rate=self.error_rate)


class ProjectSettings(BaseModel):
    """The tables of ``kassi.toml`` a run's settings take defaults from (``[target]`` is the target's)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    load: dict[str, Any] = Field(default_factory=dict)
    slo: dict[str, Any] = Field(default_factory=dict)
    judge: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_toml(cls, data: Mapping[str, Any]) -> ProjectSettings:
        """The ``[load]``, ``[slo]`` and ``[judge]`` tables of a parsed kassi.toml (each may be absent)."""
        tables: dict[str, Any] = {}
        for name in ("load", "slo", "judge"):
            table = data.get(name, {})
            if not isinstance(table, dict):
                raise BadInput(f"kassi.toml: [{name}] must be a table")
            tables[name] = table
        return cls(**tables)


class LoadOverrides(BaseModel):
    """Load settings a face sets for one run; None keeps kassi.toml's value (or the default)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    low_vus: int | None = None
    high_vus: int | None = None
    low_duration_s: float | None = None
    high_duration_s: float | None = None
    rounds: int | None = None
    changed_share: float | None = None
    line_coverage: bool | None = None


class RunRequest(BaseModel):
    """What a face asks for: an A/B run of a repo's change, or a live run against a URL.

    This is also the input schema of the governed ``begin`` action (what an MCP client sends).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    mode: Mode = "ab"
    repo: str | None = Field(None, description="A/B: the git repository with kassi.toml")
    base: str = Field("HEAD~1", description="A/B: the ref before the change")
    head: str = Field("HEAD", description="A/B: the ref with the change")
    url: str | None = Field(None, description="live: the running service's base URL")
    endpoints: tuple[str, ...] = Field((), description="live: 'METHOD /route' to load")
    openapi: str | None = Field(None, description="live: OpenAPI spec file or URL (JSON)")
    allow_hosts: tuple[str, ...] = Field((), description="hosts besides loopback that load may go to")
    load: LoadOverrides = Field(default_factory=LoadOverrides, description="overrides of kassi.toml [load]")
    slo: dict[str, Any] = Field(default_factory=dict, description="overrides of kassi.toml [slo]")
    judge: dict[str, Any] = Field(default_factory=dict, description="overrides of kassi.toml [judge]")
    segments: int = Field(1, description="k6 processes per block (execution segments)")
    max_extensions: int = Field(1, description="extra load rounds the driver may add while INCONCLUSIVE")
    label: str = Field("", description="free text shown with the run (e.g. the face that started it)")
    keep_runs: int = Field(200, ge=1, le=100_000, description="finished runs kept in the kassi home (older ones go)")
    keep_days: float | None = Field(None, gt=0, description="finished runs older than this many days go")
    telemetry: TelemetrySource = Field(
        "proxy", description="live: read the server side from kassi's proxy, or from the service's own logs in Splunk"
    )
    splunk_config: str | None = Field(None, description="live + splunk: the Splunk settings file (TOML)")
    fix: bool = Field(False, description="A/B: after a REGRESSION or DEGRADING verdict, propose a fix and verify it")
    fix_budget_s: float = Field(
        600.0, description="A/B with fix: seconds the fix's experiments (localisation, bisection) may take"
    )
    traffic: str | None = Field(
        None, description="a HAR or access-log file, or 'splunk' (live runs with Splunk telemetry: the service's "
                          "recent access events): replay its requests of the changed routes (secrets dropped)"
    )

    @property
    def repo_path(self) -> Path | None:
        return Path(self.repo).expanduser().resolve() if self.repo else None


class RunSettings(BaseModel):
    """A run's validated settings: the request's choices merged over kassi.toml over the defaults."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    load: LoadSettings
    slo: SloSettings
    judge: JudgeSettings
    segments: int = Field(ge=1, le=MAX_SEGMENTS)
    max_extensions: int = Field(ge=0, le=MAX_EXTENSIONS)
    fix: bool = False
    fix_budget_s: float = Field(600.0, gt=0, le=MAX_FIX_BUDGET_S)


def resolve_settings(request: RunRequest, project: ProjectSettings | None = None) -> RunSettings:
    """Merge ``request`` over ``project`` (kassi.toml) over the defaults; BadInput names the key at fault."""
    project = project or ProjectSettings()
    load = _validated(LoadSettings, "load", {**project.load, **request.load.model_dump(exclude_none=True)})
    slo = _validated(SloSettings, "slo", {**project.slo, **request.slo})
    judge = JudgeSettings.from_dict({**project.judge, **request.judge})
    if not 1 <= request.segments <= MAX_SEGMENTS:
        raise BadInput(f"segments must be at least 1 and at most {MAX_SEGMENTS}")
    if not 0 <= request.max_extensions <= MAX_EXTENSIONS:
        raise BadInput(f"max_extensions must be at least 0 and at most {MAX_EXTENSIONS}")
    if not 0 < request.fix_budget_s <= MAX_FIX_BUDGET_S:
        raise BadInput(f"fix_budget_s must be above 0 and at most {MAX_FIX_BUDGET_S:g}")
    if request.fix and request.mode != "ab":
        raise BadInput("fix is for A/B runs: a live run has no change to revert")
    return RunSettings(
        load=load, slo=slo, judge=judge, segments=request.segments, max_extensions=request.max_extensions,
        fix=request.fix, fix_budget_s=request.fix_budget_s,
    )


def _validated(model: type[M], table: str, values: Mapping[str, Any]) -> M:
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "?"
        if error["type"] == "extra_forbidden":
            known = ", ".join(model.model_fields)
            raise BadInput(f"{table}.{key}: unknown key (known: {known})") from None
        raise BadInput(f"{table}.{key}: {error['msg']}") from None


def request_error(exc: ValidationError, prefix: str = "") -> BadInput:
    """A face's request that does not fit ``RunRequest``, as one line naming the field (``prefix``:
    where the model that failed sits in the request, e.g. ``load.``)."""
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"]) or "request"
    return BadInput(f"{prefix}{key}: {error['msg']}")
