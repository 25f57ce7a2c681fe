"""Fixtures: a kassi home laid out as a run leaves it (``runs/<id>/run.json``, ``ledger.jsonl`` and the
embedded store ``kassi.db``), built from a trimmed copy of a real sqlite-write-lock run.

The run.json and ledger lines are real (trimmed); the per-request latencies written to the real
SQLite store are drawn from a seeded generator, because the real run's 2,300 samples would make the
fixture large and the report only draws them."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kassi_app.events import AccessEvent
from kassi_app.telemetry.store import SQLiteStore

HERE = Path(__file__).resolve().parents[1] / "report"
"""The trimmed real run record and ledger the report tests render."""
RUN_ID = "20261129T044005Z-e121bd"
BLOCKS = ((0, "base"), (1, "head"), (2, "head"), (3, "base"))
PER_BLOCK = 60


@dataclass(frozen=True)
class RunHome:
    home: Path
    folder: Path
    record: dict[str, Any]


def fixture_record() -> dict[str, Any]:
    record: dict[str, Any] = json.loads((HERE / "run.json").read_text(encoding="utf-8"))
    return record


def _events(run_id: str) -> list[AccessEvent]:
    rng = random.Random(17)
    events = []
    for block, variant in BLOCKS:
        for method, route, median in (("POST", "/api/loans", 200.0), ("GET", "/api/books", 100.0)):
            for i in range(PER_BLOCK):
                fails = variant == "head" and route == "/api/loans" and rng.random() < 0.4
                events.append(
                    AccessEvent(
                        _time=1_795_927_210.0 + 10 * block + i * 0.15,
                        run_id=run_id,
                        variant=variant,  # type: ignore[arg-type]
                        http_method=method,
                        route=route,
                        uri_path=route,
                        status=500 if fails else 200,
                        duration_ms=median * rng.lognormvariate(0.0, 0.6) * (0.4 if variant == "head" else 1.0),
                        bytes_out=120,
                        error="database is locked" if fails else None,
                        stage="high",
                        block=block,
                    )
                )
    return events


def make_home(root: Path, *, with_store: bool = True) -> RunHome:
    """A kassi home under ``root`` holding the fixture run (and, ``with_store``, its samples)."""
    folder = root / "runs" / RUN_ID
    folder.mkdir(parents=True)
    shutil.copy(HERE / "ledger.jsonl", folder / "ledger.jsonl")
    record = fixture_record()
    record["ledger"]["path"] = str(folder / "ledger.jsonl")
    (folder / "run.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    if with_store:
        with SQLiteStore(root / "kassi.db") as store:
            store.write_access(_events(RUN_ID))
    return RunHome(root, folder, record)


@pytest.fixture
def run_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunHome]:
    home = make_home(tmp_path / "home")
    monkeypatch.setenv("KASSI_HOME", str(home.home))
    yield home
