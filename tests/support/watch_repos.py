"""Real git repos for the watcher's tests: a demo service (kassi.toml and a Flask app) and commits that
add an endpoint, touch only docs, or rewrite history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kassi_app.config import RunRequest
from kassi_app.demos import init_demo
from kassi_app.git import git
from kassi_app.workflow.runner import RunOutcome
from kassi_app.workflow.sink import LedgerStatus, PhaseEvent, RunSink

IDENTITY = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.invalid",
            "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.invalid"}


@dataclass
class Repo:
    """A demo service repo on branch ``main`` (its head: the demo's base commit)."""

    path: Path
    _count: int = 0

    @classmethod
    def create(cls, path: Path, demo: str = "sqlite-write-lock") -> Repo:
        made = init_demo(demo, path)
        git(made.path, "reset", "--quiet", "--hard", made.base, env=IDENTITY)  # main = the healthy base
        return cls(made.path)

    def git(self, *args: str) -> str:
        return git(self.path, *args, env=IDENTITY)

    @property
    def tip(self) -> str:
        return self.git("rev-parse", "HEAD")

    def commit(self, files: Mapping[str, str], message: str, append: bool = True) -> str:
        for rel, text in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            old = target.read_text(encoding="utf-8") if append and target.exists() else ""
            target.write_text(old + text, encoding="utf-8")
        self.git("add", "--all")
        self.git("commit", "--quiet", "--no-verify", "-m", message)
        return self.tip

    def commit_endpoint(self) -> str:
        """A commit that adds ``GET /api/pingN`` to the Flask app: one changed endpoint."""
        self._count += 1
        n = self._count
        return self.commit({"app.py": f'\n\n@app.get("/api/ping{n}")\ndef ping{n}():\n    return {{"ok": {n}}}\n'},
                           f"Add /api/ping{n}")

    def commit_docs(self) -> str:
        self._count += 1
        return self.commit({"docs/notes.md": f"note {self._count}\n"}, f"Docs {self._count}")


@dataclass
class FakeRun:
    """Stands in for a kassi run (k6 load against two worktrees, tens of seconds): records what it was
    asked and reports a phase and a record through the sink as the real run does."""

    verdict: str = "HEALTHY"
    asked: list[tuple[str, str]] = field(default_factory=list)
    requests: list[RunRequest] = field(default_factory=list)
    finished: list[tuple[str, str]] = field(default_factory=list)
    interrupt_on: int | None = None
    """Raise SystemExit (what kassi's SIGTERM handler raises) on this call (1-based)."""

    def __call__(self, request: RunRequest, sink: RunSink) -> RunOutcome:
        self.asked.append((request.base, request.head))
        self.requests.append(request)
        if self.interrupt_on == len(self.asked):
            raise SystemExit(143)
        run_id = f"run-{len(self.asked)}"
        sink.phase(PhaseEvent(run_id, -1, "judge", "Justice", "running", "", 1.0))
        sink.phase(PhaseEvent(run_id, 4, "judge", "Justice", "ok", "", 2.0, 0.5))
        record: dict[str, Any] = {"run_id": run_id, "request": request.model_dump(mode="json"),
                                  "verdict": {"class": self.verdict, "reason": f"{self.verdict} (fake)"}}
        sink.end(run_id, record, LedgerStatus("ledger.jsonl", "abc", 9, True))
        self.finished.append((request.base, request.head))
        return RunOutcome(record, 0 if self.verdict == "HEALTHY" else 1)


@dataclass
class Events:
    """An Emit that keeps every event."""

    items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, sourcetype: str, data: Mapping[str, Any]) -> None:
        self.items.append((sourcetype, dict(data)))

    def of(self, sourcetype: str) -> list[dict[str, Any]]:
        return [data for kind, data in self.items if kind == sourcetype]

    def actions(self) -> list[tuple[str, str]]:
        return [(e["action"], e["commit"]) for e in self.of("kassi:watch")]


def pairs(commits: Sequence[str], start: str) -> list[tuple[str, str]]:
    """(parent, commit) for a linear run of commits after ``start``."""
    parents = [start, *commits[:-1]]
    return list(zip(parents, commits, strict=True))
