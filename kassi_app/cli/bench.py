"""`kassi bench ...`: benchmark commands that print the figures the issues ask for.

Each area adds its benchmark with ``@bench_app.command(...)`` in its own module under
``kassi_app/cli/``; this module only owns the group.
"""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks that print measured figures.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
