"""Declare a governed Burr graph: phases as ``ActionSpec``s, legal moves as ``Move``s.

Burr's ``step()`` always runs the first transition whose condition holds; it cannot be told which
action to run. So the governor writes the driver's choice into ``CHOICE_KEY`` before stepping and
every transition's condition is ``choice == to and guard(state)`` (plus the error rule below).
The legal next actions are then exactly the targets whose condition would hold for that choice.

Failure rule: each governed action writes ``ERROR_KEY`` (None on success, the reason on failure
or timeout). A ``Move`` with ``on_error=False`` is legal only when the last action succeeded; one
with ``on_error=True`` only when it failed. So after a failure only the error routes are open.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from queue import SimpleQueue
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar

from burr.core import Application, ApplicationBuilder, State
from burr.core.action import Condition, FunctionBasedAction
from burr.core.persistence import SQLitePersister
from pydantic import BaseModel

from kassi_app.redact import redact, redact_text
from kassi_app.workflow.cards import MAJOR_ARCANA

CHOICE_KEY = "kassi_choice"
ERROR_KEY = "error"
RESERVED_KEYS = frozenset({CHOICE_KEY, ERROR_KEY})
STATE_DB = "state.sqlite"
STOP_GRACE_S = 20.0
"""How long an overrun action whose ``on_overrun`` was called may take to return (a target stopped
with SIGTERM gets 5 s before SIGKILL; the rest is unwinding)."""
WORKER_NAME = "kassi-action"
"""An idle worker thread's name; while it runs an action it is ``kassi-action:<action>``."""

StateView = Mapping[str, Any]
Guard = Callable[[StateView], bool]
InputT = TypeVar("InputT", bound=BaseModel)


@dataclass(frozen=True)
class ActionSpec(Generic[InputT]):
    """One phase: its card, what the driver reads about it, its inputs model, its work and deadline.

    ``run(state, inputs)`` gets a read-only view of the state and the validated inputs, and returns
    the state updates (a mapping of JSON-friendly values). Raising, or overrunning ``timeout_s``,
    makes the step *failed*: ``ERROR_KEY`` is set and only ``on_error`` moves are legal next.

    Python cannot kill a thread, so a deadline stops the work only through ``on_overrun``: called
    with the reason when ``run`` overran, it must make ``run`` return (cancel the work, stop the
    processes it started); the step then waits up to ``STOP_GRACE_S`` for it. Without the hook, or
    when the work does not return in that grace, its thread is abandoned and its late result dropped.
    """

    name: str
    card: str
    description: str
    inputs: type[InputT]
    run: Callable[[StateView, InputT], Mapping[str, Any]]
    timeout_s: float = 60.0
    on_overrun: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        if self.card not in MAJOR_ARCANA:
            raise ValueError(f"{self.card!r} is not a Major Arcana card")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")

    def input_schema(self) -> dict[str, Any]:
        """The inputs' JSON Schema (cached per model: refusals list it for every legal action)."""
        return _json_schema(self.inputs)


@functools.cache
def _json_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


@dataclass(frozen=True)
class Move:
    """From ``from_`` the driver may choose ``to`` (only ``when`` the guard holds, if given)."""

    from_: str
    to: str
    when: Guard | None = None
    on_error: bool = False


@dataclass(frozen=True)
class ActionResult:
    """What running one spec produced: state updates on success, else the failure reason."""

    updates: Mapping[str, Any]
    error: str | None
    duration_s: float


class _Worker:
    """A daemon thread that runs one job at a time, named after the action it runs. Reused while jobs
    end in time (a thread handoff is ~10x cheaper than starting a thread); abandoned, never killed,
    when one overruns and does not stop."""

    _idle: ClassVar[list[_Worker]] = []
    _idle_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._jobs: SimpleQueue[tuple[str, Callable[[], Any], Future[Any]] | None] = SimpleQueue()
        threading.Thread(target=self._loop, name=WORKER_NAME, daemon=True).start()

    def _loop(self) -> None:
        thread = threading.current_thread()
        while (job := self._jobs.get()) is not None:
            name, fn, future = job
            thread.name = f"{WORKER_NAME}:{name}"
            try:
                result, error = fn(), None
            except BaseException as exc:  # the worker must report every failure, not die silently
                result, error = None, exc
            thread.name = WORKER_NAME  # renamed first: whoever sees the job done sees the thread idle
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    @classmethod
    def start(cls, name: str, fn: Callable[[], Any]) -> tuple[_Worker, Future[Any]]:
        """Run ``fn`` on an idle worker (or a new one); the future tells when it is done."""
        with cls._idle_lock:
            worker = cls._idle.pop() if cls._idle else cls()
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        worker._jobs.put((name, fn, future))
        return worker, future

    def release(self, future: Future[Any]) -> None:
        """Back to the idle pool if its job is done; else it exits once the job returns."""
        if future.done():
            with self._idle_lock:
                self._idle.append(self)
        else:
            self._jobs.put(None)


def _wait(future: Future[Any], timeout_s: float) -> bool:
    """True once ``future`` is done, False if it is still running after ``timeout_s``."""
    try:
        future.exception(timeout=timeout_s)
    except TimeoutError:
        return False
    return True


def run_with_timeout(spec: ActionSpec[Any], state: StateView, inputs: BaseModel) -> ActionResult:
    """Run ``spec.run`` on a worker thread; an exception or an overrun becomes ``error``. On an overrun
    ``spec.on_overrun`` is told, and the work gets ``STOP_GRACE_S`` to return; its result is dropped."""
    started = time.monotonic()
    worker, future = _Worker.start(spec.name, lambda: spec.run(state, inputs))
    try:
        if not _wait(future, spec.timeout_s):
            return ActionResult({}, _stop_overrun(spec, future), time.monotonic() - started)
    finally:
        worker.release(future)
    elapsed = time.monotonic() - started
    exc = future.exception()
    if exc is not None:
        return ActionResult({}, redact_text(f"{type(exc).__name__}: {exc}"), elapsed)
    out = future.result()
    if not isinstance(out, Mapping) or not all(isinstance(k, str) for k in out):
        return ActionResult({}, f"returned {type(out).__name__}, not a mapping of state updates", elapsed)
    bad = sorted(k for k in out if k in RESERVED_KEYS or k.startswith("__"))
    if bad:
        return ActionResult({}, f"tried to write reserved state keys {bad}", elapsed)
    return ActionResult(redact(dict(out)), None, elapsed)  # what Burr persists to state.sqlite


def _stop_overrun(spec: ActionSpec[Any], future: Future[Any]) -> str:
    """Tell the overrun action to stop and wait for it (bounded); the reason the step failed."""
    if spec.on_overrun is None:
        return f"timed out after {spec.timeout_s:g}s"
    reason = f"{spec.name} overran its {spec.timeout_s:g}s deadline"
    spec.on_overrun(reason)
    if _wait(future, STOP_GRACE_S):
        return f"{reason} and was stopped"
    return f"{reason} and did not stop within {STOP_GRACE_S:g}s (abandoned)"


def _burr_action(spec: ActionSpec[Any]) -> FunctionBasedAction:
    def governed(state: State[Any], payload: BaseModel) -> tuple[dict[str, Any], State[Any]]:
        done = run_with_timeout(spec, MappingProxyType(state.get_all()), payload)
        result = {"updates": dict(done.updates), "error": done.error, "duration_s": done.duration_s}
        return result, state.update(**done.updates, **{ERROR_KEY: done.error})

    return FunctionBasedAction(governed, reads=[], writes=[ERROR_KEY])


def _condition(move: Move) -> Condition:
    guard = move.when

    def resolve(state: State[Any]) -> bool:
        if state.get(CHOICE_KEY) != move.to or (state.get(ERROR_KEY) is not None) != move.on_error:
            return False
        return guard is None or bool(guard(MappingProxyType(state.get_all())))

    label = f"choice=={move.to}" + (" on error" if move.on_error else "") + (" when guard" if guard else "")
    return Condition([CHOICE_KEY], resolve, name=label)


def governed_transitions(moves: Sequence[Move]) -> list[tuple[str, str, Condition]]:
    """The ``with_transitions(...)`` arguments for ``moves``."""
    return [(m.from_, m.to, _condition(m)) for m in moves]


def build_governed_app(
    specs: Sequence[ActionSpec[Any]],
    moves: Sequence[Move],
    *,
    entrypoint: str,
    initial_state: Mapping[str, Any],
    run_id: str,
    state_db: Path | None = None,
) -> Application[Any]:
    """A Burr application for ``specs``/``moves``; with ``state_db`` every step is persisted there
    (Burr's SQLitePersister, app id = run id) so a crashed run can be inspected."""
    names = {s.name for s in specs}
    unknown = sorted({n for m in moves for n in (m.from_, m.to)} - names) + sorted({entrypoint} - names)
    if unknown:
        raise ValueError(f"moves or entrypoint name unknown actions: {unknown}")
    builder: ApplicationBuilder[Any] = (
        ApplicationBuilder()  # type: ignore[no-untyped-call]
        .with_actions(**{s.name: _burr_action(s) for s in specs})
        .with_transitions(*governed_transitions(moves))
        .with_state(**{**initial_state, CHOICE_KEY: None, ERROR_KEY: None})
        .with_entrypoint(entrypoint)
        .with_identifiers(app_id=run_id)
    )
    if state_db is not None:
        persister = SQLitePersister(str(state_db), connect_kwargs={"check_same_thread": False})
        persister.initialize()  # type: ignore[no-untyped-call]
        builder = builder.with_state_persister(persister)
    return builder.build()
