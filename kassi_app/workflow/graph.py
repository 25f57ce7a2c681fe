"""kassi's governed workflow: the phases as Burr actions (one Major Arcana card each) and the only
legal moves between them.

    begin -> read_change -> prepare_load -> start_targets -> drive_load -> collect -> judge
    judge -> explain -> conclude            (the verdict, explained)
    judge -> conclude                       (end right after the verdict)
    judge -> extend_load -> collect         (only while INCONCLUSIVE and extensions remain)
    any failed phase -> abort -> conclude   (INCONCLUSIVE with the reason; always sealed)

``conclude`` has no move after it, so the governor seals the ledger when it has run.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from kassi_app.governance.governor import Governor
from kassi_app.governance.graph import ActionSpec, Move, StateView, build_governed_app
from kassi_app.governance.ledger import Ledger
from kassi_app.governance.seal import seal_key
from kassi_app.workflow.request import LoadOverrides, RunRequest
from kassi_app.workflow.session import RunSession

PHASE_ORDER = ("begin", "read_change", "prepare_load", "start_targets", "drive_load", "collect", "judge")
QUICK_S = 120.0
LONG_S = 1800.0


class NoInputs(BaseModel):
    """This phase takes no inputs."""


class BeginInputs(BaseModel):
    """The run request: an A/B run of a repo's change, or a live run against a URL."""

    mode: Literal["ab", "live"] = "ab"
    repo: str | None = Field(None, description="A/B: the git repository with kassi.toml")
    base: str = Field("HEAD~1", description="A/B: the ref before the change")
    head: str = Field("HEAD", description="A/B: the ref with the change")
    url: str | None = Field(None, description="live: the running service's base URL")
    endpoints: list[str] = Field(default_factory=list, description="live: 'METHOD /route' to load")
    openapi: str | None = Field(None, description="live: OpenAPI spec file or URL (JSON)")
    allow_hosts: list[str] = Field(default_factory=list, description="hosts besides loopback")
    low_vus: int | None = None
    high_vus: int | None = None
    low_duration_s: float | None = None
    high_duration_s: float | None = None
    rounds: int | None = None
    segments: int = Field(1, description="k6 processes per block (execution segments)")
    max_extensions: int = Field(1, ge=0, le=5)
    telemetry: Literal["proxy", "splunk"] = Field(
        "proxy", description="live: read the server side from kassi's proxy or from Splunk"
    )
    splunk_config: str | None = Field(None, description="live + splunk: the Splunk settings file")

    def to_request(self) -> RunRequest:
        return RunRequest(
            mode=self.mode,
            repo=Path(self.repo).expanduser().resolve() if self.repo else None,
            base=self.base,
            head=self.head,
            url=self.url,
            endpoints=tuple(self.endpoints),
            openapi=self.openapi,
            allow_hosts=tuple(self.allow_hosts),
            load=LoadOverrides(self.low_vus, self.high_vus, self.low_duration_s, self.high_duration_s,
                               self.rounds),
            segments=self.segments,
            max_extensions=self.max_extensions,
            telemetry=self.telemetry,
            splunk_config=Path(self.splunk_config).expanduser() if self.splunk_config else None,
        )

    @classmethod
    def from_request(cls, request: RunRequest) -> BeginInputs:
        load = request.load
        return cls(
            mode=request.mode, repo=str(request.repo) if request.repo else None, base=request.base,
            head=request.head, url=request.url, endpoints=list(request.endpoints), openapi=request.openapi,
            allow_hosts=list(request.allow_hosts), low_vus=load.low_vus, high_vus=load.high_vus,
            low_duration_s=load.low_duration_s, high_duration_s=load.high_duration_s, rounds=load.rounds,
            segments=request.segments, max_extensions=request.max_extensions, telemetry=request.telemetry,
            splunk_config=str(request.splunk_config) if request.splunk_config else None,
        )


class ExtendInputs(BaseModel):
    """More load when the verdict was INCONCLUSIVE for want of samples."""

    rounds: int = Field(1, ge=1, le=5, description="extra A/B rounds to drive")


@dataclass(frozen=True)
class Phase:
    """What the graph shows of a phase: its card, what it does, its inputs, its deadline."""

    name: str
    card: str
    description: str
    inputs: type[BaseModel]
    timeout_s: float


PHASES: tuple[Phase, ...] = (
    Phase("begin", "The Fool", "Begin a run: validate the request before anything starts.", BeginInputs, QUICK_S),
    Phase("read_change", "The Magician", "Read the diff: which endpoints the change touches.", NoInputs, QUICK_S),
    Phase("prepare_load", "The Empress", "Write the k6 script and validate it with k6 inspect.", NoInputs, QUICK_S),
    Phase("start_targets", "The Chariot", "Start the service at both refs, each in its own worktree.", NoInputs,
          QUICK_S * 2),
    Phase("drive_load", "Strength", "Drive the same k6 load at both, interleaved A B B A.", NoInputs, LONG_S),
    Phase("collect", "The High Priestess", "Read the server-side truth from the store.", NoInputs, QUICK_S),
    Phase("judge", "Justice", "Decide with statistics whether the change regressed.", NoInputs, QUICK_S * 2),
    Phase("extend_load", "Wheel of Fortune", "INCONCLUSIVE: drive more rounds, then collect again.",
          ExtendInputs, LONG_S),
    Phase("explain", "The Hermit", "Name the root cause and write the analysis.", NoInputs, QUICK_S),
    Phase("abort", "The Tower", "A phase failed: the verdict is INCONCLUSIVE with the reason.", NoInputs, QUICK_S),
    Phase("conclude", "Judgement", "Stop everything, write the run record; the ledger is then sealed.", NoInputs,
          QUICK_S),
)


def _inconclusive(state: StateView) -> bool:
    """verdict is INCONCLUSIVE"""
    return state.get("verdict_class") == "INCONCLUSIVE"


def _may_extend(state: StateView) -> bool:
    """INCONCLUSIVE and extensions left"""
    return _inconclusive(state) and int(state.get("extensions", 0)) < int(state.get("max_extensions", 0))


def _judged(state: StateView) -> bool:
    """verdict reached"""
    return not _inconclusive(state)


def build_specs(session: RunSession) -> list[ActionSpec[Any]]:
    """The phases, each running its work on ``session`` and returning facts for the state."""

    def begin(_: StateView, inputs: BeginInputs) -> Mapping[str, Any]:
        request = inputs.to_request()
        facts = session.guarded("begin", lambda: session.begin(request))
        return {**facts, "max_extensions": request.max_extensions, "extensions": 0}

    def phase(name: str) -> Any:
        def run(_: StateView, __: NoInputs) -> Mapping[str, Any]:
            return session.guarded(name, getattr(session, name))

        return run

    def drive_load(_: StateView, __: NoInputs) -> Mapping[str, Any]:
        return session.guarded("drive_load", lambda: session.drive_load(session.rounds))

    def extend_load(state: StateView, inputs: ExtendInputs) -> Mapping[str, Any]:
        out = session.guarded("drive_load", lambda: session.drive_load(inputs.rounds))
        return {**out, "extensions": int(state.get("extensions", 0)) + 1}

    def abort(state: StateView, __: NoInputs) -> Mapping[str, Any]:
        reason = str(state.get("error") or "the run failed")
        return session.abort(f"the run failed: {reason}")

    def conclude(_: StateView, __: NoInputs) -> Mapping[str, Any]:
        return session.conclude({"path": str(session.run_dir / "ledger.jsonl")})

    runners: dict[str, Any] = {
        "begin": begin,
        "drive_load": drive_load,
        "extend_load": extend_load,
        "abort": abort,
        "conclude": conclude,
    }
    return [
        ActionSpec(p.name, p.card, p.description, p.inputs, runners.get(p.name) or phase(p.name), p.timeout_s)
        for p in PHASES
    ]


def build_moves() -> list[Move]:
    chain = [Move(a, b) for a, b in itertools.pairwise(PHASE_ORDER)]
    return [
        *chain,
        Move("judge", "explain", when=_judged),
        Move("judge", "extend_load", when=_may_extend),
        Move("judge", "conclude"),
        Move("extend_load", "collect"),
        Move("explain", "conclude"),
        *[Move(name, "abort", on_error=True) for name in (*PHASE_ORDER, "extend_load", "explain")],
        Move("abort", "conclude"),
        Move("abort", "conclude", on_error=True),
    ]


def open_run(session: RunSession) -> Governor:
    """A governed run over ``session``: Burr state persisted in the run folder, ledger beside it."""
    specs = build_specs(session)
    app = build_governed_app(
        specs,
        build_moves(),
        entrypoint="begin",
        initial_state={"run_id": session.run_id},
        run_id=session.run_id,
        state_db=session.run_dir / "state.sqlite",
    )
    return Governor(app, specs, Ledger.open(session.run_dir, session.run_id), key=seal_key())


def new_governed_run() -> Governor:
    """The factory `kassi serve` uses: a fresh run in the kassi home, driven by the MCP client."""
    return open_run(RunSession())
