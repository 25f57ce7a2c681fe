"""The optional changed-lines check of an A/B run (``[load] line_coverage``): the head target started
with kassi's line bootstrap, one warm-up block of the run's own k6 script sent straight to it (no
proxy: nothing of it is recorded or judged), then the lines read back. See target/linecov.py.

The warm-up block is extra: the measured blocks come after the bootstrap has stopped measuring, so
the A/B comparison is not skewed by the tracer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kassi_app.events import Variant
from kassi_app.hosts import origin_url
from kassi_app.load import run_segmented
from kassi_app.target.linecov import LineCoverage, changed_python_lines
from kassi_app.workflow.context import RunContext

WARMUP_BLOCK = 99
"""The block number the warm-up's k6 run is tagged with (never one of the measured blocks')."""


EnvAdder = Callable[[Mapping[str, str]], Mapping[str, str]]


def head_env(ctx: RunContext, variant: Variant, workdir: Path) -> EnvAdder | None:
    """For the head target of a run with ``line_coverage`` whose change touches Python lines that can
    run: what its environment gets (and the measurement is kept on the run's resources)."""
    ev = ctx.evidence
    if variant != "head" or ev.settings is None or not ev.settings.load.line_coverage:
        return None
    hunks = changed_python_lines(ev.changes.hunks, workdir)
    if not hunks:
        ev.line_coverage = {"how": "not measured: the change adds no Python line that can run", "hunks": []}
        return None
    ctx.resources.linecov = LineCoverage(ctx.run_dir / "line-coverage", workdir, hunks)
    return ctx.resources.linecov.env


def warm_up(ctx: RunContext, timeout_s: float) -> dict[str, Any]:
    """One block of the run's script at head (straight to the service), then the changed lines that
    ran; a no-op unless ``head_env`` started a measurement. Returns the result (also kept in evidence)."""
    probe, ev = ctx.resources.linecov, ctx.evidence
    if probe is None:
        return ev.line_coverage
    ctx.resources.linecov = None
    head = next(s for s in ctx.resources.sides if s.variant == "head")
    base = next((s for s in ctx.resources.sides if s.variant == "base"), head)
    assert ev.script is not None
    run_segmented(
        ev.script, 1, env={"BASE_URL": origin_url(head.host, head.port), "KASSI_BLOCK": str(WARMUP_BLOCK),
                           "LOOKUP_URL": origin_url(base.host, base.port)},
        workdir=ctx.run_dir / "k6-warmup-head", timeout_s=timeout_s,
    )
    ev.line_coverage = probe.collect()
    return ev.line_coverage
