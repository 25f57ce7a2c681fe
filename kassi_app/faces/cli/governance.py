"""`kassi verify`, `kassi runs ls|show`, `kassi serve`, `kassi bench ledger`: the governance faces."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kassi_app.faces.mcp.workflow_ref import DEFAULT_WORKFLOW, load_factory
from kassi_app.ledger.chain import SEAL_FILE, read_seal
from kassi_app.ledger.seal import seal_key
from kassi_app.ledger.verify import verify_ledger
from kassi_app.workflow.runs import (
    list_runs,
    read_entries,
    read_run_json,
    record_problems,
    require_intact,
    resolve_run,
)

TEXT_PROBLEM_LIMIT = 50
runs_app = typer.Typer(help="List and inspect governed runs.", no_args_is_help=True)


def _when(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) if epoch else "-"


def verify(
    run: str = typer.Argument(..., help="A run id under <kassi home>/runs/, a run folder, or a ledger file."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check a run's hash chain and seal, and the files the seal covers (run.json, analysis.md); exit 0
    only when all hold."""
    ref = resolve_run(run)
    problems = verify_ledger(ref.ledger, seal_key(create=False), ref.run_id) + record_problems(ref.ledger)
    if as_json:
        out = {
            "run_id": ref.run_id,
            "ledger": str(ref.ledger),
            "ok": not problems,
            "problems": [asdict(p) for p in problems],
        }
        typer.echo(json.dumps(out, indent=2))
    elif not problems:
        typer.echo(f"ok: ledger of run {ref.run_id} is intact and its seal is valid")
    else:
        typer.echo(f"FAILED: {len(problems)} problem(s) in the ledger of run {ref.run_id}")
        for p in problems[:TEXT_PROBLEM_LIMIT]:
            where = f"line {p.line}" if p.line is not None else "ledger"
            typer.echo(f"  {where}: [{p.kind}] {p.message}")
        if len(problems) > TEXT_PROBLEM_LIMIT:
            typer.echo(f"  ... and {len(problems) - TEXT_PROBLEM_LIMIT} more (use --json for all)")
    if problems:
        raise typer.Exit(1)


@runs_app.command("ls")
def runs_ls(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the runs in the kassi home, newest first."""
    runs = list_runs()
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in runs], indent=2))
        return
    table = Table(title="kassi runs")
    for column in ("run id", "started", "entries", "sealed", "last action", "verdict"):
        table.add_column(column)
    for r in runs:
        table.add_row(
            r.run_id,
            _when(r.started),
            str(r.entries),
            "no" if not r.sealed else "yes" if r.intact else "BROKEN (kassi verify)",
            r.last_action or "-",
            r.verdict or "-",
        )
    Console().print(table)


@runs_app.command("show")
def runs_show(
    run: str = typer.Argument(..., help="A run id, run folder, or ledger file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a run: run.json, the seal and every ledger entry. A sealed run is shown only when its chain,
    seal and sealed files verify with the seal key here: an edited run is refused (exit 2)."""
    ref = resolve_run(run)
    seal_path = ref.ledger.with_name(SEAL_FILE)
    require_intact(ref)
    seal: dict[str, Any] | None = asdict(read_seal(seal_path)) if seal_path.exists() else None
    entries = read_entries(ref.ledger)
    if as_json:
        out = {"run_id": ref.run_id, "run": read_run_json(ref.folder), "seal": seal, "entries": entries}
        typer.echo(json.dumps(out, indent=2))
        return
    console = Console()
    console.print(f"run {ref.run_id}  ({ref.ledger})", highlight=False)
    info = read_run_json(ref.folder)
    if info:
        console.print_json(json.dumps(info))
    console.print(f"sealed: {seal['count']} entries, head {seal['head'][:16]}…" if seal else "not sealed")
    table = Table()
    for column in ("seq", "time", "card", "action", "outcome", "detail"):
        table.add_column(column, overflow="fold")
    for e in entries:
        outcome = e.get("outcome", {}) if isinstance(e.get("outcome"), dict) else {}
        detail = outcome.get("reason") or outcome.get("error") or ""
        table.add_row(
            str(e.get("seq", "?")),
            _when(e.get("time")),
            str(e.get("card", "")),
            str(e.get("action", "")),
            str(outcome.get("status", "unreadable")),
            str(detail),
        )
    console.print(table)


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


def serve(
    transport: Annotated[
        Transport,
        typer.Option("--transport", help="stdio, or http (streamable HTTP on 127.0.0.1, path /mcp)."),
    ] = Transport.stdio,
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port for --transport http."),
    workflow: str = typer.Option(DEFAULT_WORKFLOW, "--workflow", help="module:function opening a governed run."),
    allow_repo: Annotated[list[str] | None, typer.Option(
        "--allow-repo", help="A repo (or a folder of repos) the client may run; repeat for more. None: no A/B run.",
    )] = None,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="A non-loopback host the client's load and specs may go to; repeat for more.",
    )] = None,
) -> None:
    """Serve a governed run over MCP: one tool, `step`; resources kassi://run/state and kassi://run/ledger.
    The repos and hosts a client may name are the ones given here, never the client's own."""
    from kassi_app.faces.mcp.allow import ServeAllowList
    from kassi_app.faces.mcp.server import serve as serve_mcp  # the MCP stack is slow to import
    from kassi_app.target import cleanup

    allow = ServeAllowList.from_flags(allow_repo or (), allow_host or ())
    cleanup.install()  # the run's services start on worker threads: hook SIGTERM here, on the main one
    serve_mcp(load_factory(workflow), transport.value, port, allow)



def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
    app.add_typer(runs_app, name="runs")
    app.command("serve")(serve)
