"""Start a target (its extra processes first, then the service) and know when it is ready or dead."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from kassi_app.errors import InfrastructureError
from kassi_app.target import cleanup
from kassi_app.target.environment import target_env
from kassi_app.target.process import ManagedProcess, OnLine, free_port
from kassi_app.target.spec import ProcessSpec, TargetSpec, substitute

POLL_INTERVAL_S = 0.1
HEALTH_TIMEOUT_S = 1.0
MAIN = "target"


@dataclass(frozen=True)
class RunningTarget:
    """The started service. ``processes`` maps names to processes, the main one under ``"target"``."""

    spec: TargetSpec
    workdir: Path
    port: int
    processes: Mapping[str, ManagedProcess]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return all(p.alive() for p in self.processes.values())

    def exit_status(self) -> dict[str, int | None]:
        """Per process: None while running, else its exit status."""
        return {name: p.exit_status for name, p in self.processes.items()}

    def check_alive(self) -> None:
        """Raise InfrastructureError naming the first process that died, with its last output."""
        for proc in self.processes.values():
            if not proc.alive():
                raise InfrastructureError(f"target died mid-run: {proc.describe_exit()}")


@contextmanager
def start_target(spec: TargetSpec, workdir: Path, on_line: OnLine,
                 main_env: Callable[[Mapping[str, str]], Mapping[str, str]] | None = None) -> Iterator[RunningTarget]:
    """Start every process of ``spec`` in ``workdir``, wait until each is healthy, stop all on exit.
    ``main_env`` maps the main process's environment to what kassi adds to it (line coverage)."""
    ports = {proc.name: free_port() for proc in (*spec.processes, spec.target)}
    shared = {"python": sys.executable, "workdir": str(workdir),
              **{f"{name}_port": str(port) for name, port in ports.items() if name != MAIN}}
    with ExitStack() as stack:
        started: dict[str, ManagedProcess] = {}
        for proc_spec in (*spec.processes, spec.target):
            values = {**shared, "port": str(ports[proc_spec.name])}
            proc = _launch(proc_spec, workdir, values, ports[proc_spec.name], on_line,
                           main_env if proc_spec is spec.target else None)
            token = cleanup.register(proc.stop)
            stack.callback(cleanup.unregister, token)
            stack.callback(proc.stop)
            started[proc_spec.name] = proc
            wait_healthy(proc, proc_spec)
        yield RunningTarget(spec, workdir, ports[MAIN], started)


def _launch(proc_spec: ProcessSpec, workdir: Path, values: Mapping[str, str], port: int,
            on_line: OnLine, extra: Callable[[Mapping[str, str]], Mapping[str, str]] | None = None) -> ManagedProcess:
    env = target_env(proc_spec.pass_env, {key: substitute(value, values) for key, value in proc_spec.env.items()})
    if extra is not None:
        env.update(extra(env))
    argv = [substitute(arg, values) for arg in proc_spec.start]
    return ManagedProcess(proc_spec.name, argv, workdir, env, port, on_line)


def wait_healthy(proc: ManagedProcess, proc_spec: ProcessSpec) -> None:
    """Poll the health path until it answers 2xx; raise if the process exits or time runs out."""
    url = f"http://127.0.0.1:{proc.port}{proc_spec.health}"
    deadline = time.monotonic() + proc_spec.ready_timeout_s
    last = "no answer yet"
    with httpx2.Client(timeout=HEALTH_TIMEOUT_S, trust_env=False) as client:
        while True:
            if not proc.alive():
                raise InfrastructureError(f"{proc.name} failed to start: {proc.describe_exit()}")
            try:
                status = client.get(url).status_code
                if 200 <= status < 300:
                    return
                last = f"HTTP {status}"
            except httpx2.HTTPError as exc:
                last = type(exc).__name__
            if time.monotonic() >= deadline:
                raise InfrastructureError(
                    f"{proc.name} never became healthy: {url} gave {last} for "
                    f"{proc_spec.ready_timeout_s:g}s; {proc.describe_exit()}")
            time.sleep(POLL_INTERVAL_S)
