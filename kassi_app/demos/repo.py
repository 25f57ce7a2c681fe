"""Write a demo as a real git repo: a healthy base commit (tag ``base``), then the change (tag ``head``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kassi_app.demos.catalogue import CATALOGUE, Demo, Edit
from kassi_app.demos.cpucost import rounds_for_ms
from kassi_app.demos.openapi import Op, document
from kassi_app.demos.services import DIGEST, Service, helper_source, template
from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.git import git
from kassi_app.target.spec import SPEC_FILE

GIT_TIMEOUT_S = 30.0
SENSITIVITY_BASE_MS = 4.0
"""CPU milliseconds of key derivation on the sensitivity route at base, so the route is mostly work
(not HTTP) on a slow or a fast machine alike."""
_GITIGNORE = "*.db\n*.db-journal\n__pycache__/\n"


@dataclass(frozen=True)
class DemoRepo:
    path: Path
    base: str
    head: str
    """Commit ids; the repo also has the tags ``base`` and ``head``."""


_IDENTITY = {"GIT_AUTHOR_NAME": "kassi demo", "GIT_AUTHOR_EMAIL": "demo@kassi.invalid",
             "GIT_COMMITTER_NAME": "kassi demo", "GIT_COMMITTER_EMAIL": "demo@kassi.invalid",
             "GIT_AUTHOR_DATE": "2026-01-01T12:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T12:00:00Z"}


def _git(repo: Path, *args: str) -> str:
    return git(repo, *args, timeout=GIT_TIMEOUT_S, env=_IDENTITY)


def _commit(repo: Path, files: Mapping[str, str], message: str, tag: str) -> str:
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    _git(repo, "add", "--all")
    # --allow-empty: a control whose head changes nothing (the 0 % sensitivity shift) is still a commit
    _git(repo, "commit", "--quiet", "--no-verify", "--allow-empty", "-m", message)
    _git(repo, "tag", tag)
    return _git(repo, "rev-parse", "HEAD")


def _apply(files: Mapping[str, str], edits: tuple[Edit, ...]) -> dict[str, str]:
    changed = dict(files)
    for edit in edits:
        count = changed[edit.path].count(edit.old)
        if count != 1:
            raise InfrastructureError(f"demo edit on {edit.path} matches {count} times: {edit.old[:60]!r}")
        changed[edit.path] = changed[edit.path].replace(edit.old, edit.new)
    return changed


def _service_files(service: Service, extra_ops: tuple[Op, ...] = ()) -> dict[str, str]:
    files = {rel: template(name) for rel, name in service.files.items()}
    files.update({f"{module}.py": helper_source(module) for module in service.helpers})
    files[SPEC_FILE] = service.toml
    files["openapi.json"] = json.dumps(document(service.title, (*service.ops, *extra_ops)), indent=2) + "\n"
    files[".gitignore"] = _GITIGNORE
    return files


def _readme(title: str, body: str) -> str:
    return f"# {title}\n\n{body}\n\nStart it the way kassi does: see `kassi.toml`.\n"


def _write(path: Path, base: dict[str, str], head: dict[str, str], base_msg: str, head_msg: str) -> DemoRepo:
    if path.exists() and any(path.iterdir()):
        raise BadInput(f"{path} exists and is not empty")
    path.mkdir(parents=True, exist_ok=True)
    _git(path, "init", "--quiet", "--initial-branch=main")
    base_sha = _commit(path, base, base_msg, "base")
    head_sha = _commit(path, head, head_msg, "head")
    return DemoRepo(path.resolve(), base_sha, head_sha)


def demo_by_name(name: str) -> Demo:
    try:
        return CATALOGUE[name]
    except KeyError as exc:
        raise BadInput(f"unknown demo {name!r} (known: {', '.join(CATALOGUE)})") from exc


def init_demo(name: str, path: Path) -> DemoRepo:
    """Write demo ``name`` as a git repo at ``path`` (must be absent or empty)."""
    demo = demo_by_name(name)
    base = _service_files(demo.service)
    base["README.md"] = _readme(f"{demo.service.title} ({demo.name})", demo.summary)
    head = _apply(base, demo.edits)
    if demo.added_ops:
        head["openapi.json"] = _service_files(demo.service, demo.added_ops)["openapi.json"]
    return _write(path, base, head, f"{demo.service.title} service", demo.change)


def sensitivity_repo(path: Path, shift_pct: float, base_rounds: int | None = None) -> DemoRepo:
    """A repo whose head makes ``POST /api/tokens`` cost ``shift_pct``% more real CPU (PBKDF2 rounds).

    Base's rounds take SENSITIVITY_BASE_MS on this machine, measured now (``base_rounds`` overrides).
    They are measured here, once, and written into both commits rather than measured by each app at
    start: the two measurements would differ by their noise, and the 0 % control must do the same
    work at both refs.
    """
    if not -90 < shift_pct <= 1000:
        raise BadInput(f"shift_pct must be in (-90, 1000], got {shift_pct}")
    base_rounds = base_rounds or rounds_for_ms(SENSITIVITY_BASE_MS)
    head_rounds = round(base_rounds * (1 + shift_pct / 100))
    base = _service_files(DIGEST)
    rounds = f"TOKEN_ROUNDS = {base_rounds}\n"
    base["app.py"] = _apply(base, (Edit("app.py", "TOKEN_ROUNDS = 0\n", rounds),))["app.py"]
    base["README.md"] = _readme("Digest (sensitivity)", "Base: the reference token cost.")
    head = _apply(base, (Edit("app.py", rounds, f"TOKEN_ROUNDS = {head_rounds}\n"),))
    # the README always changes, so even the 0 % control is a real (if endpoint-free) change
    head["README.md"] = _readme("Digest (sensitivity)", f"Head shifts token cost by {shift_pct:g}%.")
    message = f"Token rounds {base_rounds} -> {head_rounds}"
    return _write(path, base, head, "Digest service", message)
