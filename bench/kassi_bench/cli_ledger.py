"""`kassi bench ledger`: ledger append and verify throughput."""

from __future__ import annotations

import typer

from kassi_bench.app import bench_app
from kassi_bench.ledger import bench_ledger


@bench_app.command("ledger")
def bench_ledger_cmd(
    entries: int = typer.Option(100_000, "--entries", min=1, help="Entries to append."),
) -> None:
    """Ledger append and verify throughput (entries/s; target verify >= 100,000/s)."""
    result = bench_ledger(entries)
    typer.echo(f"entries:  {result.entries} ({result.bytes_per_entry:.0f} bytes each)")
    typer.echo(f"append:   {result.append_per_s:,.0f} entries/s")
    typer.echo(
        f"verify:   {result.verify_best_per_s:,.0f} entries/s best of 3, "
        f"{result.verify_median_per_s:,.0f} median (target >= 100,000; shared machine: figures are noisy)"
    )
    if result.problems:
        typer.echo(f"verify found {result.problems} problem(s) in a fresh ledger: bug")
        raise typer.Exit(1)
