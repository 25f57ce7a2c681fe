"""`kassi bench calibration`: the false-alarm rate of A/A runs with its Clopper-Pearson interval."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from kassi_bench.app import bench_app


@bench_app.command("calibration")
def calibration(
    runs: Annotated[int, typer.Option(min=1, help="A/A runs (cycling over the demos).")] = 100,
    demo: Annotated[list[str] | None, typer.Option(help="Only these demos (repeatable).")] = None,
    demo_settings: Annotated[bool, typer.Option(
        help="Use the demos' kassi.toml judge settings instead of kassi's defaults.")] = False,
    out: Annotated[Path | None, typer.Option(help="Where to write the JSON results.")] = None,
) -> None:
    """A/A runs (the same commit on both sides) across the demo targets: every alarm is false. Prints
    the false-alarm rate with its exact 95 % interval. Run it on an otherwise idle machine."""
    from kassi_bench.calibration import AaRun, false_alarm_rate, run_calibration
    from kassi_bench.cli_runs import _out_path

    def progress(r: AaRun) -> None:
        mark = "FALSE ALARM" if r.false_alarm else "ok"
        typer.echo(f"{mark} {r.demo}: {r.cls} ({r.wall_s:.1f}s){' — ' + r.reason if r.false_alarm else ''}")

    results = run_calibration(runs, demo or (), progress, demo_settings=demo_settings)
    rate = false_alarm_rate(results)
    typer.echo(
        f"false alarms: {rate.alarms}/{rate.runs} = {100 * rate.rate:.1f} % "
        f"(Clopper-Pearson {100 * rate.confidence:.0f} % CI {100 * rate.low:.1f}-{100 * rate.high:.1f} %); "
        f"inconclusive: {rate.inconclusive}; settings: {'demos' if demo_settings else 'defaults'}"
    )
    path = _out_path(out, "calibration")
    path.write_text(json.dumps({"rate": asdict(rate), "runs": [asdict(r) for r in results]}, indent=2),
                    encoding="utf-8")
    typer.echo(f"results: {path}")
