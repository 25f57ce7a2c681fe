"""The record's figures as short text, shared by the HTML, markdown and JUnit renderers so the three
say the same thing the same way. Formatting only: every number is read from the record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kassi_app.report.data import ReportData, route_label

FAILING = ("REGRESSION", "DEGRADING")
"""Classes that fail a CI check (exit code 1)."""


def num(value: Any, digits: int = 1) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "—"


def pct(rate: Any) -> str:
    return f"{100 * rate:.1f} %" if isinstance(rate, int | float) else "—"


@dataclass(frozen=True)
class RouteFacts:
    label: str
    cls: str
    reason: str
    change: str
    samples: str
    median: str
    shift: str
    errors: str
    throttled: str
    signals: str


def route_facts(route: Mapping[str, Any]) -> RouteFacts:
    e: Mapping[str, Any] = route.get("effects") or {}
    samples: Mapping[str, Any] = route.get("samples") or {}
    shift = "—"
    if isinstance(e.get("shift_ms"), int | float):
        shift = f"{e['shift_ms']:+.1f} ms"
        ci = e.get("shift_ms_ci")
        if isinstance(ci, Sequence) and len(ci) == 2:
            shift += f" [{ci[0]:+.1f}, {ci[1]:+.1f}]"
        if isinstance(e.get("shift_pct"), int | float):
            shift += f" ({e['shift_pct']:+.1f} %)"
    return RouteFacts(
        label=route_label(route),
        cls=str(route.get("class", "")),
        reason=str(route.get("reason", "")),
        change=str(route.get("change", "")),
        samples=" / ".join(f"{k} {v}" for k, v in samples.items()) or "—",
        median=f"{num(e.get('median_base_ms'))} → {num(e.get('median_head_ms'))}",
        shift=shift,
        errors=f"{pct(e.get('error_rate_base'))} → {pct(e.get('error_rate_head'))}",
        throttled=f"{pct(e.get('throttle_rate_base'))} → {pct(e.get('throttle_rate_head'))}",
        signals=", ".join(str(s.get("name")) for s in route.get("signals") or [] if isinstance(s, Mapping)),
    )


def failing_first(data: ReportData) -> list[Mapping[str, Any]]:
    """The judged routes, failing ones first (the order a reader wants), then as the verdict lists them."""
    return sorted(data.routes, key=lambda r: r.get("class") not in FAILING)


def all_route_facts(data: ReportData) -> list[RouteFacts]:
    return [route_facts(r) for r in failing_first(data)]


def headline(data: ReportData) -> str:
    """The verdict's reason without the class it already starts with (shown beside it)."""
    return data.reason.removeprefix(f"{data.verdict_class}: ")


def refs(record: Mapping[str, Any]) -> str:
    """What was compared: ``repo base..head`` (A/B) or the URL (live)."""
    req: Mapping[str, Any] = record.get("request") or {}
    if req.get("url"):
        return str(req["url"])
    base, head = str(req.get("base") or "?"), str(req.get("head") or "?")
    return f"{req.get('repo') or '?'} {base[:12]}..{head[:12]}"


def walk(data: ReportData) -> list[dict[str, str]]:
    """The agent's walk from the ledger: one row per step or refusal."""
    rows = []
    for entry in data.ledger:
        raw = entry.get("outcome")
        outcome: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        detail = outcome.get("reason") or outcome.get("error") or ""
        rows.append(
            {
                "seq": str(entry.get("seq", "?")),
                "card": str(entry.get("card", "")),
                "action": str(entry.get("action", "unreadable line")),
                "kind": str(entry.get("kind", "")),
                "status": str(outcome.get("status", "unreadable")),
                "duration_s": num(outcome.get("duration_s"), 2),
                "detail": str(detail),
            }
        )
    return rows
