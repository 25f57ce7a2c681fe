"""`kassi run`: one governed run (A/B of a repo's change, or live against a URL), driven by the
autopilot, rendered for people (progress, verdict, analysis) or as one JSON object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from kassi_app.errors import BadInput
from kassi_app.workflow.request import LoadOverrides, RunRequest

if TYPE_CHECKING:
    from kassi_app.governance.governor import StepOutcome
    from kassi_app.workflow.runner import RunOutcome
    from kassi_app.workflow.session import RunSession

STATUS_STYLE = {"ok": "green", "failed": "red", "refused": "yellow"}


def execute(request: RunRequest, as_json: bool, console: Console | None = None) -> RunOutcome:
    """Run ``request`` to its sealed end and print the record; the outcome carries the exit code."""
    from kassi_app.workflow.runner import run_request  # the engine loads only when a run starts

    console = console or Console(stderr=as_json)

    def show(session: RunSession, outcome: StepOutcome) -> None:
        style = STATUS_STYLE[outcome.status]
        seconds = session.timer.seconds.get(outcome.action)
        took = f" {seconds:.1f}s" if seconds is not None else ""
        note = f" — {outcome.reason}" if outcome.reason else ""
        console.print(f"[{style}]{outcome.card:>18} · {outcome.action}{took}[/{style}]{note}", highlight=False)

    console.print(f"kassi run ({request.mode})", highlight=False)
    with console.status("starting…", spinner="dots") as status:
        outcome = run_request(request, show, on_start=lambda action: status.update(f"{action}…"))
    if as_json:
        typer.echo(json.dumps(outcome.record, indent=2, default=str))
    else:
        render_human(outcome.record, console)
    if outcome.exit_code == BadInput.exit_code:  # refused input: say why on stderr, as other commands do
        Console(stderr=True).print(f"kassi: {outcome.record.get('failure')}", style="red", markup=False,
                                   highlight=False, soft_wrap=True)
    return outcome


def render_human(record: dict[str, Any], console: Console) -> None:
    telemetry: dict[str, dict[str, dict[str, Any]]] = record.get("telemetry") or {}
    if telemetry:
        table = Table(title="server-side telemetry (proxy)")
        for column in ("variant", "route", "requests", "2xx", "429", "5xx", "p50 ms", "p95 ms", "p99 ms"):
            table.add_column(column, justify="left" if column in ("variant", "route") else "right")
        for variant, routes in telemetry.items():
            for route, s in routes.items():
                table.add_row(variant, route, str(s["requests"]), str(s["2xx"]), str(s["429"]), str(s["5xx"]),
                              f"{s['p50_ms']:.1f}", f"{s['p95_ms']:.1f}", f"{s['p99_ms']:.1f}")
        console.print(table)
    for warning in record.get("warnings") or []:
        console.print(f"[yellow]warning: {warning}[/yellow]", highlight=False)
    verdict = record.get("verdict") or {}
    if verdict.get("analysis"):
        console.print(Markdown(verdict["analysis"]))
    timings = " ".join(f"{k}={v:.1f}s" for k, v in (record.get("timings_s") or {}).items())
    console.print(f"phase timings: {timings}", highlight=False)
    ledger = record["ledger"]
    console.print(f"ledger: {ledger['path']} ({ledger['entries']} entries, sealed={ledger['sealed']})",
                  highlight=False)
    console.print(f"[bold]verdict: {verdict.get('class', 'INCONCLUSIVE')}[/bold] — {verdict.get('reason', '')}",
                  highlight=False)


def run(
    repo: Annotated[Path | None, typer.Option(help="A/B: the git repository (with kassi.toml).")] = None,
    base: Annotated[str, typer.Option(help="A/B: the ref before the change.")] = "HEAD~1",
    head: Annotated[str, typer.Option(help="A/B: the ref with the change.")] = "HEAD",
    url: Annotated[str | None, typer.Option(help="Live: the running service's base URL.")] = None,
    endpoint: Annotated[list[str] | None, typer.Option(help="Live: 'METHOD /route' (repeatable).")] = None,
    openapi: Annotated[str | None, typer.Option(help="Live: OpenAPI spec file or URL (JSON).")] = None,
    allow_host: Annotated[list[str] | None, typer.Option(help="Allow load to this non-loopback host.")] = None,
    low_vus: Annotated[int | None, typer.Option(help="VUs in the low-concurrency stage.")] = None,
    high_vus: Annotated[int | None, typer.Option(help="VUs in the high-concurrency stage.")] = None,
    low_duration: Annotated[float | None, typer.Option(help="Seconds of the low stage.")] = None,
    high_duration: Annotated[float | None, typer.Option(help="Seconds of the high stage.")] = None,
    rounds: Annotated[int | None, typer.Option(help="A/B rounds (each: one block per variant).")] = None,
    segments: Annotated[int, typer.Option(help="Split each block over N k6 processes.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load-test a change (A/B: base vs head) or a live service, and judge it.

    Exit codes: 0 HEALTHY or THROTTLED, 1 REGRESSION or DEGRADING, 2 bad input, 3 INCONCLUSIVE.
    """
    if (repo is None) == (url is None):
        raise BadInput("give either --repo (A/B run) or --url (live run)")
    request = RunRequest(
        mode="ab" if repo is not None else "live",
        repo=repo.expanduser().resolve() if repo else None,
        base=base,
        head=head,
        url=url,
        endpoints=tuple(endpoint or ()),
        openapi=openapi,
        allow_hosts=tuple(allow_host or ()),
        load=LoadOverrides(low_vus, high_vus, low_duration, high_duration, rounds),
        segments=segments,
    )
    raise typer.Exit(execute(request, as_json).exit_code)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
