"""The watcher: one poll of a branch turns every commit pushed since the last poll into one recorded
outcome, oldest first, independent of which face (the Splunk input, ``kassi watch``) polls.

Semantics (docs/watching.md):

- The first poll records the branch tip as the baseline (``baseline``, no run).
- Every later commit on the branch's first-parent history gets one A/B run against its first parent
  (``ran``, or ``failed`` with the reason); a commit that changes no endpoint is ``skipped`` with the
  reason. In ``tip`` mode a push is run once, as one change from the previous tip to the new one,
  and the commits before the new tip are ``skipped`` ("tested together with ...").
- A force-push (the recorded tip is no ancestor of the new one) is recorded as ``rewritten``; the
  commits after the common ancestor of both histories are then handled as usual, or, without a
  common ancestor, the new tip becomes the baseline.
- The checkpoint moves only after a commit's outcome has been emitted: a watcher killed mid-run
  runs that commit again on restart and never skips one.
- One watcher at a time per repo (a lock under the kassi home); a poll that finds the lock held does
  nothing and the next one catches up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import SecretStr

from kassi_app.change import changed_endpoints
from kassi_app.config import LoadOverrides, RunRequest
from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.git import GitFailed, git, show_file
from kassi_app.target.spec import SPEC_FILE
from kassi_app.watch.checkpoint import Checkpoint, CheckpointFile, repo_lock
from kassi_app.watch.events import Emit, EventSink
from kassi_app.watch.source import RepoSource
from kassi_app.workflow.runner import RunOutcome
from kassi_app.workflow.sink import RunSink

if TYPE_CHECKING:
    from kassi_app.remedy.backends import RemedyModels

Action = Literal["baseline", "skipped", "ran", "failed", "rewritten"]
WatchMode = Literal["every", "tip"]
RunFn = Callable[[RunRequest, RunSink], RunOutcome]
"""Runs one request to its end, reporting to the sink: ``run_request`` in production, a recorder in
tests."""
MAX_FILES_NAMED = 5
MIN_DURATION_S = 2.0
MAX_DURATION_S = 3600.0
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchConfig:
    """One watched branch: the input stanza's arguments, or ``kassi watch``'s."""

    name: str
    repo: str
    branch: str = "main"
    mode: WatchMode = "every"
    load: LoadOverrides = field(default_factory=LoadOverrides)
    allow_hosts: tuple[str, ...] = ()
    fix: bool = False
    token: SecretStr | None = None
    models: RemedyModels | None = None
    """With ``fix``: the fix's models as the face chose them (None: from the environment)."""


@dataclass(frozen=True)
class WatchOutcome:
    """What happened to one commit: the ``kassi:watch`` event."""

    repo: str
    branch: str
    commit: str
    parent: str
    action: Action
    run_id: str = ""
    verdict: str = ""
    reason: str = ""

    def to_event(self, at: float) -> dict[str, Any]:
        return {"_time": at, "repo": self.repo, "branch": self.branch, "commit": self.commit, "parent": self.parent,
                "action": self.action, "run_id": self.run_id or None, "verdict": self.verdict or None,
                "reason": self.reason}


def duration_load(seconds: float | None) -> LoadOverrides:
    """Load overrides for a watch's ``duration``: the seconds of load per block, split between the
    low and the high stage in the defaults' 3:5 ratio (each at least k6's 1 s); None keeps kassi.toml's
    load."""
    if seconds is None:
        return LoadOverrides()
    if not MIN_DURATION_S <= seconds <= MAX_DURATION_S:
        raise BadInput(f"duration must be between {MIN_DURATION_S:g} and {MAX_DURATION_S:g} seconds, got {seconds:g}")
    low = max(1.0, round(seconds * 3 / 8, 1))
    return LoadOverrides(low_duration_s=low, high_duration_s=max(1.0, round(seconds - low, 1)))


def _default_run(home: Path, models: RemedyModels | None) -> RunFn:
    def run(request: RunRequest, sink: RunSink) -> RunOutcome:
        from kassi_app.workflow.runner import run_request

        return run_request(request, sink, home, models=models)

    return run


class Watcher:
    """Polls one watched branch; ``emit`` receives every event (watch, run, phase) as it happens."""

    def __init__(self, config: WatchConfig, checkpoint: CheckpointFile, home: Path, emit: Emit,
                 run: RunFn | None = None) -> None:
        self.config = config
        self.checkpoint = checkpoint
        self.home = home
        self.emit = emit
        self.run = run or _default_run(home, config.models)
        self.source = RepoSource(config.repo, home, config.token)

    def check(self) -> str:
        """What a watch needs before it starts, as BadInput naming what is wrong: a repo kassi can
        read (cloned or fetched for a URL), the branch, and a kassi.toml at the branch's tip.
        Returns the tip's commit id. While another watcher holds the repo, a URL's existing clone is
        read as it is (git reads are safe during a fetch) rather than waiting out a run."""
        with repo_lock(self._lock_path) as held:
            if held or not self.source.is_url:
                repo = self.source.prepare()
            elif (self.source.clone_path / ".git").is_dir():
                repo = self.source.clone_path
            else:
                raise InfrastructureError(f"another watcher is cloning {self.source.display}; try again shortly")
            tip = self._tip(repo)
            has_spec = show_file(repo, tip, SPEC_FILE) is not None
        if not has_spec:
            raise BadInput(f"no {SPEC_FILE} at the tip of branch {self.config.branch!r} ({tip[:12]}) in "
                           f"{self.source.display}: kassi needs it to start the service (docs/kassi-toml.md)")
        return tip

    @property
    def _lock_path(self) -> Path:
        return self.home / "watch" / "locks" / f"{self.source.key}.lock"

    def fail(self, reason: str) -> WatchOutcome:
        """Record a poll that could not start (e.g. the app's settings were unreadable)."""
        recorded: list[WatchOutcome] = []
        self._record(recorded, "", "", "failed", reason=reason)
        return recorded[0]

    def poll(self) -> list[WatchOutcome] | None:
        """One poll: the outcomes recorded, oldest first; None when another watcher holds the repo."""
        with repo_lock(self._lock_path) as held:
            if not held:
                _log.info("watch %s: another watcher holds %s; the next poll catches up",
                          self.config.name, self.source.display)
                return None
            recorded: list[WatchOutcome] = []
            try:
                self._poll(recorded)
            except (BadInput, InfrastructureError) as exc:
                # a repo that cannot be read now (clone/fetch failed, branch gone): the next poll retries
                self._record(recorded, "", "", "failed", reason=str(exc))
            return recorded

    def _poll(self, recorded: list[WatchOutcome]) -> None:
        repo = self.source.prepare()
        tip = self._tip(repo)
        saved = self.checkpoint.load(self.config.repo, self.config.branch)
        if saved is None:
            self._record(recorded, tip, self._parent(repo, tip), "baseline",
                         reason="first poll: the branch tip is the baseline, later commits are run")
            self._save(tip)
            return
        if saved.tip == tip:
            return
        start = saved.tip
        if not self._is_ancestor(repo, saved.tip, tip):
            common = self._merge_base(repo, saved.tip, tip)
            after = f"commits after {common[:12]} are run" if common else "no common history: new baseline"
            self._record(recorded, tip, saved.tip, "rewritten",
                         reason=f"history rewritten (force-push): {saved.tip[:12]} is not an ancestor of "
                                f"{tip[:12]}; {after}")
            if common is None:
                self._save(tip)
                return
            self._save(common)
            start = common
        commits = git(repo, "rev-list", "--first-parent", "--reverse", f"{start}..{tip}").split()
        if self.config.mode == "tip":
            for commit in commits[:-1]:
                self._record(recorded, commit, self._parent(repo, commit), "skipped",
                             reason=f"mode=tip: tested together with {tip[:12]}")
            self._test(recorded, repo, tip, start)
            self._save(tip)
            return
        for commit in commits:
            self._test(recorded, repo, commit, self._parent(repo, commit))
            self._save(commit)

    def _test(self, recorded: list[WatchOutcome], repo: Path, commit: str, parent: str) -> None:
        """Decide and record the outcome of ``parent..commit``: skipped, ran or failed."""
        if not parent:
            self._record(recorded, commit, "", "skipped", reason="a root commit: nothing to compare against")
            return
        try:
            changes = changed_endpoints(repo, parent, commit)
        except BadInput as exc:
            self._record(recorded, commit, parent, "skipped", reason=str(exc))
            return
        except InfrastructureError as exc:
            self._record(recorded, commit, parent, "failed", reason=f"reading the change failed: {exc}")
            return
        if not changes.endpoints:
            named = ", ".join(changes.files[:MAX_FILES_NAMED]) + (" …" if len(changes.files) > MAX_FILES_NAMED else "")
            self._record(recorded, commit, parent, "skipped", reason=f"changes no endpoint (files: {named})")
            return
        request = RunRequest(mode="ab", repo=str(repo), base=parent, head=commit, load=self.config.load,
                             allow_hosts=self.config.allow_hosts, label=f"watch {self.config.name}",
                             fix=self.config.fix)
        try:
            outcome = self.run(request, EventSink(self.emit, self.source.display))
        except Exception as exc:  # a run that breaks is this commit's failure, never the watcher's end
            _log.exception("watch %s: the run of %s raised", self.config.name, commit)
            self._record(recorded, commit, parent, "failed", reason=f"the run raised {type(exc).__name__}: {exc}")
            return
        verdict: Mapping[str, Any] = outcome.record.get("verdict") or {}
        if not verdict.get("class") or outcome.exit_code == BadInput.exit_code:
            reason = str(outcome.record.get("failure") or verdict.get("reason") or "the run reached no verdict")
            self._record(recorded, commit, parent, "failed", run_id=outcome.run_id, reason=reason)
            return
        self._record(recorded, commit, parent, "ran", run_id=outcome.run_id, verdict=str(verdict["class"]),
                     reason=str(verdict.get("reason") or ""))

    def _record(self, recorded: list[WatchOutcome], commit: str, parent: str, action: Action,
                run_id: str = "", verdict: str = "", reason: str = "") -> None:
        outcome = WatchOutcome(self.source.display, self.config.branch, commit, parent, action, run_id, verdict,
                               self.source.scrub(reason))
        self.emit("kassi:watch", outcome.to_event(time.time()))
        recorded.append(outcome)

    def _save(self, tip: str) -> None:
        self.checkpoint.save(Checkpoint(self.config.repo, self.config.branch, tip))

    def _tip(self, repo: Path) -> str:
        ref = self.source.branch_ref(self.config.branch)
        try:
            return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
        except GitFailed:
            raise BadInput(f"branch {self.config.branch!r} not found in {self.source.display}") from None

    @staticmethod
    def _parent(repo: Path, commit: str) -> str:
        """The first parent of ``commit``; empty for a root commit."""
        parents = git(repo, "rev-list", "--parents", "-n", "1", commit).split()
        return parents[1] if len(parents) > 1 else ""

    @staticmethod
    def _is_ancestor(repo: Path, old: str, new: str) -> bool:
        try:
            git(repo, "merge-base", "--is-ancestor", old, new)
        except GitFailed:
            return False  # exit 1 (not an ancestor) or 128 (``old`` is gone after a rewrite and gc)
        return True

    @staticmethod
    def _merge_base(repo: Path, old: str, new: str) -> str | None:
        try:
            return git(repo, "merge-base", old, new) or None
        except GitFailed:
            return None
