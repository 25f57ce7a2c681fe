"""`kassi endpoints`: which endpoints a change touches (repo or diff), or which an intent names (OpenAPI).

Exit codes: 0 with endpoints listed; 0 with an empty list (``[]`` in JSON) and a note on stderr when
the change touches no endpoint (a valid answer: nothing to load-test); 2 for bad input (not a git
repo, unknown ref, empty/binary-only/rename-only diff, no operation matching the intent).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from kassi_app.change import ChangeSet, changed_endpoints, changed_endpoints_from_diff
from kassi_app.change.intent import RankedOperation, endpoints_from_intent
from kassi_app.errors import BadInput

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "tests" / "change" / "corpus"


def _read_diff(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise BadInput(f"cannot read the diff {source}: {exc.strerror}") from None


def _print_changes(result: ChangeSet, as_json: bool, diff_only: bool = False) -> None:
    if as_json:
        typer.echo(json.dumps([e.to_json() for e in result.endpoints], indent=2))
    else:
        table = Table(title="changed endpoints")
        for column in ("change", "method", "route", "framework", "handler"):
            table.add_column(column)
        table.add_column("declared at", overflow="fold")
        for e in result.endpoints:
            table.add_row(e.change, e.method, e.route, e.framework, e.handler, f"{e.file}:{e.line}")
        if result.endpoints:
            Console().print(table)
    if not result.endpoints:
        shown = ", ".join(result.files[:5]) + (" ..." if len(result.files) > 5 else "")
        hint = " (diff-only: a helper is followed only to handlers the diff shows; try --repo)" if diff_only else ""
        Console(stderr=True).print(f"kassi: the change touches no endpoint ({len(result.files)} files: {shown}){hint}")


def _print_ranked(ranked: list[RankedOperation], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in ranked], indent=2))
        return
    table = Table(title="endpoints matching the intent")
    for column in ("score", "method", "route", "operation", "summary"):
        table.add_column(column)
    for r in ranked:
        op = r.operation
        table.add_row(f"{r.score:.2f}", op.method, op.route, op.operation_id, op.summary)
    Console().print(table)


def endpoints(
    repo: Path | None = typer.Option(None, "--repo", help="Git repository (default: current folder)."),
    base: str = typer.Option("HEAD~1", "--base", help="Base ref of the change."),
    head: str = typer.Option("HEAD", "--head", help="Head ref of the change."),
    diff: str | None = typer.Option(None, "--diff", help="Unified diff file ('-' for stdin) instead of a repo."),
    openapi: Path | None = typer.Option(None, "--openapi", help="OpenAPI 3 spec (JSON or YAML)."),
    intent: str | None = typer.Option(None, "--intent", help="Plain-language intent, with --openapi."),
    limit: int = typer.Option(5, "--limit", min=1, help="Most operations to return for an intent."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the endpoints a change adds, modifies or removes; or rank a spec's operations for an intent.

    A change that touches no endpoint prints an empty list and exits 0 (a note goes to stderr).
    """
    if (openapi is None) != (intent is None):
        raise BadInput("--openapi and --intent go together")
    if sum(x is not None for x in (repo, diff, openapi)) > 1:
        raise BadInput("choose one of --repo, --diff or --openapi/--intent")
    if openapi is not None and intent is not None:
        _print_ranked(endpoints_from_intent(openapi, intent, limit), as_json)
    elif diff is not None:
        _print_changes(changed_endpoints_from_diff(_read_diff(diff)), as_json, diff_only=True)
    else:
        _print_changes(changed_endpoints(repo or Path.cwd(), base, head), as_json)



def register(app: typer.Typer) -> None:
    app.command("endpoints")(endpoints)
