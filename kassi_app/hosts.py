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


def check_target_url(url: str, allowed_hosts: Iterable[str] = ()) -> tuple[str, int]:
    """(host, port) of a base URL kassi may send load to: ``http://host[:port]`` with an allowed host.

    Refused, because kassi would not honour them: ``https`` (the access-log proxy speaks plain HTTP
    to the target), a path prefix (routes are joined to the origin, so ``/prefix`` would be
    dropped), and a query or fragment. User info (``user:password@``) is accepted but never sent:
    load goes to host and port only, and the URL is redacted wherever the run writes it.
    """
    parts = urlsplit(url)
    if parts.scheme == "https":
        raise BadInput(f"https targets are not supported (kassi's proxy speaks plain HTTP): {parts.hostname}")
    host, port = check_url_allowed(url, allowed_hosts)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BadInput("a base URL with a path prefix, query or fragment is not supported: give "
                       "http://host:port and put the prefix in each --endpoint route")
    return host, port


def origin_url(host: str, port: int) -> str:
    """``http://host:port`` built from parsed parts (IPv6 in brackets): the only base URL k6 is given."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
