"""`kassi bench proxy` and `kassi bench ingest`: the telemetry speed figures."""

from __future__ import annotations

import typer

from kassi_bench.app import bench_app
from kassi_bench.telemetry import bench_ingest, bench_proxy


@bench_app.command("proxy")
def proxy(
    rate: int = typer.Option(500, help="Requests per second (k6 constant-arrival-rate)."),
    blocks: int = typer.Option(4, help="Direct/proxied block pairs (ABBA order)."),
    block_seconds: int = typer.Option(5, help="Seconds per block."),
) -> None:
    """Added latency (p50, p95) and throughput ratio of the access-log proxy under the same k6 load."""
    r = bench_proxy(rate, blocks, block_seconds)
    typer.echo(
        f"k6 at {r.rate} req/s, {r.seconds_each:g}s direct and {r.seconds_each:g}s proxied (alternating)"
    )
    for name, side in (("direct", r.direct), ("proxied", r.proxied)):
        typer.echo(
            f"  {name:8} requests={side.requests} failed={side.failed} "
            f"p50={side.p50_ms:.3f} ms p95={side.p95_ms:.3f} ms"
        )
    typer.echo(f"added latency p50: {r.added_p50_ms:+.3f} ms (target <= 1 ms)")
    typer.echo(f"added latency p95: {r.added_p95_ms:+.3f} ms (target <= 2 ms)")
    typer.echo(f"throughput ratio proxied/direct: {r.throughput_ratio:.3f} (target >= 0.95)")
    typer.echo(f"access events stored: {r.events}")


@bench_app.command("ingest")
def ingest(
    events: int = typer.Option(200_000, help="Access events to write."),
    batch: int = typer.Option(2000, help="Events per batch (one transaction each)."),
) -> None:
    """Access events per second into the embedded SQLite store."""
    r = bench_ingest(events, batch)
    typer.echo(f"{r.events} events in batches of {r.batch}: {r.seconds:.3f} s")
    typer.echo(f"ingest rate: {r.per_second:,.0f} events/s (target >= 50,000/s)")
