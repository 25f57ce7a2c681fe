"""Remediation: the minimal revert (deterministic floor), hunk localisation and commit bisection
by experiment, optional model-proposed edits, checks on a candidate fix, and the analysis audit.

The workflow's remedy and verify-fix phases call into this package; it runs no load itself (the
caller's A/B runs are the callbacks of ``localise`` and ``bisect_commits``). See docs/remedy.md.
"""

from kassi_app.remedy.audit import AuditorOpinion, ClaimReport, audit_with_model, check_claims
from kassi_app.remedy.backends import ModelFailure, ModelSettings
from kassi_app.remedy.checks import CheckResult, FixChecks, check_fix
from kassi_app.remedy.edits import Edit, EditSet
from kassi_app.remedy.outcome import Remedy, fix_section, verification
from kassi_app.remedy.patch import Patch, fix_commit
from kassi_app.remedy.propose import ModelFix, fix_context, propose_fix
from kassi_app.remedy.revert import (
    Bisection,
    ChangeHunk,
    Localisation,
    Revert,
    bisect_commits,
    candidates,
    change_hunks,
    hunks_for_cause,
    localise,
    minimal_revert,
    revert_commit,
    revert_patch,
)

__all__ = [
    "AuditorOpinion",
    "Bisection",
    "ChangeHunk",
    "CheckResult",
    "ClaimReport",
    "Edit",
    "EditSet",
    "FixChecks",
    "Localisation",
    "ModelFailure",
    "ModelFix",
    "ModelSettings",
    "Patch",
    "Remedy",
    "Revert",
    "audit_with_model",
    "bisect_commits",
    "candidates",
    "change_hunks",
    "check_claims",
    "check_fix",
    "fix_commit",
    "fix_context",
    "fix_section",
    "hunks_for_cause",
    "localise",
    "minimal_revert",
    "propose_fix",
    "revert_commit",
    "revert_patch",
    "verification",
]
