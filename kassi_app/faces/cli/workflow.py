"""`kassi render` and `kassi arcana`: the governed workflow, shown."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def render(
    mermaid: Annotated[bool, typer.Option("--mermaid", help="Print a Mermaid flowchart instead of text.")] = False,
) -> None:
    """Print kassi's workflow graph: every phase, its card, and the legal moves out of it."""
    from kassi_app.workflow.render import as_mermaid, as_text

    typer.echo(as_mermaid() if mermaid else as_text())


def arcana() -> None:
    """The Major Arcana of a kassi run: one card per phase, the refusal and the sealed ledger."""
    from kassi_app.workflow.render import arcana as cards

    table = Table(title="kassi arcana")
    for column in ("card", "phase", "meaning"):
        table.add_column(column)
    for row in cards():
        table.add_row(*row)
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("render")(render)
    app.command("arcana")(arcana)
