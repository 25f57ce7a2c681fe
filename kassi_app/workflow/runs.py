"""Runs on disk: ``<kassi home>/runs/<run_id>/`` holds ledger.jsonl, seal.json, state.sqlite and
(written by the workflow) run.json. This module names, opens and lists them."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kassi_app.errors import BadInput
from kassi_app.home import kassi_home
from kassi_app.ledger.chain import LEDGER_FILE, SEAL_FILE, Ledger
from kassi_app.ledger.seal import seal_key
from kassi_app.ledger.verify import Problem, verify_ledger
from kassi_app.workflow.governor import Governor
from kassi_app.workflow.machine import STATE_DB, ActionSpec, Move, build_governed_app

RUN_FILE = "run.json"
ANALYSIS_FILE = "analysis.md"
SEALED_FILES = (RUN_FILE, ANALYSIS_FILE)
"""The files a run writes beside its ledger whose SHA-256 the conclude step records (and so seals)."""
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def runs_root() -> Path:
    return kassi_home() / "runs"


def new_run_id() -> str:
    """Sortable by start time, unique without coordination: ``20261127T050525Z-1a2b3c``."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


def run_dir(run_id: str) -> Path:
    if not _RUN_ID.match(run_id):
        raise BadInput(f"invalid run id {run_id!r}")
    return runs_root() / run_id


def open_governed_run(
    specs: Sequence[ActionSpec[Any]],
    moves: Sequence[Move],
    *,
    entrypoint: str,
    initial_state: Mapping[str, Any],
    run_id: str | None = None,
) -> Governor:
    """A new governed run in the kassi home: run dir, ledger, persisted Burr app and seal key."""
    rid = run_id or new_run_id()
    folder = run_dir(rid)
    if (folder / LEDGER_FILE).exists():
        raise BadInput(f"run {rid} already exists")
    ledger = Ledger.open(folder, rid)
    app = build_governed_app(
        specs,
        moves,
        entrypoint=entrypoint,
        initial_state=initial_state,
        run_id=rid,
        state_db=folder / STATE_DB,
    )
    return Governor(app, specs, ledger, key=seal_key(create=True))


@dataclass(frozen=True)
class RunRef:
    """Where a RUN argument points: the ledger file, its run id and its folder."""

    run_id: str
    ledger: Path
    folder: Path


def resolve_run(arg: str) -> RunRef:
    """RUN is a run id under the kassi home, a run folder, or a ledger file path."""
    path = Path(arg).expanduser()
    if path.is_file():
        return RunRef(_run_id_of_file(path), path, path.parent)
    if path.is_dir() and (path / LEDGER_FILE).exists():
        return RunRef(path.name, path / LEDGER_FILE, path)
    if _RUN_ID.match(arg) and (runs_root() / arg / LEDGER_FILE).exists():
        folder = runs_root() / arg
        return RunRef(arg, folder / LEDGER_FILE, folder)
    raise BadInput(f"no run or ledger file {arg!r} (looked under {runs_root()})")


def _run_id_of_file(path: Path) -> str:
    """The run a ledger file belongs to: its folder name if it sits in a run folder, else its first entry."""
    if path.name == LEDGER_FILE and ((path.parent / SEAL_FILE).exists() or (path.parent / RUN_FILE).exists()):
        return path.parent.name
    with path.open("rb") as fh:
        first = fh.readline()
    try:
        return str(json.loads(first)["run_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadInput(f"{path} is not a kassi ledger (first line has no run_id)") from exc


@dataclass(frozen=True)
class RunSummary:
    """One line of ``kassi runs ls``."""

    run_id: str
    started: float | None
    entries: int
    sealed: bool
    intact: bool | None
    """A sealed run: True when its ledger, seal and sealed files verify with the seal key here; None
    for a run not sealed (yet)."""
    last_action: str | None
    verdict: str | None
    """From run.json; None when the run is sealed but does not verify (an edited verdict is not shown)."""


def seal_problems(ledger: Path, run_id: str, key: bytes | None) -> list[Problem]:
    """What is wrong with a sealed run (``[]``: its chain, seal and sealed files verify with ``key``).
    A run without seal.json is not checked here (it may still be running): ``[]``."""
    if not ledger.with_name(SEAL_FILE).exists():
        return []
    return verify_ledger(ledger, key, run_id) + record_problems(ledger)


def require_intact(ref: RunRef) -> None:
    """BadInput (one line, the first problem) unless the run is unsealed or verifies with the seal key
    here: what kassi shows of a sealed run (``runs show``, ``report``) is what was sealed."""
    problems = seal_problems(ref.ledger, ref.run_id, seal_key(create=False))
    if problems:
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        raise BadInput(f"run {ref.run_id} does not verify, not shown: [{problems[0].kind}] {problems[0].message}"
                       f"{more} (see `kassi verify {ref.run_id}`)")


def summarize_run(folder: Path, key: bytes | None = None) -> RunSummary:
    ledger = folder / LEDGER_FILE
    first, last, count = b"", b"", 0
    if ledger.exists():
        with ledger.open("rb") as fh:
            for line in fh:
                first = first or line
                last, count = line, count + 1
    sealed = (folder / SEAL_FILE).exists()
    intact = not seal_problems(folder / LEDGER_FILE, folder.name, key) if sealed else None
    verdict = read_run_json(folder).get("verdict") if intact is not False else None
    if isinstance(verdict, Mapping):
        verdict = verdict.get("class") or verdict.get("verdict")
    return RunSummary(
        run_id=folder.name,
        started=_field(first, "time"),
        entries=count,
        sealed=sealed,
        intact=intact,
        last_action=_field(last, "action"),
        verdict=str(verdict) if verdict is not None else None,
    )


def _field(line: bytes, name: str) -> Any:
    try:
        return json.loads(line)[name] if line else None
    except (ValueError, KeyError, TypeError):
        return None


def read_run_json(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def list_runs() -> list[RunSummary]:
    """Every run under the kassi home, newest first, each sealed one verified with the seal key here."""
    root = runs_root()
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if p.is_dir() and (p / LEDGER_FILE).exists()]
    key = seal_key(create=False)
    return sorted((summarize_run(p, key) for p in folders), key=lambda r: (r.started or 0, r.run_id), reverse=True)


def read_entries(ledger: Path) -> list[dict[str, Any]]:
    """The ledger's entries as dicts; unreadable lines become ``{"unreadable": <line number>}``."""
    out: list[dict[str, Any]] = []
    with ledger.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"unreadable": number})
    return out


def sealed_files(folder: Path) -> dict[str, str]:
    """SHA-256 of each of the run's sealed files that exists in ``folder``."""
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
            for name in SEALED_FILES if (folder / name).is_file()}


def record_problems(ledger: Path) -> list[Problem]:
    """Problems with the files the run's ledger seals (run.json, analysis.md): edited, deleted, or
    not covered by the ledger at all. A run that never concluded seals no files."""
    recorded: dict[str, str] | None = None
    for entry in read_entries(ledger):
        result = (entry.get("outcome") or {}).get("result") or {}
        if entry.get("action") == "conclude" and isinstance(result.get("files_sha256"), dict):
            recorded = result["files_sha256"]
    folder = ledger.parent
    present = sealed_files(folder)
    if recorded is None:
        return [Problem("unsealed_file", None, f"{name} is not covered by the ledger") for name in present]
    problems = [Problem("file_missing", None, f"{name} was sealed but is gone") for name in recorded
                if name not in present]
    problems += [Problem("file_edited", None, f"{name} does not match the SHA-256 sealed in the ledger (edited)")
                 for name, sha in present.items() if recorded.get(name) != sha]
    return problems


def apply_retention(
    root: Path, keep: str, keep_runs: int, keep_days: float | None, now: float | None = None
) -> list[str]:
    """Remove finished runs (sealed) under ``root`` beyond the newest ``keep_runs`` or older than
    ``keep_days``; never ``keep`` (the run concluding now) and never a run still going (no seal).
    Run ids sort by start time. Returns the ids removed."""
    now = time.time() if now is None else now
    finished = sorted((p for p in root.iterdir() if p.is_dir() and p.name != keep and (p / SEAL_FILE).exists()),
                      key=lambda p: p.name, reverse=True)
    old = finished[max(keep_runs - 1, 0):]
    if keep_days is not None:
        old += [p for p in finished if p not in old and now - (p / SEAL_FILE).stat().st_mtime > keep_days * 86400]
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    return [p.name for p in old]
