"""Fixtures for end-to-end runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from kassi_cli import Kassi


@pytest.fixture
def kassi(tmp_path: Path) -> Kassi:
    return Kassi(tmp_path / "home")
