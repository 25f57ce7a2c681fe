"""`kassi bench ...`: benchmark commands that print the figures the issues ask for.

The package is a kassi CLI plugin (entry point group ``kassi.cli``, see bench/pyproject.toml): a
development install has it, the Splunk tarball and a plain ``pip install kassi`` do not. Each
benchmark lives in its own ``cli_*`` module and adds itself to ``bench_app`` on import.
"""

from __future__ import annotations

import importlib

import typer

from kassi_bench.app import bench_app

COMMAND_MODULES = (
    "kassi_bench.cli_endpoints",
    "kassi_bench.cli_ledger",
    "kassi_bench.cli_telemetry",
    "kassi_bench.cli_load",
    "kassi_bench.cli_demos",
    "kassi_bench.cli_runs",
    "kassi_bench.cli_judge",
    "kassi_bench.cli_calibration",
    "kassi_bench.cli_publish",
    "kassi_bench.cli_remedy",
)


def register(app: typer.Typer) -> None:
    """Add `kassi bench` and all its commands to the kassi CLI."""
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    app.add_typer(bench_app, name="bench")
