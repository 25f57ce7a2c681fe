"""Fixtures for the governance tests: a private kassi home and a fresh toy run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gov_toy import new_governed_run

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
