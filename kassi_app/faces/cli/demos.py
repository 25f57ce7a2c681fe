"""`kassi demo list` and `kassi demo init NAME DIR`: the demo catalogue as ready-to-run git repos."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kassi_app.config import RunRequest
from kassi_app.demos import CATALOGUE, demo_by_name, init_demo
from kassi_app.faces.cli.publish import CaFile, HecOptions, HecUrl, IndexName, Insecure
from kassi_app.faces.cli.run import (
    FixBudget,
    FixFlag,
    ModelEndpoint,
    ModelFlag,
    PublishFlag,
    ReportFormats,
    execute,
    remedy_models,
    report_formats,
)

demo_app = typer.Typer(help="Demo targets with one known fault (or none) each.", no_args_is_help=True)


@demo_app.command("list")
def list_demos() -> None:
    """List the demos with the verdict kassi should reach and the routes it should flag."""
    table = Table(title="kassi demos")
    for column in ("name", "framework", "expected", "flagged routes", "root cause", "change"):
        table.add_column(column, overflow="fold")
    for demo in CATALOGUE.values():
        table.add_row(demo.name, demo.service.framework, demo.expected,
                      "\n".join(str(e) for e in demo.flagged) or "-", demo.root_cause or "-", demo.summary)
    Console().print(table)


@demo_app.command("init")
def init(
    name: Annotated[str, typer.Argument(help="Demo name (see `kassi demo list`).")],
    directory: Annotated[Path, typer.Argument(help="Where to write the repo (absent or empty).")],
) -> None:
    """Write demo NAME as a git repo: base commit (tag `base`), the change on top (tag `head`)."""
    repo = init_demo(name, directory)
    typer.echo(f"{name}: {repo.path}\n  base {repo.base}\n  head {repo.head}")


@demo_app.command("run")
def run_demo(
    name: Annotated[str, typer.Argument(help="Demo name (see `kassi demo list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run record as one JSON object.")] = False,
    keep: Annotated[bool, typer.Option(help="Keep the demo repo (its path is printed).")] = False,
    check: Annotated[bool, typer.Option(
        "--check", help="Exit 0 when kassi reached the demo's expected verdict, route and root cause, else 1.",
    )] = False,
    report: ReportFormats = None,
    publish: PublishFlag = False,
    hec_url: HecUrl = None,
    ca_file: CaFile = None,
    index: IndexName = None,
    insecure: Insecure = False,
    fix: FixFlag = False,
    fix_budget: FixBudget = 600.0,
    model: ModelFlag = None,
    model_endpoint: ModelEndpoint = None,
) -> None:
    """Write demo NAME into a temporary folder and run kassi on its change (A/B, default load).

    `kassi demo NAME` is the same. Exit codes as `kassi run`, or with --check: 0 when the verdict
    is the one the demo expects.
    """
    from kassi_app.demos.score import score

    demo = demo_by_name(name)
    reports = report_formats(report)
    models = remedy_models(model, model_endpoint)
    console = Console(stderr=as_json)
    folder = Path(tempfile.mkdtemp(prefix=f"kassi-demo-{demo.name}-"))
    try:
        repo = init_demo(demo.name, folder / "repo")
        expected = demo.expected + (f" on {', '.join(str(e) for e in demo.flagged)}" if demo.flagged else "")
        console.print(f"demo {demo.name}: {demo.summary} (expected: {expected})", highlight=False)
        outcome = execute(RunRequest(mode="ab", repo=str(repo.path), base=repo.base, head=repo.head, label="demo",
                                     fix=fix, fix_budget_s=fix_budget),
                          as_json, reports=reports,
                          publish=HecOptions(hec_url, ca_file, index, insecure) if publish else None,
                          models=models)
    finally:
        if keep:
            Console(stderr=True).print(f"demo repo kept at {folder / 'repo'}", highlight=False)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if not check:
        raise typer.Exit(outcome.exit_code)
    result = score(demo, 0, outcome.record, 0.0)
    verdict = "as expected" if result.correct else f"NOT as expected ({expected})"
    console.print(f"demo {demo.name}: kassi said {result.got}: {verdict}", highlight=False)
    raise typer.Exit(0 if result.correct else 1)


def _shortcut(name: str) -> None:
    """`kassi demo NAME` runs the demo: one hidden command per catalogue entry."""

    def command(
        as_json: Annotated[bool, typer.Option("--json", help="Print the run record as JSON.")] = False,
    ) -> None:
        run_demo(name, as_json)

    demo_app.command(name, hidden=True, help=f"Run the {name} demo.")(command)


for _name in CATALOGUE:
    _shortcut(_name)


def register(app: typer.Typer) -> None:
    app.add_typer(demo_app, name="demo")
