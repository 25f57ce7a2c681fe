"""Where kassi keeps its state: runs, ledgers, the embedded store and the seal key."""

from __future__ import annotations

import os
from pathlib import Path


def kassi_home() -> Path:
    """The kassi home folder (``KASSI_HOME``, default ``~/.kassi``), created on first use."""
    home = Path(os.environ.get("KASSI_HOME") or Path.home() / ".kassi").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home
