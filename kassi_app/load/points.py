"""Per-request points from k6's ``--out json`` files, and k6-compatible quantiles over them."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import numpy as np

from kassi_app.errors import InfrastructureError
from kassi_app.events import ClientEvent, Stage, Variant

_PERCENTILE = re.compile(r"p\((\d+(?:\.\d+)?)\)")
_POINT_HEAD = re.compile(
    r'\{"metric":"([^"]+)","type":"Point","data":\{"time":"[^"]*","value":([-+0-9.eE]+)[,}]')
"""The start of a k6 JSON Point line: enough for metric and value without parsing the tags."""
BLOCK_DIR = re.compile(r"k6-block(\d+)-(base|head|fix|live)")
"""The folder of one load block in a run folder (``drive_load`` names it ``k6-block03-head``)."""
REQUEST_ID_KEY = "kassi_request_id"
"""Where the k6 script puts a request's ``X-Kassi-Request-Id``: the point's metadata (runtime.js)."""
_FRACTION = re.compile(r"(\.\d{6})\d*")
_STAGES: dict[str, Stage] = {"low": "low", "high": "high"}


@dataclass(frozen=True)
class Point:
    metric: str
    value: float
    tags: dict[str, str]


def _point_lines(path: Path) -> Iterator[str]:
    """The lines of a k6 JSON output file (gzip or plain); unreadable files are infrastructure errors."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path) as lines:
            yield from lines
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InfrastructureError(f"cannot read k6 points {path}: {exc}") from exc


def _row(line: str, path: Path) -> dict[str, Any]:
    try:
        row: dict[str, Any] = json.loads(line)
        return row
    except ValueError as exc:
        raise InfrastructureError(f"k6 points {path}: not JSON: {line[:80]!r}") from exc


def iter_points(path: Path, metrics: frozenset[str] | None = None) -> Iterator[Point]:
    """The ``Point`` lines of one k6 JSON output file, optionally of some metrics only, with their tags."""
    for line in _point_lines(path):
        if '"type":"Point"' not in line:
            continue
        row = _row(line, path)
        if metrics is None or row["metric"] in metrics:
            data = row["data"]
            yield Point(row["metric"], float(data["value"]), dict(data.get("tags") or {}))


def trend_values(paths: Iterable[Path], metrics: frozenset[str]) -> dict[str, list[float]]:
    """All values of the given trend metrics across files (the raw material for merged quantiles).

    Reads each line's head with a regex (k6 writes a fixed key order; ~6x faster than json.loads)
    and parses the full JSON only for a line that does not match.
    """
    out: dict[str, list[float]] = {name: [] for name in metrics}
    for path in paths:
        for line in _point_lines(path):
            head = _POINT_HEAD.match(line)
            if head is not None:
                if head.group(1) in metrics:
                    out[head.group(1)].append(float(head.group(2)))
            elif '"type":"Point"' in line:
                row = _row(line, path)
                if row["metric"] in metrics:
                    out[row["metric"]].append(float(row["data"]["value"]))
    return out


def trend_stats(values: list[float], stats: Iterable[str]) -> dict[str, float]:
    """k6's trend statistics (avg, min, med, max, count, p(N)) with k6's linear-interpolation percentiles."""
    data = np.asarray(values, dtype=float)
    out: dict[str, float] = {}
    for stat in stats:
        if data.size == 0:
            out[stat] = 0.0
        elif stat == "count":
            out[stat] = float(data.size)
        elif stat == "avg":
            out[stat] = float(data.mean())
        elif stat == "min":
            out[stat] = float(data.min())
        elif stat == "max":
            out[stat] = float(data.max())
        elif stat == "med":
            out[stat] = float(np.percentile(data, 50))
        elif match := _PERCENTILE.fullmatch(stat):
            out[stat] = float(np.percentile(data, float(match.group(1))))
    return out


def _epoch(text: str) -> float:
    """k6's RFC 3339 time (nanoseconds, ``Z``) as epoch seconds; fromisoformat takes microseconds."""
    return datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("Z", "+00:00"))).timestamp()


def block_points(run_dir: Path) -> list[tuple[int, Variant, tuple[Path, ...]]]:
    """Each load block of a run folder, in order: its number, variant and k6 points files."""
    blocks = []
    for folder in sorted(run_dir.glob("k6-block*-*")):
        match = BLOCK_DIR.fullmatch(folder.name)
        if match and folder.is_dir():
            files = tuple(sorted(folder.glob("*points.json*")))
            blocks.append((int(match.group(1)), cast(Variant, match.group(2)), files))
    return blocks


LOOKUP_GROUP = "lookup"
"""The ``kassi_group`` tag of the k6 script's lookup requests (runtime.js ``lookup``)."""


def client_events(run_dir: Path, run_id: str) -> list[ClientEvent]:
    """k6's own view of every request of a run (one ``http_req_duration`` point each), block by block.
    Lookups (ids, CSRF tokens; ``kassi_group`` = lookup) are not load: they never pass the proxy and
    carry no request id, so they are left out."""
    out: list[ClientEvent] = []
    for block, variant, files in block_points(run_dir):
        for path in files:
            for line in _point_lines(path):
                if '"metric":"http_req_duration","type":"Point"' not in line:
                    continue
                data = _row(line, path)["data"]
                tags = data.get("tags") or {}
                if tags.get("kassi_group") == LOOKUP_GROUP:
                    continue
                out.append(ClientEvent(
                    _time=_epoch(data["time"]), run_id=run_id, variant=variant,
                    request_id=(data.get("metadata") or {}).get(REQUEST_ID_KEY),
                    http_method=str(tags.get("method", "")), route=str(tags.get("name", "")),
                    status=int(tags.get("status") or 0), duration_ms=float(data["value"]),
                    stage=_STAGES.get(str(tags.get("scenario", "")), ""), block=block,
                ))
    return out
