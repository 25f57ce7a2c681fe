"""Start a demo at both refs and probe it: startup time, latency and error counts per ref.

This is the quick, k6-free sanity figure behind ``kassi bench demos``: does each fault show under
concurrency on this machine, and does each control stay unchanged?
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kassi_app.demos.catalogue import Demo
from kassi_app.demos.probe import ProbeResult, probe, requests_for
from kassi_app.demos.repo import init_demo
from kassi_app.endpoint import Endpoint
from kassi_app.target import TargetSpec, checkout, start_target


@dataclass(frozen=True)
class RefFigures:
    start_s: float
    result: ProbeResult


def _ignore(_name: str, _stream: str, _at: float, _text: str) -> None:
    return None


def check_demo(demo: Demo, *, workers: int, total: int) -> dict[str, RefFigures]:
    """Probe the demo's flagged routes (all routes for a control) at base and at head, one at a time."""
    endpoints = demo.flagged or tuple(Endpoint(op.method, op.path) for op in demo.service.ops)
    requests = requests_for(demo.service.ops, endpoints)
    figures: dict[str, RefFigures] = {}
    with tempfile.TemporaryDirectory(prefix="kassi-bench-") as scratch:
        repo = init_demo(demo.name, Path(scratch) / demo.name)
        spec = TargetSpec.load(repo.path)
        for ref in ("base", "head"):
            with checkout(repo.path, ref) as tree:
                started = time.monotonic()
                with start_target(spec, tree, _ignore) as target:
                    start_s = time.monotonic() - started
                    figures[ref] = RefFigures(start_s, probe(target.base_url, requests, workers=workers,
                                                             total=total, deadline_s=60))
    return figures
