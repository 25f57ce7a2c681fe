"""`kassi bench demos`: start each demo at base and head and probe it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kassi_app.demos import CATALOGUE, demo_by_name
from kassi_bench.app import bench_app
from kassi_bench.demo_check import check_demo


@bench_app.command("demos")
def bench_demos(
    only: Annotated[list[str] | None, typer.Option("--only", help="Demo name (repeatable).")] = None,
    workers: Annotated[int, typer.Option(help="Concurrent clients.")] = 16,
    total: Annotated[int, typer.Option(help="Requests per ref.")] = 320,
) -> None:
    """Start each demo at base and head and probe it: startup time, median latency, 5xx and 429 counts."""
    names = only or list(CATALOGUE)
    demos = [demo_by_name(name) for name in names]
    table = Table(title=f"demo probe: {workers} clients, {total} requests per ref (noisy on shared cores)")
    for column in ("demo", "expected", "start base/head s", "median base/head ms", "5xx base/head",
                   "429 base/head"):
        table.add_column(column)
    for demo in demos:
        figures = check_demo(demo, workers=workers, total=total)
        base, head = figures["base"], figures["head"]
        table.add_row(
            demo.name, demo.expected, f"{base.start_s:.1f} / {head.start_s:.1f}",
            f"{base.result.median_ms:.1f} / {head.result.median_ms:.1f}",
            f"{base.result.count(500, 600)} / {head.result.count(500, 600)}",
            f"{base.result.statuses[429]} / {head.result.statuses[429]}",
        )
    Console().print(table)
