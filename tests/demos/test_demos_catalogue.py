"""Every demo writes a real git repo whose kassi.toml parses and whose OpenAPI has usable examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kassi_app.config import RunRequest, resolve_settings
from kassi_app.demos import CATALOGUE, cpucost, init_demo, sensitivity_repo
from kassi_app.endpoint import Endpoint
from kassi_app.errors import BadInput
from kassi_app.faces.cli import demos as demos_cli
from kassi_app.target import TargetSpec

KASSI = str(Path(sys.executable).parent / "kassi")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                          timeout=30).stdout


def endpoints_in(openapi: dict[str, object]) -> set[Endpoint]:
    paths = openapi["paths"]
    assert isinstance(paths, dict)
    return {Endpoint(method.upper(), path) for path, ops in paths.items() for method in ops}


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_demo_initialises_with_base_and_head(tmp_path: Path, name: str) -> None:
    demo = CATALOGUE[name]
    repo = init_demo(name, tmp_path / name)
    assert git(repo.path, "rev-parse", "base").strip() == repo.base
    assert git(repo.path, "rev-parse", "head", "HEAD").split() == [repo.head, repo.head]
    assert git(repo.path, "status", "--porcelain") == ""
    changed = git(repo.path, "diff", "--name-only", "base", "head").split()
    assert changed and (demo.expected == "HEALTHY" or "app.py" in changed)
    spec = TargetSpec.load(repo.path)
    assert spec.openapi_file == "openapi.json" and spec.target.health == "/health"
    assert resolve_settings(RunRequest(), spec.settings).load.high_vus == 16
    openapi = json.loads((repo.path / "openapi.json").read_text())
    assert set(demo.flagged) <= endpoints_in(openapi)
    for path_item in openapi["paths"].values():
        for op in path_item.values():
            for param in op.get("parameters", []):
                assert "example" in param
            if "requestBody" in op:
                assert op["requestBody"]["content"]["application/json"]["example"]
    assert (demo.root_cause is not None) == (demo.expected == "REGRESSION")


def test_catalogue_covers_the_fault_taxonomy() -> None:
    classes = [d.expected for d in CATALOGUE.values()]
    assert {"REGRESSION", "DEGRADING", "THROTTLED", "HEALTHY"} <= set(classes)
    assert classes.count("HEALTHY") >= 3
    assert {d.service.framework for d in CATALOGUE.values()} == {"fastapi", "flask"}


def test_sensitivity_repo_scales_the_work(tmp_path: Path) -> None:
    repo = sensitivity_repo(tmp_path / "s", 20, base_rounds=2000)
    diff = git(repo.path, "diff", "base", "head", "--", "app.py")
    assert "-TOKEN_ROUNDS = 2000" in diff and "+TOKEN_ROUNDS = 2400" in diff
    with pytest.raises(BadInput):
        sensitivity_repo(tmp_path / "t", -95)
    control = sensitivity_repo(tmp_path / "c", 0)  # the unshifted control changes no code, only prose
    assert git(control.path, "diff", "--name-only", "base", "head").split() == ["README.md"]


def test_cpucost_sizes_work_by_time() -> None:
    # the rounds chosen for 20 ms take about 20 ms of this thread's CPU (the fastest of three, as the
    # calibration itself measures); the band is wide because neighbours' load moves CPU time too
    rounds = cpucost.rounds_for_ms(20)
    taken_ms = []
    for _ in range(3):
        started = time.thread_time()
        cpucost.pbkdf2(rounds)
        taken_ms.append((time.thread_time() - started) * 1000)
    assert 8 < min(taken_ms) < 50, (rounds, taken_ms)
    with pytest.raises(ValueError):
        cpucost.rounds_for_ms(0)


def test_every_process_sizes_the_same_work(tmp_path: Path) -> None:
    """Base and head are two processes of one demo: they must do the same work per request, so the
    rate is measured once per machine and shared (two measurements differ by 10-20 %)."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    code = "from kassi_app.demos.cpucost import rounds_for_ms; print(rounds_for_ms(20))"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(4)]
    outputs = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(outputs) == 1 and int(outputs.pop()) > 0
    assert [f.name.startswith("kassi-cpucost-") for f in tmp_path.iterdir()] == [True]  # no scratch left


def test_lock_demo_carries_the_calibration_helper(tmp_path: Path) -> None:
    """The demo app imports the same code kassi runs, copied verbatim, not a per-template copy."""
    repo = init_demo("sqlite-write-lock", tmp_path / "lock")
    assert (repo.path / "cpucost.py").read_text() == Path(cpucost.__file__).read_text()
    assert "RECEIPT_ROUNDS = rounds_for_ms(RECEIPT_MS)" in (repo.path / "app.py").read_text()


def test_init_refuses_unknown_names_and_non_empty_dirs(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="unknown demo"):
        init_demo("nope", tmp_path / "x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(BadInput, match="not empty"):
        init_demo("n-plus-one", tmp_path / "full")


def test_cli_lists_through_the_console_script() -> None:
    listed = subprocess.run([KASSI, "demo", "list"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": "250"})
    assert listed.returncode == 0, listed.stderr
    assert all(name in listed.stdout for name in CATALOGUE)
    assert "database is locked" in listed.stdout


def test_cli_init_writes_the_repo_and_refuses_a_full_dir(tmp_path: Path) -> None:
    app = typer.Typer()
    demos_cli.register(app)
    made = CliRunner().invoke(app, ["demo", "init", "global-lock", str(tmp_path / "g")])
    assert made.exit_code == 0, made.output
    assert "base " in made.output and (tmp_path / "g" / "kassi.toml").is_file()
    again = CliRunner().invoke(app, ["demo", "init", "global-lock", str(tmp_path / "g")])
    assert isinstance(again.exception, BadInput) and "not empty" in str(again.exception)
