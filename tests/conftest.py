"""Fixtures shared across the suite: a private kassi home, a fresh toy governed run, the real
`kassi` console script with a private home, and the Splunk tarball built once per session."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from gov_toy import new_governed_run
from kassi_cli import Kassi

from kassi_app.workflow.governor import Governor


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KASSI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KASSI_SEAL_KEY", raising=False)
    return tmp_path / "home"


@pytest.fixture
def governor(home: Path) -> Iterator[Governor]:
    gov = new_governed_run()
    yield gov
    gov.ledger.close()


@pytest.fixture
def kassi(tmp_path: Path) -> Kassi:
    return Kassi(tmp_path / "home")


@pytest.fixture(scope="session")
def package_build() -> subprocess.CompletedProcess[str]:
    """`./package.sh --inspect`, run once per session: it writes dist/kassi-<version>.tgz and AppInspect's
    reports. The packaging tests read its outcome; the installed-app tests (search command, modular
    input) extract the same tarball, so the ~minutes-long build and vendoring happen once, not three times."""
    root = Path(__file__).resolve().parents[1]
    return subprocess.run([str(root / "package.sh"), "--inspect"], capture_output=True, text=True, timeout=3500,
                          cwd=root)
