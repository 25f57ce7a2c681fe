"""`kassi bench remedy`: every fault demo with --fix, hunk isolation and commit bisection."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kassi_app.errors import BadInput
from kassi_bench.app import bench_app


@bench_app.command("remedy")
def bench_remedy(
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Scenario: a fault demo's name, isolation or bisection (repeatable).")] = None,
    fix_budget: Annotated[float, typer.Option(help="Seconds each run's fix experiments may take.")] = 600.0,
) -> None:
    """Each fault demo end to end with --fix (the fix applies, parses, is verified HEALTHY), a head
    that mixes harmless hunks with the harmful one (the harmless ones are kept), and a 4-commit range
    (bisection names the bad commit); with the extra wall time the fix costs."""
    from kassi_bench.remedy import run_scenario, scenarios

    known = scenarios()
    unknown = [name for name in only or () if name not in known]
    if unknown:
        raise BadInput(f"unknown scenario {', '.join(unknown)} (known: {', '.join(known)})")
    console = Console()
    table = Table(title="kassi bench remedy (one run each; wall times are this machine's, under its load)")
    for column in ("scenario", "verdict", "fix", "applies", "parses", "verified", "finding", "ok",
                   "experiments", "run wall s", "fix extra s"):
        table.add_column(column, justify="right" if column.endswith((" s", "experiments")) else "left")
    for name in only or list(known):
        s = run_scenario(known[name], fix_budget)
        console.print(f"{'[green]ok[/green]' if s.correct else '[red]NOT OK[/red]'} {name}: {s.verdict}, fix "
                      f"{s.source} verified {s.verified} ({s.wall_s:.1f}s, fix {s.fix_s:.1f}s)", highlight=False)
        table.add_row(s.scenario, s.verdict, s.source, s.applies, s.parses, s.verified, s.finding,
                      "yes" if s.correct else "NO", str(s.experiments), f"{s.wall_s:.1f}", f"{s.fix_s:.1f}")
    console.print(table)
