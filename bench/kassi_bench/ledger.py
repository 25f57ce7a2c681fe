"""Ledger throughput: how fast entries are appended and a whole chain is verified."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kassi_app.ledger.chain import Ledger
from kassi_app.ledger.verify import verify_ledger

_KEY = b"bench-key-not-secret"


@dataclass(frozen=True)
class LedgerBench:
    entries: int
    bytes_per_entry: float
    append_per_s: float
    verify_best_per_s: float
    verify_median_per_s: float
    problems: int


def bench_ledger(entries: int) -> LedgerBench:
    """Append ``entries`` step-like entries to a fresh ledger, seal it, verify it three times."""
    with tempfile.TemporaryDirectory(prefix="kassi-bench-") as tmp:
        ledger = Ledger.open(Path(tmp) / "bench", "bench")
        inputs = {"base_ref": "main", "head_ref": "feature/x", "endpoints": ["GET /api/owners/{id}"]}
        started = time.perf_counter()
        for i in range(entries):
            outcome = {"status": "ok", "error": None, "result": {"requests": i, "p95_ms": 12.5}}
            ledger.append(
                kind="step",
                action="load",
                card="The Chariot",
                inputs=inputs,
                outcome=outcome,
                state_digest="0" * 64,
            )
        appended = time.perf_counter() - started
        ledger.seal(_KEY)
        timings = []
        for _ in range(3):  # best and median of three: on a shared machine single runs are noisy
            started = time.perf_counter()
            problems = verify_ledger(ledger.path, _KEY, "bench")
            timings.append(time.perf_counter() - started)
        timings.sort()
        size = ledger.path.stat().st_size
    return LedgerBench(
        entries,
        size / max(entries, 1),
        entries / appended,
        entries / timings[0],
        entries / timings[1],
        len(problems),
    )
