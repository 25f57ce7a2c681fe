"""An HTTP endpoint as every part of kassi names it: a method and a route template.

A route is joined to the target's origin to make the URL k6 loads, so it must be a path and
nothing else: a "route" such as ``@169.254.169.254/latest`` or ``//other.host/x`` would turn
``origin + route`` into another host. ``validate_route`` is the one check every entry point
(``--endpoint``, OpenAPI path keys, routes read from a diff) goes through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from kassi_app.errors import BadInput

MAX_ROUTE_CHARS = 2048
_METHOD = re.compile(r"^[A-Za-z]{1,20}$")
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\?#]")
"""Control characters, space, backslash (a slash to some URL parsers), query and fragment marks."""


class BadRoute(BadInput, ValueError):
    """A route or endpoint text kassi refuses to send load to (a ValueError for older callers)."""


def validate_route(route: object) -> str:
    """Return ``route`` when it is a plain absolute path template; raise ``BadRoute`` otherwise.

    Refused: no leading "/", a leading "//" (an authority), control characters, spaces, "\\",
    "?" or "#" (percent-encoded ones are fine: they stay encoded on the wire), "." or ".."
    segments (also percent-encoded: servers decode them), and anything over 2048 characters.
    """
    if not isinstance(route, str) or not route:
        raise BadRoute(f"not a route (want a path such as /api/items): {route!r}")
    shown = repr(route[:80])
    if len(route) > MAX_ROUTE_CHARS:
        raise BadRoute(f"route longer than {MAX_ROUTE_CHARS} characters: {shown}")
    if not route.startswith("/") or route.startswith("//"):
        raise BadRoute(f"route must be a path starting with a single '/': {shown}")
    if _FORBIDDEN.search(route):
        raise BadRoute(f"route holds a control character, space, '\\', '?' or '#': {shown}")
    if any(segment in (".", "..") for segment in unquote(route).split("/")):
        raise BadRoute(f"route holds a '.' or '..' segment: {shown}")
    return route


def validate_method(method: str) -> str:
    """The method upper-cased when it is a plain word of letters (GET, POST, PURGE ...)."""
    if not _METHOD.match(method):
        raise BadRoute(f"not an HTTP method: {method[:40]!r}")
    return method.upper()


@dataclass(frozen=True, order=True)
class Endpoint:
    """``method`` is upper case (``GET``); ``route`` is a template such as ``/api/owners/{id}``."""

    method: str
    route: str

    def __str__(self) -> str:
        return f"{self.method} {self.route}"

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        """Parse ``"GET /api/x"``; raises ``BadRoute`` (a ValueError) on anything else."""
        parts = text.split()
        if len(parts) != 2:
            raise BadRoute(f"not an endpoint (want 'METHOD /route'): {text[:80]!r}")
        return cls(validate_method(parts[0]), validate_route(parts[1]))

    @classmethod
    def checked(cls, method: str, route: str) -> Endpoint:
        """An endpoint from parts read elsewhere (a spec, a diff), both validated."""
        return cls(validate_method(method), validate_route(route))
