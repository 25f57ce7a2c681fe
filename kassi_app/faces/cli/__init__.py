"""The `kassi` command line: a thin face over the engine.

Each command area lives in its own module with a ``register(app)`` function; ``COMMAND_MODULES``
lists them in the order they appear in ``kassi --help``.
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import entry_points

import typer
from rich.console import Console
from typer.exceptions import TyperException

from kassi_app import __version__
from kassi_app.errors import KassiError

COMMAND_MODULES: tuple[str, ...] = (
    "kassi_app.faces.cli.doctor",
    "kassi_app.faces.cli.endpoints",
    "kassi_app.faces.cli.run",
    "kassi_app.faces.cli.workflow",
    "kassi_app.faces.cli.governance",
    "kassi_app.faces.cli.report",
    "kassi_app.faces.cli.publish",
    "kassi_app.faces.cli.load",
    "kassi_app.faces.cli.demos",
    "kassi_app.faces.cli.watch",
)

PLUGIN_GROUP = "kassi.cli"
"""Entry points in this group are ``register(app)`` functions that add command groups (Datasette-style
plugins): the development install's ``kassi bench`` comes this way, so benchmarks never ship."""

app = typer.Typer(
    name="kassi",
    help="Catch the performance regression a code change brings before it ships.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"kassi {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """kassi: A/B load tests a change with real k6 and judges it with statistics."""


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)
for _plugin in entry_points(group=PLUGIN_GROUP):
    _plugin.load()(app)


def main() -> None:
    """Console-script entry point: known errors become one line on stderr and their exit code."""
    try:
        code = app(standalone_mode=False)
    except KassiError as exc:
        # One line whatever the terminal width; no markup, so "[target]" in a message stays as is.
        err_console.print(f"kassi: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("kassi: aborted")
        sys.exit(130)
    except TyperException as exc:  # usage errors (exit 2) and the like, printed the click way
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
