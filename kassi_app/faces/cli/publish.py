"""`kassi publish RUN_ID --hec-url URL`: send a finished run to Splunk's HTTP Event Collector; and the
HEC options that `kassi run --publish` and `kassi demo run --publish` share.

The token is read from ``KASSI_HEC_TOKEN`` only (never a flag: flags show in process listings and
shell history). TLS is verified; ``--ca-file`` trusts a private CA; ``--insecure`` turns
verification off and says so each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from kassi_app.errors import BadInput, KassiError
from kassi_app.faces.cli.report import find_run
from kassi_app.home import kassi_home

if TYPE_CHECKING:
    from kassi_app.publish.hec import HecTransport
    from kassi_app.publish.publisher import PublishReport
    from kassi_app.publish.sink import PublishingSink

HecUrl = Annotated[str | None, typer.Option(
    "--hec-url", envvar="KASSI_HEC_URL",
    help="Splunk HTTP Event Collector, e.g. https://splunk.example.com:8088 (token: env KASSI_HEC_TOKEN).")]
CaFile = Annotated[Path | None, typer.Option(
    "--ca-file", help="PEM file of the CA that signed the HEC's certificate (default: the system's CAs).")]
IndexName = Annotated[str | None, typer.Option(
    "--index", help="Splunk index for the events (default: the HEC token's default index).")]
Insecure = Annotated[bool, typer.Option(
    "--insecure", help="Do not verify the HEC's TLS certificate (prints a warning; prefer --ca-file).")]
INSECURE_WARNING = ("warning: --insecure: the HEC's TLS certificate is NOT verified, so anyone on the path "
                    "can read the token and the events; prefer --ca-file")


@dataclass(frozen=True)
class HecOptions:
    """A command's HEC options; ``open`` checks them all before anything runs or is sent."""

    url: str | None
    ca_file: Path | None
    index: str | None
    insecure: bool

    def open(self, console: Console) -> HecTransport:
        from kassi_app.publish.hec import HecTransport, tls_verification, token_from_env

        if not self.url:
            raise BadInput("publishing needs --hec-url (or the environment variable KASSI_HEC_URL)")
        verify = tls_verification(self.ca_file, self.insecure)
        transport = HecTransport(self.url, token_from_env(), verify=verify, index=self.index)
        if self.insecure:
            console.print(f"[yellow]{INSECURE_WARNING}[/yellow]", highlight=False)
        return transport


def describe(report: PublishReport) -> str:
    kinds = ", ".join(f"{name.removeprefix('kassi:')} {count}" for name, count in report.by_sourcetype.items())
    return (f"run {report.run_id}: published {report.events} events ({kinds}) to {report.destination} "
            f"in {report.batches} batches, {report.seconds:.2f} s")


def show_outcome(sink: PublishingSink, run_id: str, console: Console) -> None:
    """After `kassi run --publish`: what was sent, or why not and how to send it later."""
    if sink.report is not None:
        console.print(describe(sink.report), highlight=False)
    elif sink.failure is not None:
        console.print(f"[yellow]warning: run {run_id} not published: {sink.failure}. It is kept, marked "
                      f"unpublished: send it with `kassi publish {run_id} --hec-url ...`[/yellow]", highlight=False)


def publish(
    runs: Annotated[list[str] | None, typer.Argument(
        help="Run ids (or unique prefixes), run folders or ledger files.", show_default=False)] = None,
    hec_url: HecUrl = None,
    ca_file: CaFile = None,
    index: IndexName = None,
    insecure: Insecure = False,
    unpublished: Annotated[bool, typer.Option(
        "--unpublished", help="Also send every run still marked unpublished.")] = False,
) -> None:
    """Send finished runs to Splunk (HEC): the run, its walk, its requests (server and client side)
    and the target's log, each event with a stable key, so sending a run twice counts it once.

    Exit codes: 0 all sent; 2 bad input; 3 a run could not be sent (it stays marked unpublished).
    """
    from kassi_app.publish.publisher import publish_run, unpublished_runs

    folders = [find_run(r).folder for r in runs or ()]
    if unpublished:
        folders += [f for f in unpublished_runs(kassi_home()) if f not in folders]
    if not folders:
        raise BadInput("nothing to publish: give a RUN, or --unpublished" if not unpublished
                       else "nothing to publish: no run is marked unpublished")
    console = Console(stderr=True)
    failed = 0
    with HecOptions(hec_url, ca_file, index, insecure).open(console) as transport:
        for folder in folders:
            try:
                typer.echo(describe(publish_run(folder, transport)))
            except KassiError as exc:
                failed += 1
                console.print(f"[red]run {folder.name} not published (kept, marked unpublished): {exc}[/red]",
                              highlight=False)
    raise typer.Exit(3 if failed else 0)


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
