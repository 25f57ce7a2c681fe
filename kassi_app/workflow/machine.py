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

StateView = Mapping[str, Any]
Guard = Callable[[StateView], bool]
InputT = TypeVar("InputT", bound=BaseModel)


@dataclass(frozen=True)
class ActionSpec(Generic[InputT]):
    """One phase: its card, what the driver reads about it, its inputs model, its work and deadline.

    ``run(state, inputs)`` gets a read-only view of the state and the validated inputs, and returns
    the state updates (a mapping of JSON-friendly values). Raising, or overrunning ``timeout_s``,
    makes the step *failed*: ``ERROR_KEY`` is set and only ``on_error`` moves are legal next. An
    overrun action's thread is abandoned, not killed: bound your own subprocesses with timeouts.
    """

    name: str
    card: str
    description: str
    inputs: type[InputT]
    run: Callable[[StateView, InputT], Mapping[str, Any]]
    timeout_s: float = 60.0

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
    """A daemon thread that runs one job at a time. Reused while jobs finish in time (a thread
    handoff is ~10x cheaper than starting a thread); abandoned, never killed, when one overruns."""

    _idle: ClassVar[list[_Worker]] = []
    _idle_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._jobs: SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = SimpleQueue()
        threading.Thread(target=self._loop, name="kassi-action", daemon=True).start()

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, future = job
            try:
                future.set_result(fn())
            except BaseException as exc:  # the worker must report every failure, not die silently
                future.set_exception(exc)

    @classmethod
    def call(cls, fn: Callable[[], Any], timeout_s: float) -> Future[Any]:
        """Run ``fn`` on an idle worker and wait up to ``timeout_s``; the future may still be pending."""
        with cls._idle_lock:
            worker = cls._idle.pop() if cls._idle else cls()
        future: Future[Any] = Future()
        future.set_running_or_notify_cancel()
        worker._jobs.put((fn, future))
        try:
            future.exception(timeout=timeout_s)
        except TimeoutError:
            worker._jobs.put(None)  # it exits once the overrunning job returns
            return future
        with cls._idle_lock:
            cls._idle.append(worker)
        return future


def run_with_timeout(spec: ActionSpec[Any], state: StateView, inputs: BaseModel) -> ActionResult:
    """Run ``spec.run`` on a worker thread; an exception or an overrun becomes ``error``."""
    started = time.monotonic()
    future = _Worker.call(lambda: spec.run(state, inputs), spec.timeout_s)
    elapsed = time.monotonic() - started
    if not future.done():
        return ActionResult({}, f"timed out after {spec.timeout_s:g}s", elapsed)
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
