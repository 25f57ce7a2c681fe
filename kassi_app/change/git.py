"""Read-only git access: validate repo and refs, diff two commits, read files at a commit without checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kassi_app.errors import BadInput, InfrastructureError

GIT_TIMEOUT_S = 60.0
MAX_FILE_BYTES = 1_000_000


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise InfrastructureError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise InfrastructureError(f"git {args[0]} timed out after {GIT_TIMEOUT_S:.0f}s in {repo}") from None
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, args, proc.stdout, proc.stderr)
    return proc.stdout


def check_repo(repo: Path) -> Path:
    """The repo's top level; BadInput if ``repo`` is not a folder inside a git work tree."""
    if not repo.is_dir():
        raise BadInput(f"not a folder: {repo}")
    try:
        top = _git(repo, "rev-parse", "--show-toplevel").decode().strip()
    except subprocess.CalledProcessError:
        raise BadInput(f"not a git repository: {repo}") from None
    return Path(top)


def resolve_ref(repo: Path, ref: str) -> str:
    """The commit id ``ref`` names; refs never reach git in a position where they could be options."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\n\r\0"):
        raise BadInput(f"not a valid git ref: {ref!r}")
    try:
        out = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except subprocess.CalledProcessError:
        raise BadInput(f"unknown git ref {ref!r} in {repo}") from None
    return out.decode().strip()


def diff_text(repo: Path, base_sha: str, head_sha: str) -> str:
    """Unified diff between two resolved commits (renames detected, no external diff drivers)."""
    try:
        out = _git(repo, "diff", "--no-color", "--no-ext-diff", "--find-renames", base_sha, head_sha, "--")
    except subprocess.CalledProcessError as exc:
        raise InfrastructureError(f"git diff failed: {exc.stderr.decode(errors='replace').strip()}") from None
    return out.decode("utf-8", errors="replace")


def read_tree(repo: Path, sha: str, wanted: tuple[str, ...], skip_dirs: frozenset[str]) -> dict[str, str]:
    """Text of every file at ``sha`` whose name ends with one of ``wanted``, outside ``skip_dirs``."""
    try:
        listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", sha)
        blobs: list[tuple[str, str]] = []
        for entry in listing.split(b"\0"):
            if not entry:
                continue
            meta, _, raw_path = entry.partition(b"\t")
            mode, kind, oid = meta.decode().split()
            path = raw_path.decode("utf-8", errors="replace")
            if kind != "blob" or mode == "120000" or not path.endswith(wanted):
                continue
            if skip_dirs.intersection(path.split("/")[:-1]):
                continue
            blobs.append((oid, path))
        if not blobs:
            return {}
        data = _git(repo, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid, _ in blobs).encode())
    except subprocess.CalledProcessError as exc:
        raise InfrastructureError(f"git could not read {sha[:12]}: {exc.stderr.decode(errors='replace')}") from None
    files: dict[str, str] = {}
    pos = 0
    for _oid, path in blobs:
        header_end = data.index(b"\n", pos)
        size = int(data[pos:header_end].split()[2])
        body = data[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
        if size <= MAX_FILE_BYTES and b"\0" not in body[:8000]:
            files[path] = body.decode("utf-8", errors="replace")
    return files
