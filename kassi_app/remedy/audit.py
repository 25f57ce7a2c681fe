"""The audit of a written analysis: a deterministic claim check (every route, number, error text and
file:line the analysis states must be found in the verdict's facts, each with the source that
observed it), and an optional auditor model's advisory opinion. The audit never changes the verdict.

Facts are read from a ``Verdict.to_dict()`` (the run record's ``verdict``): the evidence list with
its sources, each route's figures and signals (source ``judge``), the root cause, the reason and the
exit code. The Recommendation section is advice, not a claim about this run, and is not checked."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kassi_app.remedy.backends import ModelSettings, ask

ClaimKind = Literal["route", "number", "error", "location"]

_METHODS = "GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS"
_ROUTE = re.compile(rf"\b(?:{_METHODS})\s+/[^\s|,;:()]*|(?<![\w.])/[A-Za-z0-9_{{}}.\-]+(?:/[A-Za-z0-9_{{}}.\-]*)*")
_LOCATION = re.compile(r"(?<![\w/.])[\w./-]+\.[A-Za-z]\w*:\d+(?:-\d+)?")
_QUOTED = re.compile(r"'([^'\n]{3,})'|\"([^\"\n]{3,})\"|`([^`\n]{3,})`")
_EXCEPTION = re.compile(r"\b[\w.]*(?:Error|Exception|Timeout)\b")
_NUMBER = re.compile(r"(?:(?<=\bx)|(?<![\w.]))[-+]?\d+(?:\.\d+)?(?![\w])")
_SKIP_SECTIONS = ("## Recommendation",)


@dataclass(frozen=True)
class Fact:
    text: str
    source: str


@dataclass(frozen=True)
class Claim:
    kind: ClaimKind
    text: str
    line: int
    """Line of the analysis (1-based) that states it."""
    about: str | None = None
    """The first ``METHOD /route`` on the same line: a number there must come from a fact about that
    route (or from a fact about no route in particular)."""


@dataclass(frozen=True)
class ClaimReport:
    """Each claim with the source of a fact that supports it, or None when no fact does."""

    checked: tuple[tuple[Claim, str | None], ...]

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c, source in self.checked if source is None]

    def to_dict(self) -> dict[str, object]:
        return {
            "claims": len(self.checked),
            "unsupported": [{"kind": c.kind, "text": c.text, "line": c.line} for c in self.unsupported],
        }


def facts_of(verdict: Mapping[str, Any]) -> list[Fact]:
    """Everything the verdict knows, as text with the source that observed it."""
    facts = [Fact(str(e["fact"]), str(e["source"])) for e in verdict.get("evidence", [])]
    facts.append(Fact(f"{verdict.get('reason', '')} (exit {verdict.get('exit_code')})", "judge"))
    for route in verdict.get("routes", []):
        name = f"{route['method']} {route['route']}"
        figures = " ".join(f"{k}={_flat(v)}" for k, v in route.get("effects", {}).items())
        samples = " ".join(f"{k}={v}" for k, v in route.get("samples", {}).items())
        signals = "; ".join(s["detail"] for s in route.get("signals", []))
        facts.append(Fact(f"{name} {route.get('class')} {route.get('reason')} {figures} {samples} {signals}", "judge"))
    cause = verdict.get("root_cause") or {}
    if cause:
        facts.append(Fact(" ".join(str(cause.get(k) or "") for k in ("summary", "error", "location", "hunk")),
                          "root cause"))
    return facts


def _flat(value: Any) -> str:
    return " ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def claims_of(analysis: str) -> Iterator[Claim]:
    """Routes, file:lines, quoted error texts, exception names and numbers, line by line; each span
    is claimed once (a number inside a route or a quote is not a claim of its own)."""
    skipping = False
    for number, raw in enumerate(analysis.replace("\\<", "<").splitlines(), start=1):
        if raw.startswith("## "):
            skipping = raw.startswith(_SKIP_SECTIONS)
        if skipping or raw.startswith("#") or set(raw) <= set("|-: "):
            continue
        line = raw if not raw.startswith("| endpoint ") else ""  # the table's header row names columns
        about = next((m.group(0) for m in _ROUTE.finditer(_QUOTED.sub("", line)) if " " in m.group(0)), None)
        for kind, pattern in (("error", _QUOTED), ("location", _LOCATION), ("route", _ROUTE),
                              ("error", _EXCEPTION), ("number", _NUMBER)):
            for match in pattern.finditer(line):
                text = next((g for g in match.groups() if g), None) or match.group(0)
                yield Claim(kind, text.strip(), number, about)  # type: ignore[arg-type]
            line = pattern.sub(lambda m: " " * len(m.group(0)), line)


def check_claims(analysis: str, verdict: Mapping[str, Any]) -> ClaimReport:
    """Which claims of ``analysis`` the verdict's facts support (and from which source)."""
    facts = facts_of(verdict)
    return ClaimReport(tuple((claim, _support(claim, facts)) for claim in claims_of(analysis)))


def _support(claim: Claim, facts: list[Fact]) -> str | None:
    if claim.kind == "number":
        about = claim.about
        relevant = [f for f in facts if about is None or _mentions(f.text, about) or not _names_route(f.text)]
        return next((f.source for f in relevant if _has_number(claim.text, f.text)), None)
    if claim.kind == "location":
        return next((f.source for f in facts if _has_location(claim.text, f.text)), None)
    wanted = " ".join(claim.text.lower().split())
    return next((f.source for f in facts if wanted in " ".join(f.text.lower().split())), None)


def _mentions(text: str, route: str) -> bool:
    """``route`` itself in ``text``, not a longer route it is a prefix of."""
    return re.search(re.escape(route) + r"(?![\w/{}\-.])", text) is not None


def _names_route(text: str) -> bool:
    return any(" " in m.group(0) for m in _ROUTE.finditer(text))


def _has_number(claim: str, fact: str) -> bool:
    """A number in ``fact`` that reads as ``claim`` at the claim's precision, or as a percentage."""
    decimals = len(claim.partition(".")[2])
    want = float(claim)
    for found in _NUMBER.finditer(fact):
        value = float(found.group(0))
        for candidate in (value, 100 * value):
            if math.isclose(round(candidate, decimals), want, abs_tol=10 ** -(decimals + 3)):
                return True
    return False


def _has_location(claim: str, fact: str) -> bool:
    """The same file:line, or a file:start-end range in ``fact`` that holds the claimed line."""
    file, _, lines = claim.rpartition(":")
    first, _, last = lines.partition("-")
    for found in _LOCATION.finditer(fact):
        f_file, _, f_lines = found.group(0).rpartition(":")
        f_first, _, f_last = f_lines.partition("-")
        if f_file == file and int(f_first) <= int(first) and int(last or first) <= int(f_last or f_first):
            return True
    return False


class AuditorOpinion(BaseModel):
    """An auditor model's advisory answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grounded: bool = Field(description="true when every claim of the analysis and the fix follow from the evidence")
    concerns: list[str] = Field(description="each claim or edit that the evidence does not support, and why")


AUDITOR_SYSTEM = (
    "You audit a performance-regression analysis and its proposed fix. Check only whether each claim "
    "and each edit is grounded in the evidence given (the facts, with the component that observed "
    "them). Do not judge style. List every unsupported claim or edit as a concern."
)


def audit_with_model(settings: ModelSettings, analysis: str, fix_diff: str,
                     verdict: Mapping[str, Any]) -> AuditorOpinion:
    """Ask an independent auditor model whether ``analysis`` and ``fix_diff`` are grounded in the
    verdict's facts. Advisory: record it, never act on it. Raises ``ModelFailure``."""
    facts = "\n".join(f"- {f.text} (source: {f.source})" for f in facts_of(verdict))
    prompt = f"## Facts\n{facts}\n\n## Analysis\n{analysis}\n\n## Fix (unified diff)\n```diff\n{fix_diff}\n```"
    return ask(settings, AUDITOR_SYSTEM, prompt, AuditorOpinion)
