"""Fixtures shared across the suite: a private kassi home, a fresh toy governed run, and the real
`kassi` console script with a private home."""

from __future__ import annotations

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
