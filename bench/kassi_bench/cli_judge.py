"""`kassi bench judge`: the judge's false-alarm rate, power and speed on synthetic telemetry.

Synthetic data with known answers is the only way to measure a false-alarm rate: a real run never
says which of its alarms were false. The figures are deterministic (fixed seeds); the timing is not.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter

import typer

from kassi_app.endpoint import Endpoint
from kassi_app.judge import judge_ab
from kassi_bench.app import bench_app
from kassi_bench.synthetic import RouteSpec, ab_events

_BACKGROUND = RouteSpec(route="/api/other", n=600, median_ms=3.0)
SCENARIOS: dict[str, tuple[RouteSpec, str]] = {
    "unchanged": (RouteSpec(), "HEALTHY"),
    "unchanged, noisy (sigma 0.5)": (RouteSpec(sigma=0.5), "HEALTHY"),
    "unchanged, 5 % slow tail": (RouteSpec(slow_tail=0.05), "HEALTHY"),
    "+10 % median (5 ms route)": (RouteSpec(shift_at_head=1.10), "DEGRADING"),
    "+10 % median, 5 % slow tail": (RouteSpec(shift_at_head=1.10, slow_tail=0.05), "DEGRADING"),
    "+5 % median (threshold)": (RouteSpec(shift_at_head=1.05), "DEGRADING"),
    "2 % server errors": (RouteSpec(errors_at_head=0.02), "REGRESSION"),
    "10 % 429s": (RouteSpec(throttled_at_head=0.10), "THROTTLED"),
    "growth +0.3 ms/s": (RouteSpec(growth_ms_per_s_at_head=0.3), "DEGRADING"),
    "serialised (x4 at high load)": (RouteSpec(high_factor_at_head=4.0), "DEGRADING"),
    "85 % faster, x5 high/low at head": (RouteSpec(shift_at_head=0.15, high_factor_at_head=5.0), "HEALTHY"),
}


@bench_app.command("judge")
def bench_judge(
    seeds: int = typer.Option(30, min=1, max=1000, help="Synthetic runs per scenario."),
    samples: int = typer.Option(1000, min=20, help="Requests per variant on the changed route."),
) -> None:
    """Print, per scenario, how often the judge reached the expected class, and its time per run."""
    changed = [_Changed(Endpoint("GET", "/api/items"))]
    typer.echo(f"{'scenario':32} {'expected':11} {'hit rate':>9} {'ms/run':>7}  classes")
    for name, (spec, expected) in SCENARIOS.items():
        spec = dataclasses.replace(spec, n=samples)
        classes: Counter[str] = Counter()
        started = time.perf_counter()
        for seed in range(seeds):
            classes[judge_ab(ab_events([spec, _BACKGROUND], seed=10_000 + seed), changed).cls] += 1
        per_run_ms = 1000 * (time.perf_counter() - started) / seeds
        rate = classes[expected] / seeds
        shown = ", ".join(f"{cls} {count}" for cls, count in classes.most_common())
        typer.echo(f"{name:32} {expected:11} {rate:9.0%} {per_run_ms:7.0f}  {shown}")


@dataclasses.dataclass(frozen=True)
class _Changed:
    """The changed route as the judge sees it (a ``ChangedLike``)."""

    endpoint: Endpoint
    change: str = "modified"
    file: str = "app/main.py"
