"""The workflow graph for people: plain text, Mermaid, and the arcana (one card per phase)."""

from __future__ import annotations

from kassi_app.workflow.cards import REFUSAL_CARD, SEAL_CARD
from kassi_app.workflow.graph import PHASES, build_moves
from kassi_app.workflow.machine import Move


def _label(move: Move) -> str:
    parts = []
    if move.when is not None:
        parts.append(move.when.__doc__.strip() if move.when.__doc__ else move.when.__name__.strip("_"))
    if move.on_error:
        parts.append("on failure")
    return ", ".join(parts)


def as_text() -> str:
    """Each phase with its card, then its legal next moves and their conditions."""
    moves = build_moves()
    lines = []
    for phase in PHASES:
        lines.append(f"{phase.name}  [{phase.card}]  {phase.description}")
        for move in (m for m in moves if m.from_ == phase.name):
            label = _label(move)
            lines.append(f"    -> {move.to}" + (f"  ({label})" if label else ""))
        if not any(m.from_ == phase.name for m in moves):
            lines.append(f"    (end: the ledger is sealed — {SEAL_CARD})")
    lines.append(f"any illegal move is refused — {REFUSAL_CARD}")
    return "\n".join(lines)


def as_mermaid() -> str:
    """A Mermaid flowchart of the same graph (paste into any Mermaid renderer)."""
    lines = ["flowchart TD"]
    for phase in PHASES:
        lines.append(f'    {phase.name}["{phase.name}<br/><i>{phase.card}</i>"]')
    for move in build_moves():
        label = _label(move)
        arrow = "-.->" if move.on_error else "-->"
        lines.append(f"    {move.from_} {arrow}" + (f"|{label}|" if label else "") + f" {move.to}")
    lines.append(f'    conclude --> sealed(("{SEAL_CARD}: sealed"))')
    return "\n".join(lines)


def arcana() -> list[tuple[str, str, str]]:
    """(card, phase, meaning) for every phase, the refusal and the seal."""
    rows = [(p.card, p.name, p.description) for p in PHASES]
    rows.append((REFUSAL_CARD, "(refusal)", "An illegal move, refused with the legal ones and sealed in the ledger."))
    rows.append((SEAL_CARD, "(ledger)", "The run's ledger, hash-chained and sealed with an HMAC."))
    return rows
