"""How a run did on a demo: scored against the catalogue's expectations.

`kassi demo run --check` and the kassi-bench accuracy benchmark share this one scoring. A fault run
is correct when the run's class is the expected one, every expected route is flagged, and (for
faults with an error) the root cause names the expected error. A control run is a false alarm when
it ends REGRESSION, DEGRADING or THROTTLED.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kassi_app.demos.catalogue import Demo
from kassi_app.endpoint import Endpoint

ALARMS = frozenset({"REGRESSION", "DEGRADING", "THROTTLED"})


@dataclass(frozen=True)
class RunScore:
    scenario: str
    rep: int
    expected: str
    got: str
    detected: bool
    localised: bool
    class_ok: bool
    root_cause_ok: bool | None
    cause_kind: str | None
    cause_kind_ok: bool | None
    false_alarm: bool
    wall_s: float
    run_id: str
    reason: str

    @property
    def correct(self) -> bool:
        if self.expected == "HEALTHY":
            return not self.false_alarm and self.got == "HEALTHY"
        return self.class_ok and self.localised and self.root_cause_ok is not False


def flagged_routes(verdict: dict[str, Any]) -> set[Endpoint]:
    return {Endpoint(r["method"], r["route"]) for r in verdict.get("routes", []) if r.get("class") in ALARMS}


def score(demo: Demo, rep: int, record: dict[str, Any], wall_s: float) -> RunScore:
    verdict = record.get("verdict") or {}
    got = str(verdict.get("class", "INCONCLUSIVE"))
    flagged = flagged_routes(verdict)
    root = verdict.get("root_cause") or {}
    root_text = " ".join(str(root.get(k) or "") for k in ("summary", "error")).lower()
    return RunScore(
        scenario=demo.name,
        rep=rep,
        expected=demo.expected,
        got=got,
        detected=got in ALARMS,
        localised=set(demo.flagged) <= flagged if demo.flagged else not flagged,
        class_ok=got == demo.expected,
        root_cause_ok=(demo.root_cause.lower() in root_text) if demo.root_cause else None,
        cause_kind=root.get("kind"),
        cause_kind_ok=(root.get("kind") == demo.cause_kind) if demo.cause_kind else None,
        false_alarm=demo.expected == "HEALTHY" and got in ALARMS,
        wall_s=round(wall_s, 2),
        run_id=str(record.get("run_id", "")),
        reason=str(verdict.get("reason", "")),
    )
