"""A picture of the kassi_run view a person can check: its panels, laid out as the view lays them
out, filled from one real finished kassi run, screenshotted by headless Chromium.

This is NOT Splunk (Splunk cannot run here). It builds the events the publisher sends
(docs/splunk-dashboards.md, "Events") with the publisher's own builder (kassi_app.publish.events),
computes each data source of kassi_run.xml in Python the way its SPL does, and draws each panel
with the title and position the view's definition gives.

    .venv/bin/kassi demo run sqlite-write-lock --json > /dev/null
    .venv/bin/python -m tests.faces.splunk.render_run_view [--home ~/.kassi] [--run-id ID]
"""

from __future__ import annotations

import argparse
import csv
import html
import math
import re
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from splunk_app import LOOKUPS, ROOT, studio_views

from kassi_app.home import kassi_home
from kassi_app.publish.events import run_events
from kassi_app.telemetry.store import SQLiteStore

Rows = list[dict[str, Any]]
Panel = tuple[str, Any]  # ("table", rows) | ("single", text) | ("chart", (categories, {series: values}))
BACKGROUND, PANEL, INK, MUTED = "#171d21", "#1f252a", "#e8eaeb", "#9aa4ab"


# ---- the events the publisher sends (kassi_app.publish.events: the stand-in for HEC + the index) ----
def published(run_dir: Path, store_path: Path) -> dict[str, Rows]:
    """sourcetype -> the bodies of the events ``kassi publish`` would send for the run."""
    by: dict[str, Rows] = defaultdict(list)
    with SQLiteStore(store_path) as store:
        for event in run_events(run_dir, store):
            by[event.sourcetype].append(dict(event.body))
    return by


# ---- the data sources of kassi_run.xml, as their SPL computes them --------------------------------
def no_data(rows: Rows, message: str) -> Panel:
    """What `kassi_no_data(...)` appends to an empty result."""
    return ("table", rows or [{"message": message}])


def join(access: Rows, client: Rows) -> Panel:
    by_request: dict[str, dict[str, Any]] = defaultdict(dict)
    for side, events in (("server", access), ("client", client)):
        for e in events:
            if e.get("request_id"):
                key = (e["http_method"], e["route"], e["variant"])
                by_request[e["request_id"]] |= {side: e["duration_ms"], "key": key}
    groups: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    for pair in by_request.values():
        if "client" in pair and "server" in pair:
            groups[pair["key"]].append((pair["client"], pair["server"]))
    rows = []
    for (method, route, variant), pairs in sorted(groups.items()):
        c, s = np.array(pairs).T
        row: dict[str, Any] = {"endpoint": f"{method} {route}", "variant": variant, "requests": len(pairs)}
        for q in (50, 95):
            row |= {f"client_p{q}": np.percentile(c, q), f"server_p{q}": np.percentile(s, q),
                    f"gap_p{q}": np.percentile(c - s, q)}
        rows.append({k: round(float(v), 1) if isinstance(v, float) else v for k, v in row.items()})
    return no_data(rows, "No joined requests: kassi:client and kassi:access events share a request_id "
                         "once both are published")


def latency(access: Rows) -> Panel:
    """`bin duration_ms span=log2 | chart count OVER latency_ms BY variant`."""
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for e in access:
        if e["variant"] in ("base", "head"):
            counts[e["variant"]][math.floor(math.log2(max(e["duration_ms"], 1.0)))] += 1
    buckets = sorted({b for per in counts.values() for b in per})
    labels = [f"{2**b}-{2 ** (b + 1)}" for b in buckets]
    return ("chart", (labels, {v: [counts[v].get(b, 0) for b in buckets] for v in sorted(counts)}))


def errors(access: Rows) -> Panel:
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for e in access:
        cell = totals[(f"{e['http_method']} {e['route']}", e["variant"])]
        cell[0] += 1
        cell[1] += e["status"] >= 500
    endpoints = sorted({k[0] for k in totals})
    variants = sorted({k[1] for k in totals})
    series = {v: [round(100 * totals[(ep, v)][1] / max(totals[(ep, v)][0], 1), 1) for ep in endpoints]
              for v in variants}
    return ("chart", (endpoints, series))


def read_csv(name: str) -> Rows:
    with (LOOKUPS / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def panels(run: dict[str, Any], walk: Rows, access: Rows, client: Rows) -> dict[str, Panel]:
    meaning = {r["phase"]: r["meaning"] for r in read_csv("kassi_arcana_cards.csv")}
    diff = (run.get("remedy") or {}).get("diff") or ""
    finished = np.datetime_as_string(np.datetime64(int(run["_time"]), "s")).replace("T", " ")
    return {
        "ds_verdict": ("single", run["verdict"]),
        "ds_summary": ("table", [{
            "finished": finished,
            "repo": run["repo"], "change": run["change"], "route": run["route"], "reason": run["reason"],
            "failure": run["failure"] or "", "wall_time": f"{round(run['wall_s'])} s"}]),
        "ds_walk": no_data([{**{k: e[k] for k in ("seq", "card", "phase", "status")},
                             "duration_s": round(e["duration_s"] or 0.0, 2), "detail": e["detail"],
                             "meaning": meaning.get(e["phase"], "")} for e in sorted(walk, key=lambda e: e["seq"])],
                           "No kassi:phase events for this run: was it published?"),
        "ds_join": join(access, client),
        "ds_latency": latency(access),
        "ds_errors": errors(access),
        "ds_evidence": ("table", [{"observed_by": "root cause", "fact": run["root_cause"] or "none named"}]
                        + [{"observed_by": e["source"], "fact": e["fact"]} for e in run["evidence"]]),
        "ds_remedy": no_data([{"remediation diff": line} for line in diff.splitlines() if line],
                             "No remediation for this run: it was HEALTHY or no fix was proposed"),
        "ds_ledger": ("table", [{
            "verifies": "verifies" if run["ledger_verified"] else "DOES NOT VERIFY",
            **{k: run[k] for k in ("ledger_head", "ledger_entries", "ledger_sealed", "ledger_problem")}}]),
        "ds_recent": ("table", [{"when": finished[:16],
                                 **{k: run[k] for k in ("repo", "change", "verdict", "run_id")}}]),
    }


# ---- drawing -----------------------------------------------------------------------------------
def colour_matcher(viz: dict[str, Any]) -> Callable[[str], str | None]:
    """The view's matchValue context (verdict or status colours) as a function."""
    table = {m["match"]: m["value"] for matches in viz.get("context", {}).values() for m in matches}
    return table.get


def cell(value: Any) -> str:
    """A value as Splunk shows a JSON field: true/false for booleans, blank for null."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def label_lines(label: str, width: int = 22) -> list[str]:
    """An axis label cut at '/' into lines of at most ``width`` characters (where it can be)."""
    lines = [""]
    for part in re.split(r"(?=/)", label):
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return lines


def draw_table(rows: Rows, colour_of: Callable[[str], str | None]) -> str:
    columns = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        tint = next((colour_of(str(v)) for v in row.values() if colour_of(str(v))), None)
        style = f' style="background:{tint}55"' if tint else ""
        cells = "".join(f"<td>{html.escape(cell(row[c]))}</td>" for c in columns)
        body.append(f"<tr{style}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def draw_chart(categories: list[str], series: dict[str, list[float]], colours: dict[str, str], w: int, h: int) -> str:
    top = max([v for values in series.values() for v in values] + [1])
    plot_w, plot_h, left, bottom = w - 70, h - 110, 50, 60
    group = plot_w / max(len(categories), 1)
    bar = group * 0.8 / max(len(series), 1)
    parts = [f'<text x="4" y="14" class="axis">{top:g}</text>', f'<text x="4" y="{plot_h + 10}" class="axis">0</text>',
             f'<line x1="{left}" y1="{plot_h + 10}" x2="{left + plot_w}" y2="{plot_h + 10}" stroke="{MUTED}"/>']
    for i, label in enumerate(categories):
        x0 = left + i * group + group * 0.1
        for j, (name, values) in enumerate(series.items()):
            bh = plot_h * values[i] / top
            parts.append(f'<rect x="{x0 + j * bar:.1f}" y="{plot_h + 10 - bh:.1f}" width="{bar - 2:.1f}" '
                         f'height="{bh:.1f}" fill="{colours.get(name, "#5A9BD5")}"/>')
        cx = x0 + group * 0.4
        lines = "".join(f'<tspan x="{cx:.1f}" dy="{13 if n else 0}">{html.escape(t)}</tspan>'
                        for n, t in enumerate(label_lines(label)))
        parts.append(f'<text x="{cx:.1f}" y="{plot_h + 24}" class="axis" text-anchor="middle">{lines}</text>')
    legend = " ".join(f'<span style="color:{colours.get(n, "#5A9BD5")}">■</span> {html.escape(n)}' for n in series)
    return f'<svg width="{w - 20}" height="{plot_h + bottom}">{"".join(parts)}</svg><div class="legend">{legend}</div>'


def page(definition: dict[str, Any], data: dict[str, Panel], run_id: str) -> tuple[str, int]:
    layout = next(iter(definition["layout"]["layoutDefinitions"].values()))
    top, boxes = 70, []
    for item in layout["structure"]:
        viz = definition["visualizations"][item["item"]]
        x, y, w, h = (item["position"][k] for k in ("x", "y", "w", "h"))
        kind, content = data[viz["dataSources"]["primary"]]
        colour_of = colour_matcher(viz)
        if kind == "single":
            body = f'<div class="single" style="color:{colour_of(content) or INK}">{html.escape(content)}</div>'
        elif kind == "table":
            body = draw_table(content, colour_of)
        else:
            categories, series = content
            body = draw_chart(categories, series, viz.get("options", {}).get("seriesColorsByField", {}), w, h)
        boxes.append(f'<div class="panel" style="left:{x}px;top:{y + top}px;width:{w - 8}px;height:{h - 8}px">'
                     f'<h3>{html.escape(viz.get("title", ""))}</h3>{body}</div>')
    height = top + max(i["position"]["y"] + i["position"]["h"] for i in layout["structure"])
    style = f"""body{{margin:0;background:{BACKGROUND};color:{INK};font:13px 'DejaVu Sans',sans-serif}}
.banner{{position:absolute;left:0;top:0;width:1424px;height:56px;padding:8px;border-bottom:1px solid #333}}
.banner b{{font-size:18px}} .banner span{{color:{MUTED}}}
.panel{{position:absolute;background:{PANEL};border-radius:4px;padding:4px 8px;overflow:hidden}}
h3{{margin:2px 0 6px;font-size:13px;color:{INK}}} table{{border-collapse:collapse;width:100%}}
th{{text-align:left;color:{MUTED};font-weight:normal;border-bottom:1px solid #444;padding:2px 6px}}
td{{padding:2px 6px;border-bottom:1px solid #2a3035;vertical-align:top;word-break:break-word}}
.single{{font-size:44px;font-weight:bold;text-align:center;margin-top:18px}} .axis{{fill:{MUTED};font-size:11px}}
.legend{{color:{MUTED};font-size:12px}}"""
    banner = (f'<div class="banner"><b>{html.escape(definition["title"])}</b> &nbsp; run_id = {html.escape(run_id)}<br>'
              "<span>An HTML rendering of the kassi_run view's panels (titles and layout from kassi_run.xml), "
              "filled from one real kassi run's events. Not Splunk itself.</span></div>")
    return f"<!doctype html><meta charset=utf-8><style>{style}</style>{banner}{''.join(boxes)}", height


def screenshot(page_html: str, height: int, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "kassi_run.html"
        source.write_text(page_html, encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp}/profile", f"--window-size=1440,{height + 10}", f"--screenshot={out}",
             source.as_uri()],
            check=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
        )


def latest_run(home: Path) -> str:
    runs: Iterable[Path] = (p for p in (home / "runs").iterdir() if (p / "run.json").is_file())
    return max(runs, key=lambda p: p.stat().st_mtime).name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=None, help="KASSI_HOME of the run (default: kassi's)")
    parser.add_argument("--run-id", default=None, help="default: the newest run in the home")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "kassi_run_view.png")
    parser.add_argument("--html", type=Path, default=None, help="also keep the HTML page here")
    args = parser.parse_args()
    home = args.home or kassi_home()
    run_id = args.run_id or latest_run(home)
    run_dir = home / "runs" / run_id
    events = published(run_dir, home / "kassi.db")
    run, access = events["kassi:run"][0], events["kassi:access"]
    data = panels(run, events["kassi:phase"], access, events["kassi:client"])
    page_html, height = page(studio_views()["kassi_run"], data, run_id)
    if args.html:
        args.html.write_text(page_html, encoding="utf-8")
    screenshot(page_html, height, args.out)
    print(f"{args.out}: run {run_id}, {len(access)} access events, verdict {run['verdict']}")


if __name__ == "__main__":
    main()
