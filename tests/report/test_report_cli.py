"""`kassi report RUN`: finds the run the way `kassi runs show` does (plus a unique id prefix) and
writes the chosen format to stdout or a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import xmlschema
from report_home import RUN_ID, RunHome
from typer.testing import CliRunner

from kassi_app.errors import BadInput
from kassi_app.faces.cli import app

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("junit-10.xsd"))


def test_prefix_and_output_file(run_home: RunHome, tmp_path: Path) -> None:
    out = tmp_path / "ci" / "kassi.xml"
    result = CliRunner().invoke(app, ["report", RUN_ID[:12], "--format", "junit", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert SCHEMA.is_valid(out.read_text(encoding="utf-8"))
    assert RUN_ID in out.read_text(encoding="utf-8")


def test_run_folder_to_stdout_as_json_is_the_record(run_home: RunHome) -> None:
    result = CliRunner().invoke(app, ["report", str(run_home.folder), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads((run_home.folder / "run.json").read_text(encoding="utf-8"))


def test_a_run_without_run_json_is_bad_input(run_home: RunHome) -> None:
    (run_home.folder / "run.json").unlink()
    result = CliRunner().invoke(app, ["report", RUN_ID, "-f", "markdown"])
    assert isinstance(result.exception, BadInput) and "did not conclude" in str(result.exception)


def test_ambiguous_prefix_is_a_usage_error_from_the_real_cli(run_home: RunHome) -> None:
    twin = run_home.home / "runs" / (RUN_ID[:-1] + "f")
    twin.mkdir()
    (twin / "ledger.jsonl").write_bytes((run_home.folder / "ledger.jsonl").read_bytes())
    kassi = Path(sys.executable).with_name("kassi")
    done = subprocess.run(
        [str(kassi), "report", RUN_ID[:8], "-f", "markdown"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "KASSI_HOME": str(run_home.home)},
    )
    assert done.returncode == 2
    assert "matches 2 runs" in done.stderr and done.stdout == ""
