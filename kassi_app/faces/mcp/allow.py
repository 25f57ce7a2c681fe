"""What an MCP client may name when it begins a run: the repos and hosts ``kassi serve`` was started
with (``--allow-repo``, ``--allow-host``), never what the request itself says.

A client's ``begin`` is a ``RunRequest``; the repo it names runs its own start command, and a URL or
an ``allow_hosts`` entry sends load somewhere. So a request is screened before ``begin`` runs, and one
outside the allow list is refused like an input that misses the schema: ledgered, state unchanged,
``begin`` still the legal move. The Splunk face has its own allow list (repos by name from the app's
setup, hosts from ``allowed_hosts``: faces/splunk/options.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel

from kassi_app.config import RunRequest
from kassi_app.errors import BadInput
from kassi_app.hosts import check_url_allowed, is_loopback


@dataclass(frozen=True)
class ServeAllowList:
    """Folders a client's repos (and the files it names) must lie in, and the hosts besides loopback
    its load and specs may go to. Empty: A/B runs are refused, live runs go to loopback only."""

    repos: tuple[Path, ...] = ()
    hosts: tuple[str, ...] = ()

    @classmethod
    def from_flags(cls, repos: Iterable[str], hosts: Iterable[str]) -> ServeAllowList:
        """The allow list from ``--allow-repo`` / ``--allow-host``; a repo that is no folder is a BadInput."""
        folders: list[Path] = []
        for given in repos:
            folder = Path(given).expanduser().resolve()
            if not folder.is_dir():
                raise BadInput(f"--allow-repo {given}: not a folder")
            folders.append(folder)
        names = tuple(h.strip().strip("[]").lower() for h in hosts if h.strip())
        return cls(tuple(folders), names)

    def screen(self, action: str, inputs: BaseModel) -> str | None:
        """The governor's screen: why ``inputs`` may not begin a run here, or None."""
        if not isinstance(inputs, RunRequest):
            return None
        try:
            self.check(inputs)
        except BadInput as exc:
            return f"{action} refused by kassi serve's allow list: {exc}"
        return None

    def check(self, request: RunRequest) -> None:
        """BadInput naming the first repo, host or file of ``request`` outside the allow list."""
        if request.repo is not None:
            self._inside(request.repo, "repo")
        for host in request.allow_hosts:
            name = host.strip().strip("[]").lower()
            if not is_loopback(name) and name not in self.hosts:
                raise BadInput(f"allow_hosts names {host!r}, which kassi serve was not started with "
                               f"(--allow-host {host})")
        if request.url is not None:
            check_url_allowed(request.url, self.hosts)
        if request.openapi is not None:
            if urlsplit(request.openapi).scheme in ("http", "https"):
                check_url_allowed(request.openapi, self.hosts)
            else:
                self._inside(request.openapi, "openapi")
        if request.traffic is not None:
            self._inside(request.traffic, "traffic")
        if request.splunk_config is not None:
            raise BadInput("splunk_config cannot be named by an MCP client: kassi serve reads "
                           "<kassi home>/splunk.toml")

    def _inside(self, given: str, field: str) -> None:
        """``given`` (symlinks resolved) is an allowed folder or lies in one; else BadInput."""
        path = Path(given).expanduser().resolve()
        if not any(path == folder or path.is_relative_to(folder) for folder in self.repos):
            allowed = ", ".join(str(f) for f in self.repos) or "none"
            raise BadInput(f"{field} {given!r} is not in a folder kassi serve allows "
                           f"(start it with --allow-repo PATH; allowed: {allowed})")
