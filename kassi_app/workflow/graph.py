"""kassi's governed workflow: the phases as Burr actions (one Major Arcana card each) and the only
legal moves between them.

    begin -> read_change -> prepare_load -> start_targets -> drive_load -> collect -> judge
    judge -> explain -> conclude            (the verdict, explained)
    explain -> remedy -> verify_fix -> conclude
                                            (--fix and a REGRESSION or DEGRADING verdict)
    judge -> conclude                       (end right after the verdict)
    judge -> extend_load -> collect         (while INCONCLUSIVE: the rounds left after an interim look,
                                             then extensions while they remain)
    any failed phase -> abort -> conclude   (INCONCLUSIVE with the reason; always sealed)

    remedy|verify_fix failed -> conclude    (the run's verdict stands; the failure is in ``remedy``)

A failed remedy or verify_fix does not go to abort: the run already has its verdict, and a fix that
could not be made or proven does not unmake it. ``conclude`` has no move after it, so the governor
seals the ledger when it has run.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from kassi_app.config import MAX_FIX_BUDGET_S, RunRequest
from kassi_app.errors import INTERRUPTED
from kassi_app.ledger.chain import Ledger
from kassi_app.ledger.seal import seal_key
from kassi_app.target import cleanup
from kassi_app.workflow import actions, fixing
from kassi_app.workflow.context import RunContext
from kassi_app.workflow.governor import Governor
from kassi_app.workflow.machine import ActionSpec, Move, StateView, build_governed_app
from kassi_app.workflow.sink import RunSink, follow

PHASE_ORDER = ("begin", "read_change", "prepare_load", "start_targets", "drive_load", "collect", "judge")
QUICK_S = 120.0
LONG_S = 1800.0


class NoInputs(BaseModel):
    """This phase takes no inputs."""


class ExtendInputs(BaseModel):
    """More load when the verdict was INCONCLUSIVE: the run's planned rounds left after an interim
    look, else ``rounds`` extra rounds (one extension)."""

    rounds: int = Field(1, ge=1, le=5, description="extra A/B rounds to drive when no planned rounds are left")


@dataclass(frozen=True)
class Phase:
    """What the graph shows of a phase: its card, what it does, its inputs, its deadline."""

    name: str
    card: str
    description: str
    inputs: type[BaseModel]
    timeout_s: float


PHASES: tuple[Phase, ...] = (
    Phase("begin", "The Fool", "Begin a run: validate the request before anything starts.", RunRequest, QUICK_S),
    Phase("read_change", "The Magician", "Read the diff: which endpoints the change touches.", NoInputs, QUICK_S),
    Phase("prepare_load", "The Empress", "Write the k6 script and validate it with k6 inspect.", NoInputs, QUICK_S),
    Phase("start_targets", "The Chariot", "Start the service at both refs, each in its own worktree.", NoInputs,
          QUICK_S * 2),
    Phase("drive_load", "Strength", "Drive the same k6 load at both, interleaved A B B A.", NoInputs, LONG_S),
    Phase("collect", "The High Priestess", "Read the server-side truth from the store.", NoInputs, QUICK_S),
    Phase("judge", "Justice", "Decide with statistics whether the change regressed.", NoInputs, QUICK_S * 2),
    Phase("extend_load", "Wheel of Fortune", "Not decided yet: drive the planned or extra rounds, then collect again.",
          ExtendInputs, LONG_S),
    Phase("explain", "The Hermit", "Name the root cause and write the analysis.", NoInputs, QUICK_S),
    Phase("remedy", "Temperance", "Propose the remediation diff, proven to apply.", NoInputs, MAX_FIX_BUDGET_S * 1.2),
    Phase("verify_fix", "The Star", "Re-run the load against the fix: does it clear the regression?", NoInputs,
          LONG_S),
    Phase("abort", "The Tower", "A phase failed: the verdict is INCONCLUSIVE with the reason.", NoInputs, QUICK_S),
    Phase("conclude", "Judgement", "Stop everything, write the run record; the ledger is then sealed.", NoInputs,
          QUICK_S),
)


def _inconclusive(state: StateView) -> bool:
    """verdict is INCONCLUSIVE"""
    return state.get("verdict_class") == "INCONCLUSIVE"


def _may_extend(state: StateView) -> bool:
    """INCONCLUSIVE and planned rounds or extensions left"""
    left = int(state.get("planned_rounds_left", 0)) > 0
    return _inconclusive(state) and (left or int(state.get("extensions", 0)) < int(state.get("max_extensions", 0)))


def _judged(state: StateView) -> bool:
    """verdict reached"""
    return not _inconclusive(state)


def _fix_asked(state: StateView) -> bool:
    """fix asked and the verdict failed"""
    return bool(state.get("fix")) and state.get("verdict_class") in fixing.FIXABLE


def _fix_ready(state: StateView) -> bool:
    """a checked fix to verify"""
    return bool(state.get("fix_ready"))


def build_specs(ctx: RunContext) -> list[ActionSpec[Any]]:
    """The phases, each running its work on ``ctx`` and returning facts for the state."""

    def begin(_: StateView, request: RunRequest) -> Mapping[str, Any]:
        return ctx.guarded("begin", lambda: actions.begin(ctx, request))

    def phase(name: str) -> Any:
        work = getattr(actions, name)

        def run(_: StateView, __: NoInputs) -> Mapping[str, Any]:
            # conclude runs even in a cancelled run: it stops everything, writes the record, seals
            return ctx.guarded(name, lambda: work(ctx), cancellable=name != "conclude")

        return run

    def extend_load(state: StateView, inputs: ExtendInputs) -> Mapping[str, Any]:
        left = int(state.get("planned_rounds_left", 0))  # after an interim look: not an extension
        out = ctx.guarded("drive_load", lambda: actions.drive_load(ctx, left or inputs.rounds))
        return {**out, "extensions": int(state.get("extensions", 0)) + (0 if left else 1)}

    def abort(state: StateView, __: NoInputs) -> Mapping[str, Any]:
        if ctx.cancel.is_set() and ctx.overrun is None:
            return actions.abort(ctx, INTERRUPTED)
        reason = str(state.get("error") or "the run failed")
        return actions.abort(ctx, f"the run failed: {reason}")

    def fix_phase(name: str) -> Any:
        work = getattr(fixing, name)  # not guarded: a failed fix is the fix's, not the run's failure

        def run(_: StateView, __: NoInputs) -> Mapping[str, Any]:
            ctx.check_cancel()  # a cancelled run proposes nothing: the step fails and the run concludes
            return dict(work(ctx))

        return run

    def owned(run: Callable[[StateView, Any], Mapping[str, Any]]) -> Callable[[StateView, Any], Mapping[str, Any]]:
        def owning(state: StateView, inputs: Any) -> Mapping[str, Any]:
            with cleanup.within(ctx.children):  # what the phase starts, an overrun can stop
                return run(state, inputs)

        return owning

    runners: dict[str, Any] = {"begin": begin, "extend_load": extend_load, "abort": abort,
                               "remedy": fix_phase("remedy"), "verify_fix": fix_phase("verify_fix")}
    return [
        ActionSpec(p.name, p.card, p.description, p.inputs, owned(runners.get(p.name) or phase(p.name)), p.timeout_s,
                   on_overrun=ctx.stop_overrun)
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
        Move("explain", "remedy", when=_fix_asked),
        Move("explain", "conclude"),
        Move("remedy", "verify_fix", when=_fix_ready),
        *[Move(name, "conclude", on_error=failed) for name in ("remedy", "verify_fix") for failed in (False, True)],
        *[Move(name, "abort", on_error=True) for name in (*PHASE_ORDER, "extend_load", "explain")],
        Move("abort", "conclude"),
        Move("abort", "conclude", on_error=True),
    ]


def open_run(ctx: RunContext) -> Governor:
    """A governed run over ``ctx``: Burr state persisted in the run folder, ledger beside it; every
    move and refusal is reported to the run's sink."""
    specs = build_specs(ctx)
    app = build_governed_app(
        specs,
        build_moves(),
        entrypoint="begin",
        initial_state={"run_id": ctx.run_id},
        run_id=ctx.run_id,
        state_db=ctx.run_dir / "state.sqlite",
    )
    governor = Governor(app, specs, Ledger.open(ctx.run_dir, ctx.run_id), key=seal_key())
    follow(governor, ctx.sink)
    return governor


def new_governed_run(sink: RunSink | None = None) -> Governor:
    """The factory `kassi serve` uses: a fresh run in the kassi home, driven by the MCP client."""
    return open_run(RunContext(sink=sink))
