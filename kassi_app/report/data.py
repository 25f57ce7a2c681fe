"""What a report reads: the run record, plus the things the record points at but does not copy.

The record (``run.json``) holds every figure the verdict rests on; a report never recomputes them.
Three inputs come from beside it: the ledger (the agent's walk, one entry per step or refusal), the
run's per-request latencies in the embedded store (to draw distributions, not to judge), and the
text of the diff hunk the root cause names (the record keeps its name, ``file:start-end``; the text
comes from the repo's own ``git diff base head``). All are optional: a record moved to another
machine still renders, saying what it could not show.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kassi_app.change.diffs import parse_diff
from kassi_app.errors import KassiError
from kassi_app.events import AccessEvent
from kassi_app.git import diff_text
from kassi_app.telemetry.queries import AccessEventsQuery
from kassi_app.telemetry.store import SQLiteStore

STORE_FILE = "kassi.db"


@dataclass(frozen=True)
class Samples:
    """One variant's recorded requests on one route: start times, latencies (ms), blocks, statuses."""

    times: tuple[float, ...] = ()
    latencies_ms: tuple[float, ...] = ()
    blocks: tuple[int, ...] = ()
    statuses: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReportData:
    """Everything a renderer needs. ``samples[route_label][variant]`` is empty when the store is unavailable;
    ``notes`` says why an optional input is missing."""

    record: Mapping[str, Any]
    ledger: tuple[Mapping[str, Any], ...] = ()
    samples: Mapping[str, Mapping[str, Samples]] = field(default_factory=dict)
    hunk_text: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> Mapping[str, Any]:
        v = self.record.get("verdict")
        return v if isinstance(v, Mapping) else {}

    @property
    def routes(self) -> list[Mapping[str, Any]]:
        """The judged routes, as the verdict lists them."""
        return [r for r in self.verdict.get("routes") or [] if isinstance(r, Mapping)]

    @property
    def verdict_class(self) -> str:
        return str(self.verdict.get("class") or "INCONCLUSIVE")

    @property
    def reason(self) -> str:
        return str(self.verdict.get("reason") or self.record.get("failure") or "no verdict recorded")

    @property
    def ledger_head(self) -> str:
        ledger = self.record.get("ledger")
        return str(ledger.get("head") or "") if isinstance(ledger, Mapping) else ""


def route_label(route: Mapping[str, Any]) -> str:
    """``METHOD /route`` of a judged route."""
    return f"{route.get('method', '')} {route.get('route', '')}".strip()


def run_folder(record: Mapping[str, Any]) -> Path | None:
    """The run's folder, from the ledger path the record keeps (``<home>/runs/<id>/ledger.jsonl``)."""
    ledger = record.get("ledger")
    path = ledger.get("path") if isinstance(ledger, Mapping) else None
    return Path(str(path)).parent if path else None


def gather(
    record: Mapping[str, Any],
    *,
    folder: Path | None = None,
    store_path: Path | None = None,
    with_samples: bool = True,
) -> ReportData:
    """The record with its ledger entries, the root cause's hunk text and (``with_samples``, for the
    HTML plots) its per-request latencies.

    ``folder`` is the run folder (default: where the record says its ledger is); the store defaults
    to ``kassi.db`` in the kassi home that folder sits in (``<home>/runs/<run id>``).
    """
    notes: list[str] = []
    folder = folder or run_folder(record)
    ledger = _read_ledger(folder, notes)
    samples: dict[str, dict[str, Samples]] = {}
    if with_samples:
        path = store_path or (folder.parent.parent / STORE_FILE if folder else None)
        samples = _read_samples(record, path, notes)
    hunk = _hunk_text(record, notes)
    return ReportData(record=record, ledger=tuple(ledger), samples=samples, hunk_text=hunk, notes=tuple(notes))


def _read_ledger(folder: Path | None, notes: list[str]) -> list[Mapping[str, Any]]:
    path = folder / "ledger.jsonl" if folder else None
    if path is None or not path.is_file():
        notes.append(f"ledger not found{f' at {path}' if path else ''}: the walk is not shown")
        return []
    entries: list[Mapping[str, Any]] = []
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"unreadable": number}
            entries.append(entry if isinstance(entry, Mapping) else {"unreadable": number})
    return entries


def _read_samples(
    record: Mapping[str, Any], path: Path | None, notes: list[str]
) -> dict[str, dict[str, Samples]]:
    run_id = record.get("run_id")
    if not run_id or path is None or not path.is_file():
        notes.append("per-request latencies not found (no telemetry store beside the run): no distributions")
        return {}
    try:
        with SQLiteStore(path) as store:
            events = store.ask(AccessEventsQuery(run_id=str(run_id)))
    except KassiError as exc:
        notes.append(f"per-request latencies unreadable: {exc}")
        return {}
    if not events:
        notes.append(f"the store at {path} holds no requests of run {run_id}: no distributions")
    return group_samples(events)


def group_samples(events: Sequence[AccessEvent]) -> dict[str, dict[str, Samples]]:
    """Events (oldest first) split by ``METHOD /route`` (as ``route_label``) and variant."""
    columns: dict[str, dict[str, tuple[list[float], list[float], list[int], list[int]]]] = {}
    for e in events:
        t, lat, blk, st = columns.setdefault(f"{e.http_method} {e.route}", {}).setdefault(e.variant, ([], [], [], []))
        t.append(e._time)
        lat.append(e.duration_ms)
        blk.append(e.block)
        st.append(e.status)
    return {
        route: {v: Samples(tuple(t), tuple(lat), tuple(b), tuple(s)) for v, (t, lat, b, s) in per.items()}
        for route, per in columns.items()
    }


def _hunk_text(record: Mapping[str, Any], notes: list[str]) -> str | None:
    """The text of the hunk the root cause names, from the repo's diff base..head; None (with a note)
    when the repo or a ref is gone, or no hunk has that name."""
    verdict = record.get("verdict")
    root = verdict.get("root_cause") if isinstance(verdict, Mapping) else None
    name = str(root.get("hunk") or "") if isinstance(root, Mapping) else ""
    if not name or "\n" in name:
        return name or None  # no hunk named, or the record already carries its text
    request = record.get("request")
    req: Mapping[str, Any] = request if isinstance(request, Mapping) else {}
    repo, base, head = req.get("repo"), req.get("base"), req.get("head")
    if not (repo and base and head and Path(str(repo)).is_dir()):
        notes.append(f"diff hunk {name}: the repository is no longer at {repo}, only the hunk's name is shown")
        return None
    try:
        files = parse_diff(diff_text(Path(str(repo)), str(base), str(head)))
    except KassiError as exc:
        notes.append(f"diff hunk {name}: {exc}")
        return None
    for hunk in (h for f in files for h in f.hunks):
        if f"{hunk.file}:{hunk.start}-{hunk.end}" == name:
            return hunk.text
    notes.append(f"diff hunk {name}: not in the diff of {str(base)[:12]}..{str(head)[:12]}")
    return None
