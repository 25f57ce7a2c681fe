"""The governor: the only way to move a governed run. One operation, ``step(action, inputs)``.

A legal action runs; anything else is refused with the legal next actions and their input
schemas, and the state does not change. Every step and every refusal is appended to the ledger;
when no move is left the ledger is sealed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

from burr.core import Application
from burr.core.action import Condition
from burr.core.application import PRIOR_STEP
from pydantic import BaseModel, ValidationError

from kassi_app.ledger.canonical import canonical_json, digest
from kassi_app.ledger.chain import Ledger
from kassi_app.ledger.seal import Seal
from kassi_app.workflow.cards import REFUSAL_CARD
from kassi_app.workflow.machine import CHOICE_KEY, ActionSpec

SUMMARY_VALUE_LIMIT = 2048
"""Result values whose JSON is longer than this are logged as a digest, keeping the ledger small."""


GovernorFactory = Callable[[], "Governor"]
"""Opens a new governed run (what ``kassi serve --workflow module:function`` names)."""
Screen = Callable[[str, BaseModel], "str | None"]
"""A face's check of a legal action's validated inputs: the reason to refuse them, or None."""


class LegalAction(BaseModel):
    """A move the driver may make now."""

    name: str
    card: str
    description: str
    input_schema: dict[str, Any]


class StepOutcome(BaseModel):
    """What one ``step`` did. ``status`` is ok / failed (ran, but raised or timed out) / refused."""

    accepted: bool
    status: Literal["ok", "failed", "refused"]
    action: str
    card: str
    reason: str | None
    result: dict[str, Any]
    legal_next: list[LegalAction]
    seq: int
    entry_hash: str
    finished: bool
    duration_s: float | None = None


def summarize(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with every large value replaced by its size and SHA-256."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        text = canonical_json(value)
        out[key] = value if len(text) <= SUMMARY_VALUE_LIMIT else {"sha256": digest(value), "chars": len(text)}
    return out


class Governor:
    """Wraps a Burr application built by ``build_governed_app``. Thread-safe (one step at a time)."""

    def __init__(
        self,
        app: Application[Any],
        specs: Sequence[ActionSpec[Any]],
        ledger: Ledger,
        key: bytes | None = None,
    ) -> None:
        self._app = app
        self._specs = {s.name: s for s in specs}
        self._ledger = ledger
        self._key = key
        self._lock = threading.RLock()
        self._on_start: list[Callable[[str, str], None]] = []
        self._on_outcome: list[Callable[[StepOutcome], None]] = []
        self._screens: list[Screen] = []

    def observe(
        self,
        on_start: Callable[[str, str], None] | None = None,
        on_outcome: Callable[[StepOutcome], None] | None = None,
    ) -> None:
        """Be told when a legal action starts (its name and card) and what every step did, refusals
        included. Observers run on the stepping thread, after the ledger entry is written."""
        if on_start is not None:
            self._on_start.append(on_start)
        if on_outcome is not None:
            self._on_outcome.append(on_outcome)

    def screen(self, check: Screen) -> None:
        """Refuse inputs the face does not allow (``kassi serve``'s allowed repos and hosts): before a
        legal action runs, ``check(action, inputs)`` gives the reason to refuse it, or None. A screened
        step is a refusal like a schema mismatch: ledgered, the state unchanged."""
        self._screens.append(check)

    @property
    def run_id(self) -> str:
        return self._ledger.run_id

    @property
    def ledger(self) -> Ledger:
        return self._ledger

    @property
    def state(self) -> Mapping[str, Any]:
        """A read-only view of the run's state (the governor's and Burr's internal keys left out)."""
        items = self._app.state.get_all().items()
        return MappingProxyType({k: v for k, v in items if k != CHOICE_KEY and not k.startswith("__")})

    @property
    def last_action(self) -> str | None:
        prior = self._app.state.get(PRIOR_STEP)
        return str(prior) if prior is not None else None

    def legal_actions(self) -> list[ActionSpec[Any]]:
        """Targets of the transitions out of the last action whose condition holds if chosen."""
        with self._lock:
            if self._ledger.sealed:
                return []
            prior = self.last_action
            if prior is None:
                return [self._specs[self._app.entrypoint]]
            state = self._app.state
            names: list[str] = []
            for t in self._app.graph.transitions:
                if t.from_.name != prior or t.to.name in names:
                    continue
                if t.condition.run(state.update(**{CHOICE_KEY: t.to.name}))[Condition.KEY]:
                    names.append(t.to.name)
            return [self._specs[n] for n in names]

    def legal_next(self) -> list[LegalAction]:
        return [
            LegalAction(name=s.name, card=s.card, description=s.description, input_schema=s.input_schema())
            for s in self.legal_actions()
        ]

    @property
    def finished(self) -> bool:
        return not self.legal_actions()

    def step(self, action: str, inputs: Mapping[str, Any] | None = None) -> StepOutcome:
        """Run ``action`` if it is legal now, else refuse it; either way append one ledger entry."""
        raw = dict(inputs or {})
        with self._lock:
            legal = {s.name: s for s in self.legal_actions()}
            spec = legal.get(action)
            if spec is None:
                outcome = self._refuse(action, raw, self._why_illegal(action))
            else:
                try:
                    payload = spec.inputs.model_validate(raw)
                except ValidationError as exc:
                    problems = "; ".join(
                        f"{'.'.join(map(str, e['loc'])) or 'inputs'}: {e['msg']}" for e in exc.errors()
                    )
                    outcome = self._refuse(action, raw, f"inputs do not match the schema of {action}: {problems}")
                else:
                    screened = next((why for check in self._screens if (why := check(action, payload))), None)
                    if screened is not None:
                        outcome = self._refuse(action, raw, screened)
                    else:
                        for started in self._on_start:
                            started(spec.name, spec.card)
                        outcome = self._run(spec, payload, raw)
            for observer in self._on_outcome:
                observer(outcome)
            return outcome

    def seal(self) -> Seal:
        """Seal the ledger now (idempotent); later steps are refused."""
        with self._lock:
            return self._ledger.seal(self._key)

    def _why_illegal(self, action: str) -> str:
        if self._ledger.sealed:
            return "the run has ended and its ledger is sealed"
        if action not in self._specs:
            return f"there is no action named {action!r}"
        after = self.last_action
        return f"{action} is not a legal move " + (f"after {after}" if after else "at the start")

    def _refuse(self, action: str, raw: dict[str, Any], reason: str) -> StepOutcome:
        """Record the refusal (a sealed ledger takes no more entries) and answer with the legal moves."""
        legal_next = self.legal_next()
        seq, entry_hash = -1, ""
        if not self._ledger.sealed:
            outcome = {"status": "refused", "reason": reason, "legal": [a.name for a in legal_next]}
            ref = self._ledger.append(
                kind="refusal",
                action=action,
                card=REFUSAL_CARD,
                inputs=raw,
                outcome=outcome,
                state_digest=self._state_digest(),
            )
            seq, entry_hash = ref.seq, ref.hash
        return StepOutcome(
            accepted=False,
            status="refused",
            action=action,
            card=REFUSAL_CARD,
            reason=reason,
            result={},
            legal_next=legal_next,
            seq=seq,
            entry_hash=entry_hash,
            finished=self._ledger.sealed,
        )

    def _run(self, spec: ActionSpec[Any], payload: BaseModel, raw: dict[str, Any]) -> StepOutcome:
        before = self._app.state
        self._app.update_state(before.update(**{CHOICE_KEY: spec.name}))
        error = "no transition matched the chosen action (graph bug)"
        try:
            stepped = self._app.step(inputs={"payload": payload})
        except Exception as exc:  # Burr or the persister failed: the state must not move
            stepped, error = None, f"step machinery failed: {type(exc).__name__}: {exc}"
        if stepped is None:
            self._app.update_state(before)
            summary: dict[str, Any] = {}
            outcome: dict[str, Any] = {"status": "failed", "error": error, "result": {}}
        else:
            _, result, _ = stepped
            error = result["error"]
            summary = summarize(result["updates"])
            outcome = {
                "status": "ok" if error is None else "failed",
                "error": error,
                "result": summary,
                "duration_s": round(result["duration_s"], 6),
            }
        ref = self._ledger.append(
            kind="step",
            action=spec.name,
            card=spec.card,
            inputs=raw,
            outcome=outcome,
            state_digest=self._state_digest(),
        )
        legal_next = self.legal_next()
        if not legal_next:
            self._ledger.seal(self._key)
        return StepOutcome(
            accepted=True,
            status=outcome["status"],
            action=spec.name,
            card=spec.card,
            reason=outcome["error"],
            result=summary,
            legal_next=legal_next,
            seq=ref.seq,
            entry_hash=ref.hash,
            finished=not legal_next,
            duration_s=outcome.get("duration_s"),
        )

    def _state_digest(self) -> str:
        return digest(dict(self.state))
