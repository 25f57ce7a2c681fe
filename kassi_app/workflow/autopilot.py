"""The built-in driver: deterministic, takes the furthest-reaching legal move at every step.

It sees exactly what any other driver sees (the legal actions) and moves only through
``Governor.step``; it prefers, after a verdict, to extend an INCONCLUSIVE run while it may, then
to explain, then (when asked) to fix and verify the fix, then to conclude.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kassi_app.workflow.governor import Governor, StepOutcome

PREFERENCE = (
    "begin", "read_change", "prepare_load", "start_targets", "drive_load", "collect", "judge",
    "extend_load", "explain", "remedy", "verify_fix", "abort", "conclude",
)
MAX_STEPS = 64
"""A bound on the loop: the graph has no unbounded cycle, so a longer run is a bug, not a long run."""


def drive(
    governor: Governor,
    first_inputs: Mapping[str, Any],
) -> list[StepOutcome]:
    """Step ``governor`` to its end; ``first_inputs`` go to the entry action (the run request).
    Whoever wants to follow the run observes the governor (see ``Governor.observe``)."""
    outcomes: list[StepOutcome] = []
    for _ in range(MAX_STEPS):
        legal = [spec.name for spec in governor.legal_actions()]
        if not legal:
            break
        action = min(legal, key=PREFERENCE.index)
        outcome = governor.step(action, dict(first_inputs) if not outcomes else {})
        outcomes.append(outcome)
    return outcomes
