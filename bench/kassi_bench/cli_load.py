"""`kassi bench load`: script render/validate time and k6 segments against a hello server."""

from __future__ import annotations

import typer

from kassi_app.load import LoadProfile
from kassi_bench.app import bench_app
from kassi_bench.load import bench_load


@bench_app.command("load")
def bench(
    segments: int = typer.Option(2, min=2, help="Segments for the split run."),
    low_vus: int = typer.Option(2, help="VUs in the low stage."),
    high_vus: int = typer.Option(16, help="VUs in the high stage."),
    low_s: float = typer.Option(3.0, help="Seconds of the low stage."),
    high_s: float = typer.Option(5.0, help="Seconds of the high stage."),
) -> None:
    """Script render/validate time, and one k6 process vs N segments against a hello server."""
    r = bench_load(LoadProfile(low_vus, high_vus, low_s, high_s), segments)
    typer.echo(f"render {r.render_ms:.1f} ms; k6 inspect {r.validate_s:.2f} s; "
               f"planned {r.planned_s:g} s (incl. graceful stop)")
    for run_ in r.runs:
        typer.echo(f"  {run_.processes} process(es): {run_.requests} requests in {run_.wall_s:.2f} s wall "
                   f"({run_.per_second:,.0f} req/s incl. start-up) p50={run_.p50_ms:.2f} ms "
                   f"p95={run_.p95_ms:.2f} ms p99={run_.p99_ms:.2f} ms")
    typer.echo(f"merge of {segments} segments (quantiles from points): {r.merge_ms:.0f} ms; "
               f"{r.points_per_request:.1f} k6 points per request")
