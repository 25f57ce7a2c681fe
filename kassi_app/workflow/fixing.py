"""The remedy and verify-fix phases: a fix for a REGRESSION or DEGRADING verdict, checked, then
proven under the run's own load against the run's own base service.

remedy: across a range of several commits, bisect to the first bad commit and revert it on head;
within one commit, the minimal revert of the hunk(s) the root cause names, narrowed by experiment
when the touched handlers hold several hunks; a model's structured edits when one is configured.
Every candidate is checked (applies, parses, the repo's tests) and the written analysis is audited.
verify_fix: base vs head+fix, the same k6 script and plan, judged by the same judge.

Each experiment and the verify run is an A/B measurement of the base service the run already
started (it is still up until conclude) against a service started at the candidate commit, its
events kept under their own run id (``<run>-try1`` ...) so they never mix with the run's own. The
fix budget bounds the experiments (localisation, bisection) and always keeps back the verify run's
cost. A remedy that fails is recorded (``remedy.error`` or a failed check), and the run concludes
with its own verdict: the fix never replaces it. See docs/remedy.md.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kassi_app.config import RunSettings
from kassi_app.errors import BadInput, InfrastructureError, KassiError
from kassi_app.events import LogEvent
from kassi_app.explain import render_analysis
from kassi_app.git import git
from kassi_app.judge import Verdict, judge_ab
from kassi_app.redact import redact_text
from kassi_app.remedy import (
    ChangeHunk,
    ModelFailure,
    Remedy,
    audit_with_model,
    bisect_commits,
    change_hunks,
    check_claims,
    check_fix,
    fix_commit,
    fix_context,
    hunks_for_cause,
    localise,
    minimal_revert,
    propose_fix,
    revert_commit,
    revert_patch,
    verification,
)
from kassi_app.remedy.backends import RemedyModels, configured
from kassi_app.target import TargetSpec, checkout, start_target
from kassi_app.telemetry.logparse import LogParser
from kassi_app.telemetry.queries import AccessEventsQuery
from kassi_app.workflow import actions
from kassi_app.workflow.context import RunContext, Side
from kassi_app.workflow.evidence import BlockResult
from kassi_app.workflow.record import full_analysis

FIXABLE = ("REGRESSION", "DEGRADING")
"""The verdicts a fix is proposed for; an experiment whose verdict is one of them did not clear it."""
CLEARED = ("HEALTHY", "THROTTLED")
"""An experiment's classes that clear the regression: a revert set must earn one (INCONCLUSIVE does not)."""


class OutOfBudget(Exception):
    """The next experiment would overrun the fix budget (after keeping the verify run's cost back)."""


@dataclass
class Trials:
    """Bounded A/B experiments of the run's base against a commit, under the run's load."""

    ctx: RunContext
    deadline: float
    experiments: list[dict[str, Any]] = field(default_factory=list)

    def cost_s(self) -> float:
        """What one A/B measurement costs at its longest (the run's rounds and every extension) on this
        machine: the run's own seconds per block and per started service, as its drive_load and
        start_targets phases measured them."""
        settings = _settings(self.ctx)
        seconds, blocks = self.ctx.timer.seconds, max(len(self.ctx.evidence.blocks), 1)
        rounds = settings.load.rounds + settings.max_extensions
        return 2 * rounds * seconds.get("drive_load", 0.0) / blocks + seconds.get("start_targets", 0.0) / 2

    def affordable(self) -> int:
        """How many more experiments fit, keeping the verify run's cost back."""
        cost = max(self.cost_s(), 1.0)
        return max(int((self.deadline - time.monotonic() - cost) // cost), 0)

    def holds(self, sha: str, what: dict[str, Any], key: str, classes: tuple[str, ...]) -> bool:
        """One experiment: is the class of ``sha`` against base one of ``classes``? Recorded with
        ``what`` was tried, the class, and the answer under ``key`` (``bad``, ``cleared``)."""
        if self.affordable() < 1:
            raise OutOfBudget(f"the fix budget leaves no time for another A/B run ({len(self.experiments)} done)")
        started = time.monotonic()
        error: dict[str, str] = {}
        try:
            cls = measure(self.ctx, sha, f"try{len(self.experiments) + 1}", _settings(self.ctx).load.rounds).cls
        except InfrastructureError as exc:
            # A candidate that breaks the service (a revert that keeps a use and drops its import: the
            # hunks depend on each other) did not clear anything; the search goes on to larger sets.
            cls, error = "INCONCLUSIVE", {"error": redact_text(str(exc))}
        self.experiments.append({**what, "commit": sha, "class": cls, key: cls in classes, **error,
                                 "duration_s": round(time.monotonic() - started, 3)})
        return cls in classes


def remedy(ctx: RunContext) -> dict[str, Any]:
    """Propose and check the fix; a failure is recorded (``remedy.error``) and raised, so the ledger
    shows the step failed, and the graph goes on to conclude with the run's verdict."""
    with ctx.timer.phase("remedy"):
        try:
            return _remedy(ctx)
        except KassiError as exc:
            ctx.evidence.remedy_error = str(exc)
            raise


def verify_fix(ctx: RunContext) -> dict[str, Any]:
    """Base vs head+fix under the run's load, judged by the run's judge: the fix's ``verified``.
    A model's fix that does not come back HEALTHY gives way to the minimal revert (verified in turn
    while the budget lasts)."""
    ev = ctx.evidence
    with ctx.timer.phase("verify_fix"):
        rounds = _settings(ctx).load.rounds
        chosen: Remedy | None = None
        for index, candidate in enumerate(ev.fix_candidates):
            if chosen is not None and time.monotonic() > (ev.fix_deadline or 0.0):
                break  # the model's fix used the budget: the revert stands unverified
            if chosen is not None:
                candidate.model = chosen.model
            chosen = ev.remedy = candidate
            try:
                sha = fix_commit(_repo(ctx), _head(ctx), candidate.patch, f"kassi: {candidate.source} fix")
                tag = "fix" if index == 0 else f"fix{index + 1}"  # each measurement under its own run id
                candidate.verified = verification(measure(ctx, sha, tag, rounds).to_dict())
            except KassiError as exc:
                candidate.verified = {"class": "INCONCLUSIVE", "reason": f"the verify-fix run failed: {exc}",
                                      "routes": []}
                wider = _whole_revert(ctx, candidate, exc)
                if wider is None:
                    _write_analysis(ctx)
                    raise
                ev.fix_candidates.append(wider)  # verified next, in this loop
                continue
            if candidate.verified["class"] == "HEALTHY" or candidate.source != "model":
                break
            candidate.model = {**(candidate.model or {}), "failure": ModelFailure(
                "not_verified", f"{candidate.verified['class']} against base under the same load").to_dict()}
        _write_analysis(ctx)
        verified = ev.remedy.verified if ev.remedy else None
        return {"fix_class": (verified or {}).get("class"), "fix_reason": (verified or {}).get("reason"),
                "fix_source": ev.remedy.source if ev.remedy else None}


def _whole_revert(ctx: RunContext, narrow: Remedy, failure: KassiError) -> Remedy | None:
    """When a partial revert breaks the service (its hunks depend on a kept one: a use reverted back,
    its import not), the whole change reverted is the next candidate; None when there is nothing
    wider to try (a model's fix, a commit revert, a whole revert already, or the run was stopped)."""
    if narrow.source != "revert" or not narrow.kept or not isinstance(failure, InfrastructureError):
        return None
    repo, head = _repo(ctx), _head(ctx)
    hunks = change_hunks(repo, _base(ctx), head)
    if not hunks or any(k.startswith("commit ") for k in narrow.kept):
        return None
    patch = revert_patch(repo, head, hunks, hunks)
    return Remedy("revert", patch,
                  f"reverting only {', '.join(narrow.reverted)} broke the service ({redact_text(str(failure))}); "
                  "the whole change is reverted", reverted=tuple(h.name for h in hunks), kept=(),
                  checks=check_fix(repo, head, patch), experiments=narrow.experiments)


def measure(ctx: RunContext, sha: str, tag: str, rounds: int) -> Verdict:
    """An A/B run outside the governed graph: the run's started base service against a service
    started at ``sha``, the run's k6 script, judged like the run (variants ``base`` and ``fix``) and,
    like the run, extended by one round at a time while INCONCLUSIVE and extensions remain."""
    ev, settings = ctx.evidence, _settings(ctx)
    base = next((s for s in ctx.resources.sides if s.variant == "base"), None)
    if base is None or base.target is None:
        raise InfrastructureError("the run's base service is not running: nothing to measure the fix against")
    run_id = f"{ctx.run_id}-{tag}"
    logs: list[LogEvent] = []

    def judged() -> Verdict:
        events = ctx.resources.truth.ask(AccessEventsQuery(run_id=run_id))
        return judge_ab(events, ev.changes.endpoints, settings.judge, slo=settings.slo.to_slo(),
                        variants=("base", "fix"))

    with ExitStack() as stack:
        workdir = stack.enter_context(checkout(_repo(ctx), sha))
        parser = LogParser(run_id, "fix", logs.append)
        stack.callback(parser.close)
        target = stack.enter_context(start_target(TargetSpec.load(workdir), workdir, parser.on_line))
        sides = [base, Side("fix", "127.0.0.1", target.port, target, parser)]
        blocks: list[BlockResult] = []
        actions.drive_rounds(ctx, sides, run_id, rounds, blocks, tag=f"{tag}-")
        verdict = judged()
        for _ in range(settings.max_extensions):
            if verdict.cls != "INCONCLUSIVE":
                break
            actions.drive_rounds(ctx, sides, run_id, 1, blocks, tag=f"{tag}-")
            verdict = judged()
    if logs:  # the fix service's own lines, stored under the measurement's run id
        ctx.resources.store.write_logs(logs)
    return verdict


def _remedy(ctx: RunContext) -> dict[str, Any]:
    ev, settings = ctx.evidence, _settings(ctx)
    if ev.verdict is None or ev.verdict.cls not in FIXABLE:
        raise InfrastructureError("no REGRESSION or DEGRADING verdict to fix")
    repo, base, head = _repo(ctx), _base(ctx), _head(ctx)
    ev.fix_deadline = time.monotonic() + settings.fix_budget_s
    trials = Trials(ctx, ev.fix_deadline)
    commits = git(repo, "rev-list", "--first-parent", f"{base}..{head}").split()
    hunks = change_hunks(repo, base, head)
    floor = (_bisected(ctx, trials, len(commits)) if len(commits) > 1 else None) or _localised(ctx, trials, hunks)
    floor.experiments = list(trials.experiments)
    floor.checks = check_fix(repo, head, floor.patch)
    candidates = [floor] if floor.checks.ok else []
    model = _model_fix(ctx, hunks)
    if isinstance(model, Remedy):
        candidates.insert(0, model)
        model.experiments = floor.experiments
    elif model is not None:
        floor.model = model
    ev.fix_candidates = candidates
    ev.remedy = candidates[0] if candidates else floor
    ev.remedy.audit = _audit(ev.verdict, ev.remedy, ctx.models)
    if ev.remedy is not floor:
        floor.audit = ev.remedy.audit
    _write_analysis(ctx)
    return {"fix_source": ev.remedy.source, "fix_files": list(ev.remedy.patch.files),
            "checks_ok": bool(ev.remedy.checks and ev.remedy.checks.ok), "fix_ready": bool(candidates),
            "experiments": len(trials.experiments)}


def _bisected(ctx: RunContext, trials: Trials, count: int) -> Remedy | None:
    """Across a range: the first bad commit by bisection (each step an experiment), reverted on head
    keeping every later commit. None (the caller takes the minimal revert of the whole range) when
    the budget ends the search or the commit's revert conflicts with a later one."""
    repo, base, head = _repo(ctx), _base(ctx), _head(ctx)
    try:
        found = bisect_commits(repo, base, head, lambda sha: trials.holds(sha, {"kind": "bisect"}, "bad", FIXABLE))
        assert found.first_bad is not None  # head is taken as bad: the run's verdict says so
        patch = revert_commit(repo, head, found.first_bad)
    except (OutOfBudget, InfrastructureError) as exc:
        trials.experiments.append({"kind": "bisect", "stopped": str(exc)})
        return None
    bad = found.first_bad
    subject = git(repo, "log", "-1", "--format=%s", bad)
    return Remedy(
        "revert", patch,
        f"bisection over {count} commits ({len(found.tested)} A/B runs): the first bad commit is "
        f"{bad[:12]} ({subject}); reverted on head, every other commit kept",
        reverted=(f"commit {bad[:12]}",), kept=tuple(f"commit {c[:12]}" for c in found.commits if c != bad),
    )


def _localised(ctx: RunContext, trials: Trials, hunks: list[ChangeHunk]) -> Remedy:
    """Within one change: the minimal revert of the root cause's hunk(s); when the touched handlers'
    files hold several hunks, the smallest set whose revert clears the regression, by experiment."""
    ev, repo, base, head = ctx.evidence, _repo(ctx), _base(ctx), _head(ctx)
    cause = ev.verdict.root_cause if ev.verdict else None
    hunk, location = (cause.hunk, cause.location) if cause else (None, None)
    floor = minimal_revert(repo, base, head, hunk, location)
    handler_files = {c.file for c in ev.changes.endpoints}
    in_handlers = [h for h in hunks if h.file in handler_files]
    if len(in_handlers) < 2 or trials.affordable() < 1:
        return Remedy("revert", floor.patch, floor.reason, reverted=floor.reverted, kept=floor.kept)

    def clears(subset: tuple[ChangeHunk, ...]) -> bool:
        patch = revert_patch(repo, head, hunks, subset)
        sha = fix_commit(repo, head, patch, "kassi: localisation experiment")
        return trials.holds(sha, {"kind": "hunks", "reverted": [h.name for h in subset]}, "cleared", CLEARED)

    try:
        found = localise(in_handlers, clears, hunks_for_cause(in_handlers, hunk, location), trials.affordable())
        chosen = found.hunks
    except OutOfBudget as exc:
        trials.experiments.append({"kind": "hunks", "stopped": str(exc)})
        chosen = None
    if chosen is None:
        note = "; no hunk set cleared it by experiment within the budget"
        return Remedy("revert", floor.patch, floor.reason + note, reverted=floor.reverted, kept=floor.kept)
    names = tuple(h.name for h in chosen)
    return Remedy(
        "revert", revert_patch(repo, head, hunks, chosen),
        f"localised by experiment: reverting {', '.join(names)} clears the regression "
        f"({len(trials.experiments)} A/B runs)",
        reverted=names, kept=tuple(h.name for h in hunks if h not in chosen),
    )


def _model_fix(ctx: RunContext, hunks: list[ChangeHunk]) -> Remedy | dict[str, Any] | None:
    """A configured model's edits as a checked candidate; its failure as the record's ``model``
    (the minimal revert stands); None when no model is configured."""
    ev = ctx.evidence
    try:
        settings = ctx.models.fixer if ctx.models is not None else configured()
    except BadInput as exc:
        return {"failure": {"reason": "refused", "detail": str(exc)}}
    if settings is None or ev.verdict is None:
        return None
    try:
        proposed = propose_fix(settings, _repo(ctx), _head(ctx), fix_context(_repo(ctx), _head(ctx),
                               ev.verdict.to_dict(), hunks))
    except ModelFailure as exc:
        return {"backend": settings.backend, "model": settings.model, "failure": exc.to_dict()}
    except KassiError as exc:
        return {"backend": settings.backend, "model": settings.model,
                "failure": {"reason": "does_not_apply", "detail": str(exc)}}
    about = {"backend": settings.backend, "model": settings.model, "rationale": proposed.edits.rationale}
    checks = check_fix(_repo(ctx), _head(ctx), proposed.patch)
    if not checks.ok:
        failed = "; ".join(f"{c.name}: {c.reason}" for c in checks.failures())
        return {**about, "failure": ModelFailure("checks_failed", failed).to_dict()}
    return Remedy("model", proposed.patch, proposed.edits.rationale, checks=checks, model=about)


def _audit(verdict: Verdict, fix: Remedy, models: RemedyModels | None) -> dict[str, Any]:
    """The claim check of the written analysis, always; the auditor model's opinion when one is
    configured (``models``, else ``KASSI_AUDITOR_BACKEND`` ...). Advisory: recorded, never acted on."""
    analysis, facts = render_analysis(verdict), verdict.to_dict()
    audit: dict[str, Any] = {**check_claims(analysis, facts).to_dict(), "auditor": None}
    try:
        settings = models.auditor if models is not None else configured("KASSI_AUDITOR")
        if settings is not None:
            opinion = audit_with_model(settings, analysis, fix.patch.text, facts)
            audit["auditor"] = {"backend": settings.backend, "model": settings.model, **opinion.model_dump()}
    except ModelFailure as exc:
        audit["auditor"] = {"failure": exc.to_dict()}
    except BadInput as exc:
        audit["auditor"] = {"failure": {"reason": "refused", "detail": str(exc)}}
    return audit


def _write_analysis(ctx: RunContext) -> None:
    if ctx.evidence.verdict is not None:
        text = full_analysis(ctx.evidence.verdict, ctx.evidence.remedy)
        (ctx.run_dir / "analysis.md").write_text(redact_text(text), encoding="utf-8")


def _settings(ctx: RunContext) -> RunSettings:
    if ctx.evidence.settings is None:
        raise BadInput("the run has not begun")
    return ctx.evidence.settings


def _repo(ctx: RunContext) -> Path:
    repo = ctx.evidence.request.repo_path if ctx.evidence.request else None
    if repo is None:
        raise BadInput("a fix needs an A/B run of a repo")
    return repo


def _base(ctx: RunContext) -> str:
    assert ctx.evidence.request is not None
    return ctx.evidence.refs[ctx.evidence.request.base]


def _head(ctx: RunContext) -> str:
    assert ctx.evidence.request is not None
    return ctx.evidence.refs[ctx.evidence.request.head]
