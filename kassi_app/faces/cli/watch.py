"""`kassi watch REPO`: the watcher of the Splunk app's kassi_watch input without Splunk — for CI hosts
and for trying a watch before installing the app. One line per commit outcome (or every event as
a JSON line with --json); its checkpoint lives under the kassi home."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Annotated, Any, get_args

import typer
from pydantic import SecretStr

from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.home import kassi_home
from kassi_app.judge import exit_code_for
from kassi_app.judge.model import VerdictClass
from kassi_app.watch import CheckpointFile, Emit, RepoSource, WatchConfig, Watcher, WatchMode, WatchOutcome
from kassi_app.watch.poll import duration_load

TOKEN_ENV = "KASSI_GIT_TOKEN"
"""The git token of a private https repo, from the environment (never a flag: flags show in ``ps``)."""


def _print_json(sourcetype: str, data: Mapping[str, Any]) -> None:
    typer.echo(json.dumps({"sourcetype": sourcetype, "event": data}, default=str, separators=(",", ":")))


def _print_outcome(sourcetype: str, data: Mapping[str, Any]) -> None:
    if sourcetype != "kassi:watch":
        return
    commit = str(data.get("commit") or "-")[:12]
    verdict = f" {data['verdict']}" if data.get("verdict") else ""
    run = f" run {data['run_id']}" if data.get("run_id") else ""
    typer.echo(f"{data['action']:<9} {commit:<12}{verdict}{run} — {data.get('reason') or ''}")


def exit_code(outcomes: list[WatchOutcome]) -> int:
    """The worst outcome as `kassi run` exit codes: 1 for a regression, 3 for a failed commit."""
    classes: tuple[str, ...] = get_args(VerdictClass)
    codes = [exit_code_for(o.verdict) if o.verdict in classes else InfrastructureError.exit_code  # type: ignore[arg-type]
             for o in outcomes if o.action in ("ran", "failed")]
    return max(codes, default=0)


def watch(
    repo: Annotated[str, typer.Argument(help="A local clone's path or a git URL (https, ssh, git).")],
    branch: Annotated[str, typer.Option(help="The branch to watch.")] = "main",
    once: Annotated[bool, typer.Option("--once", help="Poll once and exit (exit code: the worst outcome).")] = False,
    interval: Annotated[float, typer.Option(min=1, help="Seconds between polls.")] = 60.0,
    mode: Annotated[str, typer.Option(help="every: one run per commit; tip: one run per push.")] = "every",
    duration: Annotated[float | None, typer.Option(help="Seconds of load per block (default: kassi.toml).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every event (watch, run, phase) as a JSON line.")]
    = False,
) -> None:
    """Run kassi on every new commit of BRANCH: the first poll records the tip as the baseline, each
    later commit gets one A/B run against its parent, oldest first (docs/watching.md).

    A private https repo's token is read from the KASSI_GIT_TOKEN environment variable.
    """
    from kassi_app.target import cleanup

    if mode not in ("every", "tip"):
        raise BadInput(f"--mode must be every or tip, got {mode!r}")
    cleanup.install()  # Ctrl-C / SIGTERM stop a run's services: hooked here, on the main thread
    home = kassi_home()
    token = os.environ.get(TOKEN_ENV)
    location = repo if RepoSource(repo, home).is_url else str(os.path.abspath(os.path.expanduser(repo)))
    watch_mode: WatchMode = "tip" if mode == "tip" else "every"
    config = WatchConfig(name=f"cli-{branch}", repo=location, branch=branch, mode=watch_mode,
                         load=duration_load(duration), token=SecretStr(token) if token else None)
    source = RepoSource(location, home)
    emit: Emit = _print_json if as_json else _print_outcome
    watcher = Watcher(config, CheckpointFile(home / "watch" / "checkpoints", f"{source.key}-{branch}"), home, emit)
    watcher.check()
    while True:
        outcomes = watcher.poll()
        if outcomes is None:
            typer.echo(f"busy: another watcher is working on {source.display}; next poll in {interval:g}s", err=True)
        if once:
            raise typer.Exit(exit_code(outcomes or []))
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)

