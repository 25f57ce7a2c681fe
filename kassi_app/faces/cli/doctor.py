"""`kassi doctor`: check the machine has what a run needs."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from kassi_app.doctor import run_checks


def doctor() -> None:
    """Check Python, the k6 binary, git, the kassi home and SQLite; exit 1 if any fails."""
    checks = run_checks()
    table = Table(title="kassi doctor")
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    for check in checks:
        table.add_row(check.name, "[green]ok[/green]" if check.ok else "[red]FAIL[/red]", check.detail)
    console = Console()
    console.print(table)
    failed = [c.name for c in checks if not c.ok]
    if failed:
        Console(stderr=True).print(f"[red]kassi doctor: failed checks: {', '.join(failed)}[/red]")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
