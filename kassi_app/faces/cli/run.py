"""`kassi run`: one governed run (A/B of a repo's change, or live against a URL), driven by the
autopilot, rendered for people (progress, verdict, analysis) or as one JSON object."""

from __future__ import annotations

import dataclasses
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from kassi_app.config import SPLUNK_TRAFFIC, LoadOverrides, RunRequest, request_error
from kassi_app.errors import BadInput
from kassi_app.faces.cli.interrupt import interruptible
from kassi_app.faces.cli.publish import CaFile, HecOptions, HecUrl, IndexName, Insecure, show_outcome
from kassi_app.target.linecov import coverage_notes
from kassi_app.workflow.sink import NullSink, PhaseEvent, RunSink, SafeSink

if TYPE_CHECKING:
    from rich.status import Status

    from kassi_app.remedy.backends import RemedyModels
    from kassi_app.workflow.runner import RunOutcome

STATUS_STYLE = {"ok": "green", "failed": "red", "refused": "yellow"}

# Options `kassi run` and `kassi demo run` share.
FixFlag = Annotated[bool, typer.Option(
    "--fix", help="A/B: after a REGRESSION or DEGRADING verdict, propose a fix and verify it under the same load.")]
FixBudget = Annotated[float, typer.Option(
    help="With --fix: seconds the fix's experiments (hunk localisation, commit bisection) may take.")]
ModelFlag = Annotated[str | None, typer.Option(
    "--model", help="With --fix: also ask a model for a fix, BACKEND:MODEL (ollama:qwen2.5-coder, openai:gpt-4o-mini, "
                    "anthropic:claude-sonnet-4-5); its key from KASSI_MODEL_API_KEY (or OPENAI_/ANTHROPIC_API_KEY).")]
ModelEndpoint = Annotated[str | None, typer.Option(
    help="With --model: the model server's base URL (default: the backend's own).")]
ReportFormats = Annotated[str | None, typer.Option(
    help="Also write reports into the run folder: html,junit,markdown,json (comma-separated).")]
PublishFlag = Annotated[bool, typer.Option(
    "--publish", help="Send the finished run to Splunk HEC (--hec-url; token: env KASSI_HEC_TOKEN).")]


class TelemetryChoice(StrEnum):
    proxy = "proxy"
    splunk = "splunk"


class ConsolePrinter(NullSink):
    """The CLI's sink: the running phase on a spinner, one line per finished phase or refusal."""

    def __init__(self, console: Console, status: Status) -> None:
        self._console = console
        self._status = status

    def phase(self, event: PhaseEvent) -> None:
        if event.status == "running":
            self._status.update(f"{event.phase}…")
            return
        style = STATUS_STYLE[event.status]
        took = f" {event.duration_s:.1f}s" if event.duration_s is not None else ""
        note = f" — {event.detail}" if event.detail else ""
        self._console.print(f"[{style}]{event.card:>18} · {event.phase}{took}[/{style}]{note}", highlight=False)


def report_formats(text: str | None) -> list[str]:
    """``--report html,junit`` as checked format names (a bad one is refused before the run)."""
    from kassi_app.report import check_format

    return [check_format(f.strip()) for f in (text or "").split(",") if f.strip()]


def execute(
    request: RunRequest, as_json: bool, console: Console | None = None, reports: list[str] | None = None,
    publish: HecOptions | None = None, models: RemedyModels | None = None,
) -> RunOutcome:
    """Run ``request`` to its sealed end, print the record, write the ``reports`` asked for and, with
    ``publish``, send the run to HEC (checked before the run starts; a failed send keeps the run marked
    unpublished and does not change the exit code). The outcome carries the exit code."""
    from kassi_app.publish.sink import PublishingSink
    from kassi_app.report import write_reports
    from kassi_app.target import cleanup  # the engine loads only when a run starts
    from kassi_app.workflow.runner import run_request

    cleanup.install()  # Ctrl-C / SIGTERM stop the run's services: hooked here, on the main thread
    console = console or Console(stderr=as_json)
    publisher = PublishingSink(publish.open(console)) if publish is not None else None
    console.print(f"kassi run ({request.mode})", highlight=False)
    with interruptible() as interruption, console.status("starting…", spinner="dots") as status:
        sinks: list[RunSink] = [ConsolePrinter(console, status), *([publisher] if publisher else [])]
        outcome = run_request(request, SafeSink(sinks), cancel=interruption.cancel, models=models)
    if interruption.exit_code is not None:  # sealed INCONCLUSIVE "interrupted"; the shell sees the signal
        outcome = dataclasses.replace(outcome, exit_code=interruption.exit_code)
    if as_json:
        typer.echo(json.dumps(outcome.record, indent=2, default=str))
    else:
        render_human(outcome.record, console)
    if outcome.exit_code == BadInput.exit_code:  # refused input: say why on stderr, as other commands do
        Console(stderr=True).print(f"kassi: {outcome.record.get('failure')}", style="red", markup=False,
                                   highlight=False, soft_wrap=True)
    if reports:
        folder = Path(outcome.record["ledger"]["path"]).parent
        for path in write_reports(outcome.record, reports, folder / "reports"):
            console.print(f"report: {path}", highlight=False)
    if publisher is not None:
        publisher.close()
        show_outcome(publisher, outcome.run_id, console)
    return outcome


def render_human(record: dict[str, Any], console: Console) -> None:
    telemetry: dict[str, dict[str, dict[str, Any]]] = record.get("telemetry") or {}
    if telemetry:
        source = (record.get("request") or {}).get("telemetry") or "proxy"
        table = Table(title=f"server-side telemetry ({source})")
        for column in ("variant", "route", "requests", "2xx", "429", "5xx", "p50 ms", "p95 ms", "p99 ms"):
            table.add_column(column, justify="left" if column in ("variant", "route") else "right")
        for variant, routes in telemetry.items():
            for route, s in routes.items():
                table.add_row(variant, route, str(s["requests"]), str(s["2xx"]), str(s["429"]), str(s["5xx"]),
                              f"{s['p50_ms']:.1f}", f"{s['p95_ms']:.1f}", f"{s['p99_ms']:.1f}")
        console.print(table)
    for endpoint, shares in (record.get("reach") or {}).items():
        figures = ", ".join(f"{variant} {100 * share:.0f} %" for variant, share in shares.items())
        console.print(f"2xx share {endpoint}: {figures}", highlight=False)
    for line in coverage_notes(record.get("line_coverage") or {}):
        console.print(line, highlight=False)
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
    render_fix(record.get("remedy"), console)


def render_fix(remedy: dict[str, Any] | None, console: Console) -> None:
    """The fix's outcome under the verdict (its diff is in the analysis's Fix section)."""
    from kassi_app.remedy.outcome import verified_line

    if not remedy:
        return
    if remedy.get("error"):
        console.print(f"[yellow]no fix: {remedy['error']}[/yellow]", highlight=False)
        return
    checks = remedy.get("checks") or {}
    console.print(f"fix ({remedy['source']}, checks {'passed' if checks.get('ok') else 'FAILED'}): "
                  f"{verified_line(remedy.get('verified'))}", highlight=False)


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
    slo_p95: Annotated[float | None, typer.Option(
        help="SLO: p95 latency objective in ms, for what has no baseline (live, new routes).")] = None,
    slo_error_rate: Annotated[float | None, typer.Option(help="SLO: largest acceptable share of 5xx.")] = None,
    telemetry: Annotated[TelemetryChoice, typer.Option(
        help="Live: read the server side from kassi's proxy, or from the service's own logs in Splunk.")
    ] = TelemetryChoice.proxy,
    splunk_config: Annotated[Path | None, typer.Option(
        help="With --telemetry splunk: its TOML settings file (default $KASSI_HOME/splunk.toml).")
    ] = None,
    fix: FixFlag = False,
    fix_budget: FixBudget = 600.0,
    model: ModelFlag = None,
    model_endpoint: ModelEndpoint = None,
    traffic: Annotated[str | None, typer.Option(
        help="Replay the changed routes' requests recorded in this HAR or common/combined access-log file, or "
             "'splunk' (live, with --telemetry splunk): the service's recent access events there (secrets dropped).")
    ] = None,
    line_coverage: Annotated[bool, typer.Option(
        "--line-coverage", help="A/B, Python targets: one extra warm-up block at head records which changed "
                                "lines ran (kassi.toml: [load] line_coverage).")] = False,
    keep_runs: Annotated[int, typer.Option(help="Finished runs to keep in the kassi home (older ones go).")] = 200,
    keep_days: Annotated[float | None, typer.Option(help="Also remove finished runs older than this.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    report: ReportFormats = None,
    publish: PublishFlag = False,
    hec_url: HecUrl = None,
    ca_file: CaFile = None,
    index: IndexName = None,
    insecure: Insecure = False,
) -> None:
    """Load-test a change (A/B: base vs head) or a live service, and judge it.

    Exit codes: 0 HEALTHY or THROTTLED, 1 REGRESSION or DEGRADING, 2 bad input, 3 INCONCLUSIVE.
    """
    if (repo is None) == (url is None):
        raise BadInput("give either --repo (A/B run) or --url (live run)")
    try:
        load = LoadOverrides(low_vus=low_vus, high_vus=high_vus, low_duration_s=low_duration,
                             high_duration_s=high_duration, rounds=rounds,
                             line_coverage=True if line_coverage else None)
    except ValidationError as exc:  # a flag out of range or not finite: one line, exit 2
        raise request_error(exc, "load.") from None
    try:
        request = RunRequest(
            mode="ab" if repo is not None else "live",
            repo=str(repo.expanduser().resolve()) if repo else None,
            base=base,
            head=head,
            url=url,
            endpoints=tuple(endpoint or ()),
            openapi=openapi,
            allow_hosts=tuple(allow_host or ()),
            load=load,
            segments=segments,
            slo={k: v for k, v in (("p95_ms", slo_p95), ("error_rate", slo_error_rate)) if v is not None},
            label="cli",
            keep_runs=keep_runs,
            keep_days=keep_days,
            telemetry=telemetry.value,
            splunk_config=str(splunk_config.expanduser().resolve()) if splunk_config else None,
            fix=fix,
            fix_budget_s=fix_budget,
            traffic=traffic if traffic in (None, SPLUNK_TRAFFIC) else str(Path(traffic).expanduser().resolve()),
        )
    except ValidationError as exc:  # a flag out of range or not finite: one line, exit 2
        raise request_error(exc) from None
    hec = HecOptions(hec_url, ca_file, index, insecure) if publish else None
    models = remedy_models(model, model_endpoint)
    raise typer.Exit(execute(request, as_json, reports=report_formats(report), publish=hec, models=models).exit_code)


def remedy_models(model: str | None, endpoint: str | None) -> RemedyModels | None:
    """``--model``'s choice (the auditor still from the environment), or None: the environment decides."""
    if model is None:
        if endpoint is not None:
            raise BadInput("--model-endpoint needs --model BACKEND:MODEL")
        return None
    from kassi_app.remedy.backends import RemedyModels, configured, model_choice

    return RemedyModels(fixer=model_choice(model, endpoint), auditor=configured("KASSI_AUDITOR"))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
