"""`kassi load script|run` and `kassi bench load`: kassi's k6 load by hand, and what it costs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from kassi_app.endpoint import Endpoint
from kassi_app.errors import BadInput
from kassi_app.hosts import check_target_url, origin_url
from kassi_app.load import LoadPlan, LoadProfile, render_script, run_segmented, validate_script
from kassi_app.openapi import load_openapi

load_app = typer.Typer(help="Generate kassi's k6 load script and run it.", no_args_is_help=True)


def _endpoints(texts: list[str]) -> list[Endpoint]:
    try:
        return [Endpoint.parse(text) for text in texts]
    except ValueError as exc:
        raise BadInput(str(exc)) from exc


@load_app.command("script")
def script(
    endpoints: Annotated[list[str], typer.Argument(help='Changed endpoints, e.g. "GET /api/owners/{id}".')],
    background: Annotated[list[str] | None, typer.Option(
        "--background", "-b", help="Existing endpoints to mix in.")] = None,
    openapi: Annotated[Path | None, typer.Option(help="OpenAPI spec (JSON): bodies, parameters.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Script to write.")] = Path("kassi-load.js"),
    low_vus: int = typer.Option(2, help="VUs in the low-concurrency stage."),
    high_vus: int = typer.Option(16, help="VUs in the high-concurrency stage."),
    low_s: float = typer.Option(3.0, help="Seconds of the low stage."),
    high_s: float = typer.Option(5.0, help="Seconds of the high stage."),
    changed_share: float = typer.Option(0.6, help="Fraction of requests to the changed endpoints."),
    think_s: float = typer.Option(0.0, help="Pause after each request (0: closed model)."),
) -> None:
    """Write a self-contained k6 script for the endpoints and check it with `k6 inspect`."""
    spec = load_openapi(str(openapi)) if openapi else None
    try:
        profile = LoadProfile(low_vus, high_vus, low_s, high_s, changed_share, think_s)
        plan = LoadPlan(_endpoints(endpoints), _endpoints(background or []), profile, spec)
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    out.write_text(render_script(plan), encoding="utf-8")
    requirements = validate_script(out)
    typer.echo(f"wrote {out}: scenarios {', '.join(requirements.scenarios)}, "
               f"max {requirements.max_vus} VUs, {requirements.total_duration_s:g}s planned")


@load_app.command("run")
def run(
    script_path: Annotated[Path, typer.Argument(help="A k6 script (from `kassi load script`).")],
    base_url: Annotated[str, typer.Option(help="Where to send the load, e.g. http://127.0.0.1:8080.")],
    segments: int = typer.Option(1, min=1, help="Split the load over this many k6 processes."),
    block: str = typer.Option("1", help="Block label sent as X-Kassi-Block."),
    workdir: Annotated[Path | None, typer.Option(help="Keep k6's summary and points here.")] = None,
    allow_host: Annotated[list[str] | None, typer.Option(help="Allow load to this non-loopback host.")] = None,
) -> None:
    """Validate and run a script; print requests, duration and latency quantiles."""
    host, port = check_target_url(base_url, allow_host or ())
    if not script_path.is_file():
        raise BadInput(f"no such script: {script_path}")
    requirements = validate_script(script_path)
    work = workdir or Path(tempfile.mkdtemp(prefix="kassi-load-"))
    result = run_segmented(script_path, segments, env={"BASE_URL": origin_url(host, port), "KASSI_BLOCK": block},
                           workdir=work, timeout_s=requirements.run_timeout_s)
    trend = result.summary["metrics"]["http_req_duration"]
    failed = result.summary["metrics"].get("http_req_failed", {})
    typer.echo(f"k6 exit {result.exit_code}{' (thresholds crossed)' if result.thresholds_crossed else ''}; "
               f"{result.requests} requests in {result.duration_s:.2f}s over {segments} process(es)")
    typer.echo(f"http_req_duration p50={trend['p(50)']:.2f} ms p95={trend['p(95)']:.2f} ms "
               f"p99={trend['p(99)']:.2f} ms; failed={failed.get('passes', 0)}")
    typer.echo(f"results in {work}")



def register(app: typer.Typer) -> None:
    app.add_typer(load_app, name="load")
