"""The `kassi bench` command group that every benchmark module adds its command to."""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks that print measured figures.", no_args_is_help=True)
