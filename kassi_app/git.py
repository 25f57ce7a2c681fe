"""kassi's one way to run git: bounded in time, refs never read as options, and the repo's own
hooks, fsmonitor, textconv/external diff drivers and credential helpers switched off.

kassi runs git on repositories it did not write (a watched repo, a search's repo): anything the
repo's configuration could make git execute is turned off on the command line, where it wins over
the repo's config. Everything else in kassi that needs git calls this module.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from kassi_app.errors import BadInput, InfrastructureError

GIT_TIMEOUT_S = 60.0
MAX_FILE_BYTES = 1_000_000

ALLOWED_PROTOCOLS: tuple[str, ...] = ("https", "http", "ssh", "git")
"""Network transports kassi fetches over (``file`` is allowed separately, for local clones)."""
_URL_SCHEMES = frozenset({*ALLOWED_PROTOCOLS, "file"})
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")
_TRANSPORT_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")

SAFE_CONFIG: tuple[str, ...] = (
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.fsmonitor=false",
    "-c", "credential.helper=",
    "-c", "diff.external=",
    "-c", "protocol.allow=never",
    *(arg for name in ALLOWED_PROTOCOLS for arg in ("-c", f"protocol.{name}.allow=always")),
    "-c", "protocol.file.allow=user",
)
"""``-c`` options that override whatever the repo's config asks git to run, and the transports git
may use: https, http, ssh, git and local files; never ``ext::`` (runs a command) or ``fd::``."""


class GitFailed(InfrastructureError):
    """git ran and exited non-zero; ``stderr`` is git's own message."""

    def __init__(self, args: tuple[str, ...], stderr: str) -> None:
        super().__init__(f"git {' '.join(args[:3])} failed: {stderr.strip()[:500]}")
        self.stderr = stderr


def _env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_OPTIONAL_LOCKS": "0"})
    env.update(extra or {})
    return env


def run_git_bytes(
    repo: Path,
    *args: str,
    stdin: bytes | None = None,
    timeout: float = GIT_TIMEOUT_S,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """git's stdout as bytes. GitFailed on a non-zero exit, InfrastructureError when git is missing
    or does not finish within ``timeout`` seconds."""
    try:
        proc = subprocess.run(
            ["git", *SAFE_CONFIG, "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
            env=_env(env),
        )
    except FileNotFoundError:
        raise InfrastructureError("git is not installed (kassi needs it on PATH)") from None
    except subprocess.TimeoutExpired:
        raise InfrastructureError(f"git {args[0]} timed out after {timeout:.0f}s in {repo}") from None
    if proc.returncode != 0:
        raise GitFailed(args, proc.stderr.decode("utf-8", errors="replace"))
    return proc.stdout


def git(repo: Path, *args: str, timeout: float = GIT_TIMEOUT_S, env: Mapping[str, str] | None = None) -> str:
    """git's stdout as text, stripped."""
    return run_git_bytes(repo, *args, timeout=timeout, env=env).decode("utf-8", errors="replace").strip()


def check_repo(repo: Path) -> Path:
    """The repo's top level; BadInput if ``repo`` is not a folder inside a git work tree."""
    if not repo.is_dir():
        raise BadInput(f"not a folder: {repo}")
    try:
        return Path(git(repo, "rev-parse", "--show-toplevel"))
    except GitFailed:
        raise BadInput(f"not a git repository: {repo}") from None


def check_ref_text(ref: str) -> str:
    """``ref`` when it can only be read as a ref: no leading '-', no whitespace or control characters."""
    if not ref or ref.startswith("-") or any(c.isspace() or ord(c) < 32 for c in ref):
        raise BadInput(f"not a valid git ref: {ref!r}")
    return ref


def resolve_ref(repo: Path, ref: str) -> str:
    """The commit id ``ref`` names; BadInput when ``repo`` is no git repo or ``ref`` no commit."""
    check_ref_text(ref)
    check_repo(repo)
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except GitFailed:
        raise BadInput(f"unknown git ref {ref!r} in {repo}") from None


def show_file(repo: Path, sha: str, path: str) -> str | None:
    """The text of ``path`` as committed at ``sha``; None when that commit has no such file."""
    try:
        return run_git_bytes(repo, "show", "--no-textconv", f"{sha}:{path}").decode("utf-8", errors="replace")
    except GitFailed:
        return None


def diff_text(repo: Path, base_sha: str, head_sha: str) -> str:
    """Unified diff between two resolved commits (renames detected, no external diff drivers)."""
    out = run_git_bytes(
        repo, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--find-renames", base_sha, head_sha, "--"
    )
    return out.decode("utf-8", errors="replace")


def read_tree(repo: Path, sha: str, wanted: tuple[str, ...], skip_dirs: frozenset[str]) -> dict[str, str]:
    """Text of every file at ``sha`` whose name ends with one of ``wanted``, outside ``skip_dirs``."""
    listing = run_git_bytes(repo, "ls-tree", "-r", "-z", "--full-tree", sha)
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
    data = run_git_bytes(repo, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid, _ in blobs).encode())
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


def is_git_url(text: str) -> bool:
    """True when ``text`` names a remote (``scheme://``, scp-like ``user@host:path`` or a
    ``transport::address``) rather than a local path."""
    return "://" in text or bool(_SCP_LIKE.match(text)) or bool(_TRANSPORT_PREFIX.match(text))


def check_git_url(url: str) -> str:
    """``url`` when git can only read it as a URL over an allowed transport: no leading '-', no
    whitespace, no ``ext::``/``fd::`` (or any ``transport::``) form, a scheme among https, http, ssh,
    git and file, and no password in it (a credential goes to the setup page's secret store)."""
    if not url or url.startswith("-") or any(c.isspace() or ord(c) < 32 for c in url):
        raise BadInput(f"not a usable git URL: {url!r}")
    if _TRANSPORT_PREFIX.match(url):
        raise BadInput(f"git URL refused: the {url.split('::', 1)[0]}:: transport can run commands")
    if _SCP_LIKE.match(url) and "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.scheme.lower() not in _URL_SCHEMES:
        raise BadInput(f"git URL refused: scheme {parts.scheme!r} (allowed: {', '.join(sorted(_URL_SCHEMES))})")
    if parts.password:
        raise BadInput("git URL refused: it holds a password; store the token as the repo's secret instead")
    if parts.scheme.lower() != "file" and not parts.hostname:
        raise BadInput(f"not a usable git URL (no host): {url!r}")
    return url
