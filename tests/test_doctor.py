"""`kassi --version` and `kassi doctor` through the real console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kassi_app import __version__

KASSI = str(Path(sys.executable).parent / "kassi")


def run_kassi(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KASSI_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([KASSI, *args], capture_output=True, text=True, timeout=60, env=env)


def test_version(tmp_path: Path) -> None:
    out = run_kassi("--version", home=tmp_path)
    assert out.returncode == 0
    assert out.stdout.strip() == f"kassi {__version__}"


def test_doctor_passes_and_names_k6_version(tmp_path: Path) -> None:
    out = run_kassi("doctor", home=tmp_path / "home")
    assert out.returncode == 0, out.stderr
    assert "k6 v1.1.0" in out.stdout
    assert (tmp_path / "home").is_dir()


def test_doctor_fails_clearly_on_unwritable_home(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = run_kassi("doctor", home=blocker / "home")
    assert out.returncode == 1
    assert "failed checks: kassi home" in out.stderr
    assert "Traceback" not in out.stderr
