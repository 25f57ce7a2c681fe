"""The verdict kassi hands back: typed, JSON-ready, with an exit code per class."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from kassi_app.endpoint import Endpoint

if TYPE_CHECKING:
    from kassi_app.judge.baseline import P95History

VerdictClass = Literal["REGRESSION", "DEGRADING", "THROTTLED", "HEALTHY", "INCONCLUSIVE"]
Source = Literal["proxy", "k6", "target log", "store query"]
Effect = float | tuple[float, float] | None

# Which class wins when routes disagree: a found fault beats "cannot tell", which beats a pass.
SEVERITY: tuple[VerdictClass, ...] = ("REGRESSION", "DEGRADING", "INCONCLUSIVE", "THROTTLED", "HEALTHY")

_EXIT_CODES: dict[VerdictClass, int] = {
    "HEALTHY": 0,
    "THROTTLED": 0,
    "REGRESSION": 1,
    "DEGRADING": 1,
    "INCONCLUSIVE": 3,
}


class ChangedLike(Protocol):
    """A changed endpoint (``kassi_app.change.model.ChangedEndpoint`` fits)."""

    @property
    def endpoint(self) -> Endpoint: ...
    @property
    def change(self) -> str: ...
    @property
    def file(self) -> str: ...


def exit_code_for(cls: VerdictClass) -> int:
    """0 healthy or throttled (no page), 1 regression or degrading, 3 inconclusive (2 is bad input)."""
    return _EXIT_CODES[cls]


@dataclass(frozen=True)
class Signal:
    """A test that fired, with the figures that made it fire in ``detail``."""

    name: str
    detail: str


@dataclass(frozen=True)
class Evidence:
    """One fact behind the verdict and the component that observed it."""

    fact: str
    source: Source

    def to_dict(self) -> dict[str, str]:
        return {"fact": self.fact, "source": self.source}


@dataclass(frozen=True)
class RouteVerdict:
    """One route's judgement. ``change`` is added | modified | unchanged | unknown (no change list) |
    live; ``collateral`` marks an
    unchanged route that got worse. ``p_values`` maps a test family to (raw, Holm-adjusted)."""

    endpoint: Endpoint
    cls: VerdictClass
    reason: str
    change: str
    samples: dict[str, int]
    effects: dict[str, Effect] = field(default_factory=dict)
    p_values: dict[str, tuple[float, float]] = field(default_factory=dict)
    signals: tuple[Signal, ...] = ()
    decides: bool = True
    """False for a route reported beside the verdict but not deciding it: a live route the user did
    not ask about ("also seen"), or an untouched route whose slowdown the changed load mix explains."""
    history: P95History | None = None
    """Live runs: this run's p95 beside the route's past runs (advisory, ``judge.baseline``)."""

    @property
    def collateral(self) -> bool:
        return self.change == "unchanged" and self.cls in ("REGRESSION", "DEGRADING", "THROTTLED")

    def to_dict(self) -> dict[str, object]:
        return {
            "method": self.endpoint.method,
            "route": self.endpoint.route,
            "class": self.cls,
            "reason": self.reason,
            "change": self.change,
            "collateral": self.collateral,
            "decides": self.decides,
            "samples": dict(self.samples),
            "effects": {k: list(v) if isinstance(v, tuple) else v for k, v in self.effects.items()},
            "p_values": {k: {"raw": raw, "adjusted": adj} for k, (raw, adj) in self.p_values.items()},
            "signals": [{"name": s.name, "detail": s.detail} for s in self.signals],
            **({"history": self.history.to_dict()} if self.history else {}),
        }


@dataclass(frozen=True)
class RootCause:
    """The named cause. ``kind`` keys the remediation playbook; ``location`` is file:line when known;
    ``introduced`` is True when a diff hunk covers the failing frame itself. ``error`` is normalised
    (ids, numbers and quoted values masked) so that one cause groups; ``example`` is one raw message
    of that group, with the actual key, id or value a reader needs (secrets masked)."""

    kind: str
    summary: str
    error: str | None = None
    location: str | None = None
    hunk: str | None = None
    introduced: bool = False
    example: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "summary": self.summary,
            "error": self.error,
            "example": self.example,
            "location": self.location,
            "hunk": self.hunk,
            "introduced_by_change": self.introduced,
        }


@dataclass(frozen=True)
class Verdict:
    cls: VerdictClass
    reason: str
    routes: tuple[RouteVerdict, ...] = ()
    root_cause: RootCause | None = None
    evidence: tuple[Evidence, ...] = ()
    lead: tuple[Endpoint, ...] = ()
    """The routes whose class is the run's class (the decisive, worst ones): what explain looks at."""
    bad_input: bool = False
    """INCONCLUSIVE because kassi refused the input: the run exits 2, and says so, not 3."""

    @property
    def exit_code(self) -> int:
        return 2 if self.bad_input else exit_code_for(self.cls)

    def to_dict(self) -> dict[str, object]:
        return {
            "class": self.cls,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "routes": [r.to_dict() for r in self.routes],
            "root_cause": self.root_cause.to_dict() if self.root_cause else None,
            "evidence": [e.to_dict() for e in self.evidence],
        }


def inconclusive(reason: str, bad_input: bool = False) -> Verdict:
    """The verdict of a run that could not be judged (the run failed, or no data): always with why."""
    return Verdict("INCONCLUSIVE", reason, bad_input=bad_input)
