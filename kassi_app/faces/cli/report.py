"""`kassi report RUN`: one report of a concluded run, rendered from its run.json (nothing recomputed)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kassi_app.errors import BadInput
from kassi_app.ledger.chain import LEDGER_FILE
from kassi_app.report import render
from kassi_app.workflow.runs import RunRef, read_run_json, require_intact, resolve_run, runs_root


class ReportFormat(StrEnum):
    html = "html"
    junit = "junit"
    markdown = "markdown"
    json = "json"


def find_run(arg: str) -> RunRef:
    """RUN as ``kassi runs show`` takes it (a run id, run folder or ledger file), or a unique prefix
    of a run id under the kassi home."""
    try:
        return resolve_run(arg)
    except BadInput:
        root = runs_root()
        matches = sorted(p for p in root.glob(f"{arg}*") if (p / LEDGER_FILE).exists()) if root.is_dir() else []
        if len(matches) == 1:
            return resolve_run(str(matches[0]))
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches[:5])
            raise BadInput(f"{arg!r} matches {len(matches)} runs ({names}{', …' if len(matches) > 5 else ''}): "
                           "give more of the run id") from None
        raise


def report(
    run: Annotated[str, typer.Argument(help="A run id (or a unique prefix of one), a run folder or a ledger file.")],
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="html, junit, markdown or json.")] = (
        ReportFormat.html
    ),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Render a run's report: a self-contained HTML page, JUnit XML for CI, or a pull-request comment."""
    ref = find_run(run)
    require_intact(ref)  # a sealed run that does not verify is not rendered (an edited verdict)
    record = read_run_json(ref.folder)
    if not record:
        raise BadInput(f"run {ref.run_id} has no readable run.json in {ref.folder}: it did not conclude")
    text = render(record, fmt.value, folder=ref.folder)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"{fmt.value} report of run {ref.run_id}: {output}", err=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
