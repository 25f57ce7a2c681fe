"""`kassi bench accuracy` and `kassi bench sensitivity`: end-to-end benchmarks over the demos."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kassi_app.home import kassi_home
from kassi_bench.app import bench_app


def _out_path(out: Path | None, name: str) -> Path:
    if out is not None:
        return out
    folder = kassi_home() / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"


@bench_app.command("accuracy")
def accuracy(
    reps: Annotated[int, typer.Option(min=1, help="Runs of every scenario.")] = 10,
    scenario: Annotated[list[str] | None, typer.Option(help="Only these demos (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the JSON results.")] = None,
) -> None:
    """kassi-bench: every demo REPS times end to end; detection, localisation, class, root cause,
    false alarms on controls, wall time per run."""
    from kassi_bench.accuracy import RunScore, run_accuracy, summarise

    console = Console()

    def progress(s: RunScore) -> None:
        mark = "[green]ok[/green]" if s.correct else "[red]WRONG[/red]"
        console.print(f"{mark} {s.scenario} #{s.rep}: {s.got} (expected {s.expected}) {s.wall_s:.1f}s",
                      highlight=False)

    summary = summarise(run_accuracy(reps, scenario or (), progress))
    table = Table(title=f"kassi-bench accuracy ({reps} reps)")
    for column in ("scenario", "correct", "detected", "localised", "class", "root cause", "cause kind",
                   "false alarms", "median wall s"):
        table.add_column(column, justify="left" if column == "scenario" else "right", no_wrap=column == "scenario")
    rows = [*summary["scenarios"].items(), ("overall", summary["overall"])]
    for name, b in rows:
        faults = b["faults"]
        table.add_row(
            name, f"{b['correct']}/{b['runs']}",
            f"{b['detected']}/{faults}" if faults else "-",
            f"{b['localised']}/{faults}" if faults else "-",
            f"{b['class_ok']}/{b['runs']}",
            f"{b['root_cause_ok']}/{b['with_root_cause']}" if b["with_root_cause"] else "-",
            f"{b['cause_kind_ok']}/{faults}" if faults else "-",
            str(b["false_alarms"]), f"{b['median_wall_s']:.1f}",
        )
    console.print(table)
    path = _out_path(out, "accuracy")
    path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    console.print(f"results: {path}", highlight=False)


@bench_app.command("sensitivity")
def sensitivity(
    shift: Annotated[list[float] | None, typer.Option(help="Median shifts in % to try (0 is the control).")] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the JSON results.")] = None,
) -> None:
    """The smallest real median-latency shift detected at default settings (control must stay HEALTHY)."""
    from kassi_bench.sensitivity import DEFAULT_SHIFTS, ShiftResult, calibrate, run_sensitivity

    console = Console()
    calibration = calibrate()
    console.print(
        f"calibration: POST /api/tokens median {calibration.route_ms:.2f} ms at base, of which key derivation "
        f"{calibration.work_ms:.2f} ms ({100 * calibration.work_share:.0f} %)",
        highlight=False,
    )

    def progress(r: ShiftResult) -> None:
        console.print(f"shift {r.shift_pct:g}% ({r.rounds_pct:g}% more rounds): {r.got} (base p50 {r.base_p50_ms} ms,"
                      f" head p50 {r.head_p50_ms} ms, measured {r.measured_shift_pct}%)", highlight=False)

    results, smallest = run_sensitivity(shift or DEFAULT_SHIFTS, progress, calibration=calibration)
    control = "HEALTHY" if all(r.got == "HEALTHY" for r in results if r.shift_pct == 0) else "ALARM"
    found = f"{smallest:g}%" if smallest is not None else "none"
    console.print(f"smallest median shift detected: {found} (control {control})", highlight=False)
    path = _out_path(out, "sensitivity")
    summary = {
        "smallest_detected_pct": smallest,
        "calibration": {**calibration.__dict__, "work_share": calibration.work_share},
        "results": [r.__dict__ for r in results],
    }
    path.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    console.print(f"results: {path}", highlight=False)
