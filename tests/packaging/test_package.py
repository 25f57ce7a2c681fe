"""`./package.sh --inspect` end to end: the tarball Splunk installs, what AppInspect says about it, and
that its vendored libraries import on a bare Python 3.13 (slow: CI runs it; skip with -m "not packaging")."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from kassi_app import __version__

ROOT = Path(__file__).resolve().parents[2]
TARBALL = ROOT / "dist" / f"kassi-{__version__}.tgz"
# Two AppInspect passes (docs/appinspect.md): the whole tarball without the Python-AST checks, the code
# without lib/ with every check.
REPORTS = [ROOT / "dist" / f"kassi-{__version__}.appinspect{s}.json" for s in ("", "-code")]
BLOCKING = ("failure", "error", "future_failure")

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def built(package_build: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    return package_build


@pytest.fixture(scope="module")
def members(built: subprocess.CompletedProcess[str]) -> list[tarfile.TarInfo]:
    assert TARBALL.is_file(), built.stderr
    with tarfile.open(TARBALL) as tar:
        return tar.getmembers()


def test_package_and_appinspect_succeed(built: subprocess.CompletedProcess[str]) -> None:
    assert built.returncode == 0, built.stdout + built.stderr
    assert "appinspect [package]" in built.stdout and "appinspect [code]" in built.stdout


@pytest.mark.parametrize("report", REPORTS, ids=lambda p: p.name)
def test_appinspect_reports_no_failures_errors_or_future_failures(
    built: subprocess.CompletedProcess[str], report: Path
) -> None:
    summary = json.loads(report.read_text())["summary"]
    assert {k: summary[k] for k in BLOCKING} == dict.fromkeys(BLOCKING, 0), built.stderr
    assert summary["success"] > 50, "AppInspect ran its checks"


def test_tarball_layout(members: list[tarfile.TarInfo]) -> None:
    names = {m.name for m in members}
    assert all(n == "kassi" or n.startswith("kassi/") for n in names)
    for required in (
        "default/app.conf",
        "metadata/default.meta",
        "static/appIcon.png",
        "bin/kassi_bootstrap.py",
        "kassi_app/__init__.py",
    ):
        assert f"kassi/{required}" in names, required
    for vendored in ("burr", "scipy", "splunklib", "pydantic", "mcp"):
        assert f"kassi/lib/{vendored}/__init__.py" in names, vendored
    for forbidden in ("tests", "docs", "local", ".venv", "dist", "package.sh", "pyproject.toml"):
        assert f"kassi/{forbidden}" not in names, forbidden
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]
    assert not [n for n in names if any(part.startswith(".") for part in n.split("/"))]
    assert not [n for n in names if n.startswith("kassi/lib/bin/") or n.endswith("/k6") or "/k6/" in n]  # no k6 binary


def test_no_exec_bits_outside_bin(members: list[tarfile.TarInfo]) -> None:
    executable = [m.name for m in members if m.isfile() and m.mode & 0o111]
    assert not [n for n in executable if not n.startswith("kassi/bin/")]


@pytest.mark.skipif(sys.version_info[:2] != (3, 13), reason="Splunk runs app code on Python 3.13")
def test_vendored_libraries_import_through_the_bootstrap_on_bare_python(
    members: list[tarfile.TarInfo], tmp_path: Path
) -> None:
    with tarfile.open(TARBALL) as tar:
        tar.extractall(tmp_path, filter="data")
    app = tmp_path / "kassi"
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1] + '/bin'); import kassi_bootstrap;"
        "import kassi_app, splunklib, burr, mcp, scipy.stats, numpy, pydantic;"
        "mods = (kassi_app, splunklib, burr, mcp, scipy, numpy, pydantic);"
        "print('\\n'.join(m.__file__ for m in mods))"
    )
    # -I -S: no site-packages, no environment: only what the app ships (Splunk's Python has no kassi deps).
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, str(app)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert all(line.startswith(str(app)) for line in out.stdout.splitlines())
