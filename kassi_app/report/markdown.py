"""The run as a pull-request comment (GitHub-flavoured markdown): the verdict, a small per-route table,
the root cause, the fix as a diff block, and the evidence folded in ``<details>``.

GitHub refuses comments over 65,536 characters, so the comment is built to a budget: the verdict,
table and root cause always fit; the fix diff and the evidence are cut to what is left, saying so."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kassi_app.report.data import ReportData
from kassi_app.report.facts import all_route_facts, headline, refs, walk

LIMIT = 65_000
MAX_ROUTES = 40
MAX_CELL = 200
MAX_HUNK = 6_000
_EMOJI = {"REGRESSION": "🔴", "DEGRADING": "🟠", "THROTTLED": "🟣", "HEALTHY": "🟢", "INCONCLUSIVE": "⚪"}


def _text(value: Any, limit: int = 2000) -> str:
    """Plain text safe in markdown prose and table cells: no raw HTML, no cell breaks, bounded."""
    text = " ".join(str(value).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _fence(body: str, lang: str) -> str:
    """A fenced block whose fence is longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body.rstrip()}\n{fence}\n"


def _cut(body: str, budget: int, what: str) -> str:
    if len(body) <= budget:
        return body
    keep = body[: max(budget, 0)].rsplit("\n", 1)[0]
    return f"{keep}\n… {what} cut here: {len(body) - len(keep)} more characters, see the HTML report\n"


def _summary(data: ReportData) -> str:
    cls = data.verdict_class
    record = data.record
    lines = [
        f"## {_EMOJI.get(cls, '')} kassi: **{cls}**",
        "",
        _text(headline(data)),
        "",
        f"<sub>run `{_text(record.get('run_id', '?'))}` · {_text(refs(record))} · "
        f"ledger head `{_text(data.ledger_head[:16] or '—')}`</sub>",
        "",
    ]
    facts = all_route_facts(data)
    if facts:
        lines += ["| route | class | median ms base → head | shift [interval] | 5xx base → head |", "|---" * 5 + "|"]
        lines += [
            f"| `{_text(f.label, MAX_CELL)}` | {f.cls} | {f.median} | {f.shift} | {f.errors} |"
            for f in facts[:MAX_ROUTES]
        ]
        if len(facts) > MAX_ROUTES:
            lines.append(f"\n… and {len(facts) - MAX_ROUTES} more routes in the HTML report")
        lines.append("")
    root = data.verdict.get("root_cause")
    if isinstance(root, Mapping):
        lines += ["### Root cause", "", _text(root.get("summary", "")), ""]
        where = [f"{k}: `{_text(root[k], MAX_CELL)}`" for k in ("error", "location", "hunk") if root.get(k)]
        lines += [" · ".join(where), ""] if where else []
        if data.hunk_text:
            lines += ["<details><summary>the diff hunk</summary>", "", _fence(_cut(data.hunk_text, MAX_HUNK, "hunk"),
                                                                            "diff"), "</details>", ""]
    return "\n".join(lines)


def _fix(record: Mapping[str, Any], budget: int) -> str:
    remedy = record.get("remedy")
    if not isinstance(remedy, Mapping) or not remedy.get("diff"):
        return "### Fix\n\nno fix in this run\n"
    verified = remedy.get("verified")
    status = (
        f"verified under the same load: **{_text(verified.get('class', '?'))}** against base"
        if isinstance(verified, Mapping)
        else "not verified under load"
    )
    head = f"### Fix ({_text(remedy.get('source', '?'))})\n\n{status}\n\n"
    return head + _fence(_cut(str(remedy["diff"]), budget - len(head) - 20, "diff"), "diff")


def _evidence(data: ReportData, budget: int) -> str:
    items = [
        f"- {_text(e.get('fact'))} _(source: {_text(e.get('source'))})_"
        for e in data.verdict.get("evidence") or []
        if isinstance(e, Mapping)
    ]
    items += [f"- {_text(r['seq'])} {_text(r['card'])} · {_text(r['action'])}: {r['status']}"
              f"{' — ' + _text(r['detail'], MAX_CELL) if r['detail'] else ''}" for r in walk(data)]
    opening, closing = "<details><summary>Evidence and the agent's walk</summary>\n\n", "\n</details>\n"
    room = budget - len(opening) - len(closing) - 200
    kept: list[str] = []
    used = 0
    for item in items:
        if used + len(item) + 1 > room:
            break
        kept.append(item)
        used += len(item) + 1
    if len(kept) < len(items):
        kept.append(f"\n… {len(items) - len(kept)} more lines left out to keep this comment under "
                    f"{LIMIT:,} characters: see the HTML report")
    return opening + "\n".join(kept) + closing


def render_markdown(data: ReportData) -> str:
    """The comment, always under ``LIMIT`` characters."""
    summary = _summary(data)[: LIMIT // 2]
    fix = _fix(data.record, (LIMIT - len(summary)) // 2)
    out = f"{summary}\n{fix}\n{_evidence(data, LIMIT - len(summary) - len(fix) - 2)}"
    return out if len(out) <= LIMIT else out[: LIMIT - 40] + "\n\n… cut to stay under the limit\n"
