"""Where a watched repo's commits come from: a local clone read in place, or a git URL that kassi
clones once under its home and fetches on every poll.

Everything goes through :mod:`kassi_app.git` (hooks, fsmonitor, textconv, credential helpers off;
only https/http/ssh/git/file transports). A private repo's token reaches git as an
``http.extraHeader`` in git's environment (``GIT_CONFIG_COUNT``/``KEY``/``VALUE``), never on the
command line (where ``ps`` would show it), in the clone's config or in a URL; any message git
prints is scrubbed of it before it can reach an event.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.git import GitFailed, check_git_url, check_ref_text, check_repo, git, is_git_url

FETCH_TIMEOUT_S = 300.0
"""A clone or fetch of a large repo over a slow link may take minutes; it still ends."""
REMOTE = "origin"


@dataclass(frozen=True)
class RepoSource:
    """A watched repo as the input names it (``repo``), and where kassi reads its commits."""

    repo: str
    home: Path
    token: SecretStr | None = None

    @property
    def is_url(self) -> bool:
        return is_git_url(self.repo)

    @property
    def key(self) -> str:
        """A stable name for this repo (its lock and its clone): the resolved path or the URL."""
        text = self.repo if self.is_url else str(Path(self.repo).expanduser().resolve())
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def clone_path(self) -> Path:
        return self.home / "watch" / "clones" / self.key

    def branch_ref(self, branch: str) -> str:
        """The ref that holds the branch's tip where kassi reads it."""
        check_ref_text(branch)
        return f"refs/remotes/{REMOTE}/{branch}" if self.is_url else f"refs/heads/{branch}"

    def prepare(self) -> Path:
        """The git repo to read commits from, fetched up to date for a URL. BadInput for a repo that
        cannot work (no such folder, not a git repo, a refused URL); InfrastructureError when a clone
        or fetch fails (the reason scrubbed of the token): the next poll tries again."""
        if self.repo.startswith("-"):
            raise BadInput(f"not a usable git URL or repo path (it would read as an option): {self.repo!r}")
        if not self.is_url:
            path = Path(self.repo).expanduser()
            if not path.exists():
                raise BadInput(f"no such repo: {self.repo}")
            return check_repo(path.resolve())
        check_git_url(self.repo)
        try:
            if (self.clone_path / ".git").is_dir():
                git(self.clone_path, "fetch", "--quiet", "--prune", "--no-tags", REMOTE,
                    timeout=FETCH_TIMEOUT_S, env=self._auth_env())
            else:
                self._clone()
        except (GitFailed, InfrastructureError) as exc:
            raise InfrastructureError(self.scrub(f"fetching {self.display} failed: {exc}")) from None
        return self.clone_path

    def _clone(self) -> None:
        partial = self.clone_path.with_name(self.clone_path.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        # --no-checkout: kassi reads trees with git itself and checks refs out in its own worktrees
        git(partial.parent, "clone", "--quiet", "--no-checkout", "--no-tags", "--origin", REMOTE,
            "--", self.repo, partial.name, timeout=FETCH_TIMEOUT_S, env=self._auth_env())
        partial.rename(self.clone_path)

    def _basic(self) -> str | None:
        """The token as HTTP Basic credentials (the URL's user name, else ``x-access-token``, which
        GitHub, GitLab and Gitea accept with a token), for an http(s) URL; None otherwise."""
        if self.token is None or urlsplit(self.repo).scheme.lower() not in ("https", "http"):
            return None
        user = urlsplit(self.repo).username or "x-access-token"
        return base64.b64encode(f"{user}:{self.token.get_secret_value()}".encode()).decode()

    def _auth_env(self) -> dict[str, str]:
        """git's environment for an https/http fetch with the token; empty otherwise."""
        basic = self._basic()
        if basic is None:
            return {}
        return {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}"}

    @property
    def display(self) -> str:
        """The repo as events show it: a URL without any user info."""
        if not self.is_url or "://" not in self.repo:
            return self.repo
        parts = urlsplit(self.repo)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return parts._replace(netloc=netloc).geturl()

    def scrub(self, text: str) -> str:
        """``text`` without the token, in clear or in the Basic header's encoding."""
        if self.token is None:
            return text
        for form in (self.token.get_secret_value(), self._basic()):
            if form:
                text = text.replace(form, "**********")
        return text
