"""Environment checks: everything a run needs, each with a pass/fail and a detail."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kassi_app.home import kassi_home
from kassi_app.load.k6bin import K6_MISSING, k6_binary

MIN_PYTHON = (3, 11)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _run_version(argv: list[str]) -> str:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=True)
    return out.stdout.strip().splitlines()[0]


def check_python() -> Check:
    version = ".".join(str(v) for v in sys.version_info[:3])
    return Check("python", sys.version_info[:2] >= MIN_PYTHON, f"{version} at {sys.executable}")


def _check_tool(name: str, binary: Path | None, missing: str) -> Check:
    """A tool is usable when its binary exists and answers ``--version``/``version``."""
    if binary is None:
        return Check(name, False, missing)
    argv = [str(binary), "version" if name == "k6" else "--version"]
    try:
        return Check(name, True, f"{_run_version(argv)} at {binary}")
    except (OSError, subprocess.SubprocessError) as exc:
        return Check(name, False, f"{binary} does not run: {exc}")


def check_k6() -> Check:
    return _check_tool("k6", k6_binary(), K6_MISSING)


def check_git() -> Check:
    git = shutil.which("git")
    return _check_tool("git", Path(git) if git else None, "git not found on PATH")


def check_home() -> Check:
    try:
        home = kassi_home()
        with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-") as probe:
            probe.write(b"ok")
        return Check("kassi home", True, f"{home} is writable")
    except OSError as exc:
        return Check("kassi home", False, f"not writable: {exc} (set KASSI_HOME to a writable folder)")


def check_sqlite() -> Check:
    try:
        with sqlite3.connect(":memory:") as conn:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        return Check("sqlite", True, f"SQLite {sqlite3.sqlite_version} (journal {mode})")
    except sqlite3.Error as exc:
        return Check("sqlite", False, f"SQLite unusable: {exc}")


def run_checks() -> list[Check]:
    return [check_python(), check_k6(), check_git(), check_home(), check_sqlite()]
