"""Shared by the publishing tests: a kassi home with one finished run built from the engine's own
pieces (a sealed ledger, the SQLite store, k6-shaped points), the HEC token the tests use, and the
real `kassi` console script run with or without that token in its environment."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kassi_cli import KASSI

from kassi_app.events import AccessEvent, LogEvent, ParsedException, StackFrame
from kassi_app.ledger.chain import Ledger
from kassi_app.ledger.seal import seal_key
from kassi_app.telemetry.store import SQLiteStore

TOKEN = "7c0ffee0-hec-token-d0-not-leak-2f9a"
RUN_ID = "20261129T050000Z-abc123"
REQUESTS = 6


@dataclass(frozen=True)
class FinishedRun:
    home: Path
    folder: Path
    run_id: str


def kassi(*args: str, home: Path, token: str | None = TOKEN, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real `kassi` with a private home and ``token`` (or none) as KASSI_HEC_TOKEN."""
    env = {k: v for k, v in os.environ.items() if k not in ("KASSI_HEC_TOKEN", "KASSI_HEC_URL")}
    env |= {"KASSI_HOME": str(home), "COLUMNS": "200", **({"KASSI_HEC_TOKEN": token} if token else {})}
    return subprocess.run([KASSI, *args], capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


def _points_line(request_id: str, ms: float, at: str) -> str:
    data = {"time": at, "value": ms,
            "tags": {"method": "POST", "name": "/api/loans", "status": "200", "scenario": "high", "group": ""},
            "metadata": {"kassi_request_id": request_id}}
    return json.dumps({"metric": "http_req_duration", "type": "Point", "data": data}, separators=(",", ":"))


def make_finished_run(home: Path) -> FinishedRun:
    """One concluded A/B run in ``home`` (the current KASSI_HOME): a sealed three-entry ledger (one a
    refusal), the run record, the proxy's access events and the target's log in the store, and k6's
    points."""
    folder = home / "runs" / RUN_ID
    ledger = Ledger.open(folder, RUN_ID)
    ledger.append(kind="step", action="begin", card="The Fool", inputs={}, outcome={"status": "ok", "duration_s": 0.1},
                  state_digest="d0")
    ledger.append(kind="refusal", action="remedy", card="The Devil", inputs={},
                  outcome={"status": "refused", "reason": "not legal now", "legal": ["judge"]}, state_digest="d0")
    ledger.append(kind="step", action="conclude", card="The World", inputs={},
                  outcome={"status": "ok", "duration_s": 0.2}, state_digest="d1")
    ledger.seal(seal_key(create=True))
    record = {
        "run_id": RUN_ID, "mode": "ab",
        "request": {"repo": "/src/shop", "base": "a" * 40, "head": "b" * 40, "refs": {}, "label": "cli"},
        "verdict": {"class": "REGRESSION", "reason": "server errors up",
                    "routes": [{"method": "POST", "route": "/api/loans", "class": "REGRESSION", "reason": "5xx up",
                                "change": "modified", "collateral": False,
                                "effects": {"p95_base_ms": 10.0, "p95_head_ms": 30.0}}],
                    "root_cause": {"kind": "database_locked", "summary": "database is locked", "location": "app.py:9"},
                    "evidence": [{"source": "proxy", "fact": "3 x 500"}]},
        "failure": None, "timings_s": {"begin": 0.1, "drive_load": 2.0},
        "client_server": {"head": {"POST /api/loans": {"gap_p95_ms": 1.5, "pairs": REQUESTS}}},
        "telemetry": {"base": {"/api/loans": {"requests": REQUESTS, "p95_ms": 10.0, "top_errors": []}},
                      "head": {"/api/loans": {"requests": REQUESTS, "p95_ms": 30.0, "top_errors": []}}},
        "ledger": {"path": str(folder / "ledger.jsonl")},
    }
    (folder / "run.json").write_text(json.dumps(record), encoding="utf-8")
    with SQLiteStore(home / "kassi.db") as store:
        store.write_access([
            AccessEvent(1764392000.0 + i, RUN_ID, "head", "POST", "/api/loans", "/api/loans", 500 if i % 2 else 200,
                        10.0 + i, 40, "db locked" if i % 2 else None, "high", 1, f"1-1-t{i}")
            for i in range(REQUESTS)
        ])
        store.write_logs([LogEvent(1764392000.5, RUN_ID, "head", "stderr", "ERROR", "Traceback ...",
                                   ParsedException("sqlite3.OperationalError", "database is locked",
                                                   (StackFrame("app.py", 9, "create_loan"),)))])
    points = folder / "k6-block01-head"
    points.mkdir()
    with gzip.open(points / "k6-points.json.gz", "wt", encoding="utf-8") as fh:
        for i in range(REQUESTS):
            fh.write(_points_line(f"1-1-t{i}", 11.0 + i, f"2026-11-29T05:00:0{i}.123456789Z") + "\n")
    return FinishedRun(home, folder, RUN_ID)
