"""Where load may go: loopback by default, other hosts only when the user allows them by name."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from kassi_app.errors import BadInput

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """True for loopback names and addresses, decided from the text alone (no DNS lookup)."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url_allowed(url: str, allowed_hosts: Iterable[str] = ()) -> tuple[str, int]:
    """Return (host, port) of an http(s) URL whose host is loopback or allowed; else BadInput.

    The check reads the URL text only, so a refused host is never resolved or contacted.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"not an http(s) URL: {url!r}")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BadInput(f"bad port in URL {url!r}: {exc}") from None
    allowed = {h.strip("[]").lower() for h in allowed_hosts}
    if not is_loopback(host) and host.lower() not in allowed:
        raise BadInput(
            f"host {host!r} is not allowed: load goes to loopback only unless you pass --allow-host {host}"
        )
    return host, port
