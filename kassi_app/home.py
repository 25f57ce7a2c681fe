"""Where kassi keeps its state: runs, ledgers, the embedded store and the seal key."""

from __future__ import annotations

import os
from pathlib import Path


def kassi_home() -> Path:
    """The kassi home folder (``KASSI_HOME``, default ``~/.kassi``), created on first use, 0700."""
    return private_dir(Path(os.environ.get("KASSI_HOME") or Path.home() / ".kassi").expanduser())


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner may enter (0700), created if missing.

    Run folders hold target logs, error bodies and the ledger; other local users must not read them.
    An existing folder is tightened too (the home may predate this rule).
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
