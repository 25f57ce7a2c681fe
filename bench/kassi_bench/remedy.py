"""The remediation benchmark behind ``kassi bench remedy``: real governed runs with ``fix`` on.

Three kinds of scenario, each one end-to-end run of a demo repo:
- every fault demo kassi should fix (expected REGRESSION or DEGRADING): does the fix apply, parse,
  and come back HEALTHY against base under the same load?
- ``isolation``: the write-lock demo, its head commit amended with harmless hunks (one in the
  handler's file, one in a tool): the fix must revert the harmful hunk and keep both harmless ones;
- ``bisection``: the write-lock fault as the third of four commits: bisection must name it.
Each row carries the run's wall time and the extra time the fix cost (remedy + verify_fix).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kassi_app.config import RunRequest
from kassi_app.demos import CATALOGUE, init_demo
from kassi_app.workflow.fixing import FIXABLE
from kassi_app.workflow.runner import run_request

HARMLESS_DOC = ('"""Library: books, members and loans over SQLite (Flask, threaded dev server)."""\n',
                '"""Library: books, members and signed loans over SQLite (Flask, threaded dev server)."""\n')
"""A reworded module docstring of the write-lock demo's app.py: same line count, so the harmful
hunk keeps its name."""
TOOL = "tools/export_loans.py"


@dataclass(frozen=True)
class Scenario:
    """A repo to build (in an empty folder) and what its fix must show."""

    name: str
    build: Callable[[Path], tuple[Path, str, str, dict[str, Any]]]
    """folder -> (repo, base, head, what the check needs)"""


@dataclass(frozen=True)
class RemedyScore:
    scenario: str
    verdict: str
    source: str
    applies: str
    parses: str
    verified: str
    finding: str
    """What the scenario checks beyond verification: hunks kept, the first bad commit."""
    correct: bool
    experiments: int
    wall_s: float
    fix_s: float


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "kassi-bench", "GIT_AUTHOR_EMAIL": "bench@kassi.invalid",
           "GIT_COMMITTER_NAME": "kassi-bench", "GIT_COMMITTER_EMAIL": "bench@kassi.invalid", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          timeout=60, env=env).stdout.strip()


def _replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise RuntimeError(f"{path.name}: the text to replace is not there exactly once")
    path.write_text(text.replace(old, new), encoding="utf-8")


def _demo(name: str) -> Callable[[Path], tuple[Path, str, str, dict[str, Any]]]:
    def build(folder: Path) -> tuple[Path, str, str, dict[str, Any]]:
        repo = init_demo(name, folder / "repo")
        return repo.path, repo.base, repo.head, {}

    return build


def _isolation(folder: Path) -> tuple[Path, str, str, dict[str, Any]]:
    """The write-lock head amended with two harmless hunks (the same repo tests/remedy builds)."""
    repo = init_demo("sqlite-write-lock", folder / "repo")
    _replace_once(repo.path / "app.py", *HARMLESS_DOC)
    tool = repo.path / TOOL
    tool.write_text("# Export loans to CSV (offline tool).\n" + tool.read_text(encoding="utf-8"), encoding="utf-8")
    _git(repo.path, "commit", "--quiet", "--all", "--amend", "--no-edit")
    return repo.path, repo.base, _git(repo.path, "rev-parse", "HEAD"), {"harmless": {"app.py:1-4", f"{TOOL}:1-4"}}


def _bisection(folder: Path) -> tuple[Path, str, str, dict[str, Any]]:
    """base, then four commits: a README note, a tool comment, the write-lock fault, another note."""
    repo = init_demo("sqlite-write-lock", folder / "repo")
    path = repo.path
    _git(path, "checkout", "--quiet", "--detach", repo.base)
    shas: list[str] = []

    def commit(message: str) -> None:
        _git(path, "commit", "--quiet", "--all", "-m", message)
        shas.append(_git(path, "rev-parse", "HEAD"))

    (path / "README.md").write_text((path / "README.md").read_text(encoding="utf-8") + "\nRelease notes below.\n",
                                    encoding="utf-8")
    commit("Docs: release notes")
    tool = path / TOOL
    tool.write_text("# Export loans to CSV (offline tool).\n" + tool.read_text(encoding="utf-8"), encoding="utf-8")
    commit("Tools: header comment")
    _git(path, "checkout", repo.head, "--", "app.py")
    commit("Sign loan receipts over the loan id")
    (path / "README.md").write_text((path / "README.md").read_text(encoding="utf-8") + "- receipts signed\n",
                                    encoding="utf-8")
    commit("Docs: note the receipts")
    return path, repo.base, shas[-1], {"first_bad": shas[2]}


def scenarios() -> dict[str, Scenario]:
    """Every fault demo kassi should fix, then the isolation and bisection repos."""
    faults = [Scenario(d.name, _demo(d.name)) for d in CATALOGUE.values() if d.expected in FIXABLE]
    return {s.name: s for s in (*faults, Scenario("isolation", _isolation), Scenario("bisection", _bisection))}


def run_scenario(scenario: Scenario, fix_budget_s: float, home: Path | None = None) -> RemedyScore:
    """One governed run with ``fix`` on, scored."""
    folder = Path(tempfile.mkdtemp(prefix=f"kassi-bench-remedy-{scenario.name}-"))
    try:
        repo, base, head, want = scenario.build(folder)
        started = time.monotonic()
        outcome = run_request(RunRequest(mode="ab", repo=str(repo), base=base, head=head, label="bench-remedy",
                                         fix=True, fix_budget_s=fix_budget_s), home=home)
        wall = time.monotonic() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return score(scenario.name, outcome.record, want, wall)


def score(name: str, record: dict[str, Any], want: dict[str, Any], wall_s: float) -> RemedyScore:
    """A run's record against what its scenario asks of the fix."""
    verdict = str((record.get("verdict") or {}).get("class", "INCONCLUSIVE"))
    remedy = record.get("remedy") or {}
    checks = remedy.get("checks") or {}
    applies = (checks.get("applies") or {}).get("status", "-")
    parses = checks.get("parses") or []
    parsed = "passed" if parses and all(c["status"] == "passed" for c in parses) else (
        "-" if not parses else "failed")
    verified = str((remedy.get("verified") or {}).get("class", remedy.get("error") or "-"))
    finding, ok = "-", True
    if "harmless" in want:
        kept = set(remedy.get("hunks_kept") or [])
        ok = want["harmless"] <= kept and not want["harmless"] & set(remedy.get("hunks_reverted") or [])
        finding = f"kept {', '.join(sorted(kept)) or 'nothing'}"
    if "first_bad" in want:
        reverted = remedy.get("hunks_reverted") or []
        ok = reverted == [f"commit {want['first_bad'][:12]}"]
        finding = f"first bad {reverted[0] if reverted else 'not found'} (want {want['first_bad'][:12]})"
    timings = record.get("timings_s") or {}
    return RemedyScore(
        name, verdict, str(remedy.get("source", "-")), applies, parsed, verified, finding,
        ok and verdict in FIXABLE and applies == "passed" and parsed == "passed" and verified == "HEALTHY",
        len(remedy.get("experiments") or []), wall_s,
        float(timings.get("remedy", 0.0)) + float(timings.get("verify_fix", 0.0)),
    )
