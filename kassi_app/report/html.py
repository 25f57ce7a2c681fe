"""The run report as one self-contained HTML file: styles inline, plots as inline SVG, no script and
nothing fetched at view time, so it opens the same from a CI artifact, a mail or a laptop offline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from kassi_app.report import plots
from kassi_app.report.data import ReportData
from kassi_app.report.facts import all_route_facts, failing_first, headline, num, refs, route_facts, walk

_CLASS_COLOURS = {
    "REGRESSION": "#b3261e",
    "DEGRADING": "#c26a00",
    "THROTTLED": "#6b5b95",
    "HEALTHY": "#1b7f3b",
    "INCONCLUSIVE": "#5f6368",
}

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;
padding:1.2em;color:#1f1f1f;background:#fff}
h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.1em;margin:1.6em 0 .5em;border-bottom:1px solid #ddd}
h3{font-size:1em;margin:1.2em 0 .3em}
.verdict{border-left:8px solid var(--c);background:#f6f6f6;padding:.7em 1em;margin:.6em 0}
.cls{display:inline-block;color:#fff;background:var(--c);font-weight:700;padding:.1em .6em;border-radius:3px}
table{border-collapse:collapse;margin:.4em 0;font-size:13px}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:12px}
.add{color:#116329}.del{color:#82071e}.meta{color:#555}.none{color:#777;font-style:italic}
.refused td{background:#fff4e5}.failed td{background:#fdecea}
.bar{display:inline-block;height:.7em;background:#8ab4f8;vertical-align:middle}
svg{max-width:100%;height:auto}
"""


def _cls(cls: str) -> str:
    return f'<span class="cls" style="--c:{_CLASS_COLOURS.get(cls, "#5f6368")}">{escape(cls)}</span>'


def _none(text: str) -> str:
    return f'<p class="none">{escape(text)}</p>'


def _table(header: list[str], rows: list[list[str]], numeric: frozenset[int] = frozenset()) -> str:
    """A table; cells are already-escaped HTML."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td{" class=n" if i in numeric else ""}>{c}</td>' for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _diff(text: str) -> str:
    """A unified diff with added / removed lines coloured."""
    lines = []
    for line in text.splitlines():
        css = "add" if line.startswith("+") and not line.startswith("+++") else ""
        css = "del" if line.startswith("-") and not line.startswith("---") else css
        lines.append(f'<span class="{css}">{escape(line)}</span>' if css else escape(line))
    return "<pre>" + "\n".join(lines) + "</pre>"


def _header(data: ReportData) -> str:
    record, cls = data.record, data.verdict_class
    ledger: Mapping[str, Any] = record.get("ledger") or {}
    notes = "".join(f"<li>{escape(n)}</li>" for n in [*data.notes, *(record.get("warnings") or [])])
    return (
        f"<h1>kassi run {escape(str(record.get('run_id', '?')))}</h1>"
        f'<div class="verdict" style="--c:{_CLASS_COLOURS.get(cls, "#5f6368")}">{_cls(cls)} '
        f"{escape(headline(data))}</div>"
        f'<p class="meta">{escape(str(record.get("mode") or "?"))} · {escape(refs(record))} · ledger head '
        f"<code>{escape(data.ledger_head[:16] or '—')}</code> · sealed {escape(str(ledger.get('sealed', '?')))}</p>"
        + (f"<ul class=meta>{notes}</ul>" if notes else "")
    )


def _routes(data: ReportData) -> str:
    facts = all_route_facts(data)
    if not facts:
        return "<h2>Routes</h2>" + _none("no route was judged")
    rows = [
        [escape(f.label), escape(f.change), _cls(f.cls), escape(f.samples), escape(f.median), escape(f.shift),
         escape(f.errors), escape(f.throttled), escape(f.reason)]
        for f in facts
    ]
    header = ["route", "change", "class", "samples", "median ms base → head", "Hodges-Lehmann shift [interval]",
              "5xx base → head", "429 base → head", "reason"]
    return "<h2>Routes</h2>" + _table(header, rows)


def _distributions(data: ReportData) -> str:
    out = ["<h2>Latency: base vs head</h2>"]
    if not plots.available():
        return "".join(out) + _none("plots need matplotlib: pip install 'kassi[report]'")
    load = data.record.get("load")
    if isinstance(load, Mapping) and load:
        out += ["<h3>k6 latency per block, in run order (client side)</h3>", plots.blocks_figure(load, "blocks")]
    for index, route in enumerate(failing_first(data)):
        f = route_facts(route)
        samples = data.samples.get(f.label) or {}
        out.append(f"<h3>{escape(f.label)} {_cls(f.cls)}</h3>")
        if samples:
            out.append(plots.route_figure(f.label, samples, route.get("effects") or {}, f"r{index}"))
        else:
            out.append(_none("no per-request latencies for this route (see the notes at the top)"))
    return "".join(out)


def _gap(record: Mapping[str, Any]) -> str:
    """The client/server gap per variant and route, when the record has it: ``client_server`` maps
    variant -> route -> figures (e.g. client / server p50, p95 and their gap, in ms)."""
    gap = record.get("client_server")
    cells = [
        (str(variant), str(route), figures)
        for variant, per_route in (gap.items() if isinstance(gap, Mapping) else ())
        if isinstance(per_route, Mapping)
        for route, figures in per_route.items()
        if isinstance(figures, Mapping)
    ]
    if not cells:
        return "<h2>Client / server gap</h2>" + _none("not recorded in this run")
    keys = list(dict.fromkeys(k for _, _, figures in cells for k in figures))
    rows = [[escape(v), escape(r), *(escape(num(f.get(k), 2)) for k in keys)] for v, r, f in cells]
    numeric = frozenset(range(2, 2 + len(keys)))
    return "<h2>Client / server gap</h2>" + _table(["variant", "route", *keys], rows, numeric)


def _root_cause(data: ReportData) -> str:
    root = data.verdict.get("root_cause")
    out = ["<h2>Root cause</h2>"]
    if isinstance(root, Mapping):
        out.append(f"<p><b>{escape(str(root.get('summary', '')))}</b></p>")
        facts = [("kind", root.get("kind")), ("error", root.get("error")), ("location", root.get("location")),
                 ("introduced by the change", root.get("introduced_by_change"))]
        out.append(_table(["", ""], [[escape(k), escape(str(v))] for k, v in facts if v is not None]))
        name = str(root.get("hunk") or "")
        if data.hunk_text:
            title = f" <code>{escape(name)}</code>" if "\n" not in name else ""
            out += [f"<h3>Diff hunk{title}</h3>", _diff(data.hunk_text)]
        elif name:
            out.append(f"<p>diff hunk: <code>{escape(name)}</code> (its text is not available)</p>")
    else:
        out.append(_none("no root cause named"))
    evidence = [e for e in data.verdict.get("evidence") or [] if isinstance(e, Mapping)]
    if evidence:
        out += ["<h3>Evidence</h3>", _table(["fact", "source"], [[escape(str(e.get("fact"))),
                                                                   escape(str(e.get("source")))] for e in evidence])]
    return "".join(out)


def _remedy(record: Mapping[str, Any]) -> str:
    remedy = record.get("remedy")
    if not isinstance(remedy, Mapping) or not remedy:
        return "<h2>Fix</h2>" + _none("no fix in this run")
    out = ["<h2>Fix</h2>", f"<p>source: <b>{escape(str(remedy.get('source', '?')))}</b>"]
    files = remedy.get("files")
    if files:
        out.append(" · files: " + escape(", ".join(map(str, files))))
    out.append("</p>")
    if remedy.get("diff"):
        out.append(_diff(str(remedy["diff"])))
    checks = remedy.get("checks")
    if isinstance(checks, Mapping) and checks:
        out += ["<h3>Checks</h3>", _table(["check", "result"], [[escape(str(k)), escape(_short(v))]
                                                                 for k, v in checks.items()])]
    verified = remedy.get("verified")
    if isinstance(verified, Mapping):
        out.append(f"<h3>Verification</h3><p>head + fix vs base: {_cls(str(verified.get('class', '?')))} "
                   f"{escape(str(verified.get('reason', '')))}</p>")
    else:
        out.append(_none("the fix was not verified under load"))
    return "".join(out)


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def _walk(data: ReportData) -> str:
    rows = walk(data)
    if not rows:
        return "<h2>The agent's walk</h2>" + _none("ledger not available")
    longest = max((float(r["duration_s"]) for r in rows if r["duration_s"] != "—"), default=0.0) or 1.0
    body = []
    for r in rows:
        width = 0.0 if r["duration_s"] == "—" else 120 * float(r["duration_s"]) / longest
        css = {"refused": "refused", "failed": "failed"}.get(r["status"], "")
        cells = [r["seq"], r["card"], r["action"], r["status"]]
        body.append(
            f'<tr class="{css}">' + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + f'<td class=n>{escape(r["duration_s"])} <span class=bar style="width:{width:.0f}px"></span></td>'
            + f"<td>{escape(r['detail'])}</td></tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in ("seq", "card", "action", "status", "seconds", "detail"))
    return f"<h2>The agent's walk</h2><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _ledger(record: Mapping[str, Any]) -> str:
    ledger: Mapping[str, Any] = record.get("ledger") or {}
    keys = ("head", "entries", "sealed", "path")
    rows = [[escape(k), f"<code>{escape(str(ledger.get(k, '—')))}</code>"] for k in keys]
    return "<h2>Ledger</h2>" + _table(["", ""], rows) + (
        f'<p class="meta">check it: <code>kassi verify {escape(str(record.get("run_id", "RUN")))}</code></p>'
    )


def render_html(data: ReportData) -> str:
    """The whole report page."""
    title = f"kassi {data.verdict_class}: run {data.record.get('run_id', '?')}"
    body = "".join(
        (_header(data), _routes(data), _distributions(data), _gap(data.record), _root_cause(data),
         _remedy(data.record), _walk(data), _ledger(data.record))
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_STYLE}</style></head>'
        f"<body>{body}</body></html>\n"
    )
