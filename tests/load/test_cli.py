"""`kassi load script` and `kassi load run` through the real CLI app, against the loopback service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from loadsvc import SPEC, Service
from typer.testing import CliRunner

from kassi_app.errors import BadInput
from kassi_app.faces.cli import app


def test_script_then_run_from_the_command_line(tmp_path: Path, service: Service) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(SPEC))
    script = tmp_path / "load.js"
    runner = CliRunner()
    made = runner.invoke(app, ["load", "script", "GET /api/owners/{id}", "-b", "GET /api/vets",
                               "--openapi", str(spec), "-o", str(script), "--low-vus", "1", "--high-vus", "1",
                               "--low-s", "1", "--high-s", "1"])
    assert made.exit_code == 0, made.output
    assert "scenarios high, low, max 2 VUs" in made.output
    ran = runner.invoke(app, ["load", "run", str(script), "--base-url", service.base_url,
                              "--workdir", str(tmp_path / "out")])
    assert ran.exit_code == 0, ran.output
    assert "k6 exit 0;" in ran.output and "p99=" in ran.output
    assert any(s.headers["x-kassi-route"] == "/api/owners/{id}" for s in service.recorder.snapshot())


def test_run_refuses_a_non_loopback_target(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["load", "run", str(tmp_path / "x.js"), "--base-url", "http://10.1.2.3"])
    assert isinstance(result.exception, BadInput)
    assert "loopback only" in str(result.exception)


@pytest.mark.parametrize("args", [["GET"], ["/api/x"], ["GET api/x"], ["GET /x", "--low-s", "0.5"]])
def test_script_refuses_bad_input(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, ["load", "script", *args, "-o", str(tmp_path / "x.js")])
    assert isinstance(result.exception, BadInput)
