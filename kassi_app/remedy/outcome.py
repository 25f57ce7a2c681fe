"""The remedy as the run records it (run JSON ``remedy``) and as the analysis shows it (its "Fix"
section). Filled in by the workflow's remedy and verify-fix phases; deterministic text only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kassi_app.remedy.checks import FixChecks
from kassi_app.remedy.patch import Patch

RemedySource = Literal["revert", "model"]
_VERIFIED_EFFECTS = ("median_base_ms", "median_head_ms", "shift_ms", "shift_pct", "error_rate_base", "error_rate_head")


@dataclass
class Remedy:
    """One fix and what is known about it. ``verified`` is ``verification(...)`` of the verify-fix
    run (base vs head+fix under the same load); ``experiments`` lists each localisation or bisection
    step; ``model`` the model's rationale or its failure; ``audit`` the claim check and any opinion."""

    source: RemedySource
    patch: Patch
    reason: str
    reverted: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    checks: FixChecks | None = None
    verified: Mapping[str, Any] | None = None
    experiments: list[Mapping[str, Any]] = field(default_factory=list)
    model: Mapping[str, Any] | None = None
    audit: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "reason": self.reason,
            "diff": self.patch.text,
            "files": list(self.patch.files),
            "hunks_reverted": list(self.reverted),
            "hunks_kept": list(self.kept),
            "checks": self.checks.to_dict() if self.checks else None,
            "verified": dict(self.verified) if self.verified is not None else None,
            "experiments": [dict(e) for e in self.experiments],
            "model": dict(self.model) if self.model is not None else None,
            "audit": dict(self.audit) if self.audit is not None else None,
        }


def verification(verdict: Mapping[str, Any]) -> dict[str, Any]:
    """The verify-fix verdict (a ``Verdict.to_dict()`` of base vs head+fix) reduced to its class,
    reason and each route's effect sizes."""
    routes = [
        {"endpoint": f"{r['method']} {r['route']}", "class": r["class"],
         **{k: r.get("effects", {}).get(k) for k in _VERIFIED_EFFECTS}}
        for r in verdict.get("routes", [])
    ]
    return {"class": verdict.get("class"), "reason": verdict.get("reason"), "routes": routes}


def fix_section(remedy: Remedy) -> str:
    """The analysis's "Fix" section (markdown): what the fix is, its checks, its verification, the
    diff, what the model and the audit said."""
    lines = ["## Fix", ""]
    if remedy.source == "revert":
        kept = f" (kept: {', '.join(remedy.kept)})" if remedy.kept else ""
        lines.append(f"Minimal revert of {', '.join(remedy.reverted) or 'the change'}{kept}: {remedy.reason}.")
    else:
        lines.append(f"Model edits to {', '.join(remedy.patch.files)}: {remedy.reason}")
    if remedy.checks:
        shown = "; ".join(f"{c.name} {c.status}" + (f" ({c.reason})" if c.status != "passed" else "")
                          for c in remedy.checks.results())
        lines += ["", f"Checks: {shown}."]
    lines += ["", verified_line(remedy.verified)]
    lines += ["", "```diff", remedy.patch.text.rstrip("\n"), "```"]
    if remedy.model:
        failure = remedy.model.get("failure")
        lines += ["", f"Model: {failure['reason']}: {failure['detail']} — the minimal revert stands." if failure
                  else f"Model: {remedy.model.get('rationale', '')}"]
    if remedy.audit:
        unsupported = remedy.audit.get("unsupported") or []
        lines += ["", "Audit: every claim of the analysis is in the evidence." if not unsupported else
                  "Audit: not in the evidence: " + "; ".join(f"{u['text']} (line {u['line']})" for u in unsupported)]
    return "\n".join(lines) + "\n"


def verified_line(verified: Mapping[str, Any] | None) -> str:
    if verified is None:
        return "fix not verified under load."
    if verified.get("class") == "HEALTHY":
        return "fix verified: HEALTHY against base under the same load."
    return f"fix NOT verified: {verified.get('class')} against base under the same load ({verified.get('reason')})."
