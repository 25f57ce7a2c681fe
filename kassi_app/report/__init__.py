"""Reports people read, rendered from the run record (``run.json``); nothing is recomputed.

``render(record, fmt)`` gives one report as text; ``write_reports(record, formats, out_dir)`` writes
several next to each other (what ``kassi run --report html,junit`` does at conclude)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from kassi_app.errors import BadInput
from kassi_app.report.data import ReportData, gather
from kassi_app.report.html import render_html
from kassi_app.report.junit import render_junit
from kassi_app.report.markdown import render_markdown

Format = Literal["html", "junit", "markdown", "json"]
FORMATS: tuple[str, ...] = get_args(Format)
SUFFIXES: dict[str, str] = {"html": ".html", "junit": ".junit.xml", "markdown": ".md", "json": ".json"}

_RENDERERS: dict[str, Callable[[ReportData], str]] = {
    "html": render_html,
    "junit": render_junit,
    "markdown": render_markdown,
    "json": lambda data: json.dumps(data.record, indent=2, default=str) + "\n",
}


def check_format(fmt: str) -> str:
    if fmt not in _RENDERERS:
        raise BadInput(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    return fmt


def render(
    record: Mapping[str, Any], fmt: str, *, folder: Path | None = None, store_path: Path | None = None
) -> str:
    """One report of the run as text. Only HTML reads the per-request latencies (for its plots).
    ``folder`` / ``store_path`` say where the run folder and the store are when not where the record
    says (see ``data.gather``)."""
    check_format(fmt)
    return _RENDERERS[fmt](gather(record, folder=folder, store_path=store_path, with_samples=fmt == "html"))


def write_reports(
    record: Mapping[str, Any],
    formats: Iterable[str],
    out_dir: Path,
    *,
    folder: Path | None = None,
    store_path: Path | None = None,
) -> list[Path]:
    """Write ``report<suffix>`` for each format into ``out_dir``; return the paths written."""
    wanted = [check_format(f) for f in dict.fromkeys(formats)]
    out_dir.mkdir(parents=True, exist_ok=True)
    data = gather(record, folder=folder, store_path=store_path, with_samples="html" in wanted)
    paths = []
    for fmt in wanted:
        path = out_dir / f"report{SUFFIXES[fmt]}"
        path.write_text(_RENDERERS[fmt](data), encoding="utf-8")
        paths.append(path)
    return paths
