"""A small governed graph for the governance tests: begin -> work -> judge -> (work | end).

``judge`` loops back to ``work`` while ``count < 3`` and allows ``end`` once ``count >= 3``.
A failed ``work`` (``fail`` or a ``sleep_s`` past its 0.5 s timeout) opens only the error routes:
retry ``work`` or go to ``end``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from kassi_app.workflow.governor import Governor
from kassi_app.workflow.machine import ActionSpec, Move
from kassi_app.workflow.runs import open_governed_run

WORK_TIMEOUT_S = 0.5
SLEPT = threading.Semaphore(0)
"""Released each time a ``work`` that slept returns: lets a test wait for an overrun to really end."""


class NoInputs(BaseModel):
    pass


class BeginInputs(BaseModel):
    target: str = "demo"
    api_key: str | None = None


class WorkInputs(BaseModel):
    amount: int = Field(1, ge=0, le=10)
    fail: bool = False
    sleep_s: float = Field(0.0, ge=0.0, le=5.0)


def _begin(state: Mapping[str, Any], inputs: BeginInputs) -> dict[str, Any]:
    return {"target": inputs.target, "count": 0}


def _work(state: Mapping[str, Any], inputs: WorkInputs) -> dict[str, Any]:
    if inputs.sleep_s:
        time.sleep(inputs.sleep_s)
        SLEPT.release()
    if inputs.fail:
        raise RuntimeError("work failed on request")
    return {"count": state["count"] + inputs.amount}


def _judge(state: Mapping[str, Any], inputs: NoInputs) -> dict[str, Any]:
    return {"verdict": "enough" if state["count"] >= 3 else "more"}


def _end(state: Mapping[str, Any], inputs: NoInputs) -> dict[str, Any]:
    return {"done": True}


SPECS: list[ActionSpec[Any]] = [
    ActionSpec("begin", "The Fool", "Start the run on a target.", BeginInputs, _begin, 1.0),
    ActionSpec("work", "The Magician", "Add `amount` to the count.", WorkInputs, _work, WORK_TIMEOUT_S),
    ActionSpec("judge", "Justice", "Decide whether the count is enough.", NoInputs, _judge, 1.0),
    ActionSpec("end", "The World", "Finish the run.", NoInputs, _end, 1.0),
]
MOVES = [
    Move("begin", "work"),
    Move("work", "judge"),
    Move("judge", "work", when=lambda s: s["count"] < 3),
    Move("judge", "end", when=lambda s: s["count"] >= 3),
    Move("work", "work", on_error=True),
    Move("work", "end", on_error=True),
]
INITIAL_STATE: dict[str, Any] = {"count": 0, "target": None, "verdict": None, "done": False}


def new_governed_run() -> Governor:
    """The factory ``kassi serve --workflow gov_toy:new_governed_run`` calls."""
    return open_governed_run(SPECS, MOVES, entrypoint="begin", initial_state=INITIAL_STATE)


def drive_to_end(gov: Governor) -> None:
    """Drive a toy run legally to its end: begin, work/judge until count >= 3, end (6 steps)."""
    gov.step("begin", {"target": "t", "api_key": "sk-live-123"})
    for _ in range(2):
        gov.step("work", {"amount": 2})
        gov.step("judge", {})
    assert gov.step("end", {}).finished
