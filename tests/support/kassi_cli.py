"""The real `kassi` console script with a private kassi home, for end-to-end runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

KASSI = str(Path(sys.executable).parent / "kassi")
SHORT_LOAD = ("--low-duration", "1.5", "--high-duration", "2.5", "--rounds", "1")


class Kassi:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {**os.environ, "KASSI_HOME": str(home), "COLUMNS": "160"}

    def argv(self, *args: str) -> list[str]:
        return [KASSI, *args]

    def __call__(self, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([KASSI, *args], capture_output=True, text=True, timeout=timeout,
                              env={**self.env, **env}, stdin=subprocess.DEVNULL)

    def run_json(self, *args: str, **env: str) -> tuple[int, dict[str, Any], str]:
        out = self("run", *args, "--json", **env)
        return out.returncode, json.loads(out.stdout) if out.stdout.strip() else {}, out.stderr
