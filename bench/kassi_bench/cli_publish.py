"""`kassi bench publish`: events per second from the HEC publisher to a loopback HTTPS HEC stub."""

from __future__ import annotations

import typer

from kassi_bench.app import bench_app
from kassi_bench.publish import bench_publish


@bench_app.command("publish")
def publish(events: int = typer.Option(20_000, help="kassi:access events to send.")) -> None:
    """Events per second through kassi's batched HEC transport (TLS verified) to the loopback stub."""
    r = bench_publish(events)
    typer.echo(f"{r.events} events in {r.batches} batches, {r.bytes_sent / 1e6:.1f} MB, {r.seconds:.3f} s")
    typer.echo(f"publish rate: {r.per_second:,.0f} events/s to the loopback HEC stub (stub in the same process)")
