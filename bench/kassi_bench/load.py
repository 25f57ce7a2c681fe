"""`kassi bench load`: what the load side costs and reaches (one k6 process vs N segments).

The target is the minimal keep-alive hello server, so the figures show k6 and kassi's runner, not
a framework. Numbers on a shared 2-core machine are noisy; compare runs made back to back.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kassi_app.endpoint import Endpoint
from kassi_app.load.plan import LoadPlan, LoadProfile
from kassi_app.load.points import iter_points
from kassi_app.load.runner import K6Result, run_k6, validate_script
from kassi_app.load.script import render_script
from kassi_app.load.segments import merge_results, run_segmented
from kassi_app.target.process import ManagedProcess, free_port
from kassi_app.target.running import wait_healthy
from kassi_app.target.spec import ProcessSpec

CHANGED = [Endpoint("GET", "/api/items/{id}"), Endpoint("GET", "/api/items")]
BACKGROUND = [Endpoint("GET", "/api/health"), Endpoint("GET", "/api/users/{id}")]


@dataclass(frozen=True)
class RunFigures:
    processes: int
    wall_s: float
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0


@dataclass(frozen=True)
class LoadBench:
    render_ms: float
    validate_s: float
    planned_s: float
    runs: list[RunFigures]
    merge_ms: float
    points_per_request: float


def _figures(result: K6Result, processes: int) -> RunFigures:
    trend = result.summary["metrics"]["http_req_duration"]
    return RunFigures(processes, result.duration_s, result.requests,
                      float(trend["p(50)"]), float(trend["p(95)"]), float(trend["p(99)"]))


def bench_load(profile: LoadProfile, segments: int) -> LoadBench:
    """Render, validate, then run the same plan as one k6 process and as ``segments`` segments."""
    with tempfile.TemporaryDirectory(prefix="kassi-bench-load-") as tmp:
        work = Path(tmp)
        port = free_port()
        hello = ManagedProcess("hello", [sys.executable, "-m", "kassi_app.telemetry.hello", str(port)],
                               work, dict(os.environ), port, lambda *_: None)
        try:
            wait_healthy(hello, ProcessSpec("hello", (), health="/", ready_timeout_s=15.0))
            started = time.perf_counter()
            text = render_script(LoadPlan(CHANGED, BACKGROUND, profile))
            render_ms = (time.perf_counter() - started) * 1000
            script = work / "load.js"
            script.write_text(text, encoding="utf-8")
            started = time.perf_counter()
            requirements = validate_script(script)
            validate_s = time.perf_counter() - started
            env = {"BASE_URL": f"http://127.0.0.1:{port}", "KASSI_BLOCK": "1"}
            single = run_k6(script, env=env, workdir=work / "one", timeout_s=requirements.run_timeout_s)
            split = run_segmented(script, segments, env=env, workdir=work / "split",
                                  timeout_s=requirements.run_timeout_s)
            started = time.perf_counter()
            merge_results(list(split.parts))
            merge_ms = (time.perf_counter() - started) * 1000
            points = sum(1 for _ in iter_points(single.points_file))
        finally:
            hello.stop()
    return LoadBench(render_ms, validate_s, requirements.total_duration_s,
                     [_figures(single, 1), _figures(split, segments)], merge_ms,
                     points / single.requests if single.requests else 0.0)

