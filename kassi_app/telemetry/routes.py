"""Route templating: map a concrete request path to the route template the judge groups by.

Templates use ``{name}`` placeholders (``/api/owners/{id}``); a ``{name:path}`` placeholder matches
the rest of the path including slashes. When several templates match, the most specific wins:
more literal segments first, then the longer template.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::path)?\}")
_CACHE_LIMIT = 4096


@dataclass(frozen=True)
class _Template:
    route: str
    pattern: re.Pattern[str]
    specificity: tuple[int, int]


def _compile(route: str) -> _Template:
    parts: list[str] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(route):
        parts.append(re.escape(route[pos : match.start()]))
        parts.append(".+" if match.group(0).endswith(":path}") else "[^/]+")
        pos = match.end()
    parts.append(re.escape(route[pos:]))
    literal_segments = sum(1 for seg in route.split("/") if seg and not _PLACEHOLDER.search(seg))
    return _Template(route, re.compile("".join(parts) + "/?"), (literal_segments, len(route)))


class RouteMatcher:
    """Most-specific-wins matcher over known route templates; unknown paths map to themselves."""

    def __init__(self, routes: Iterable[str]) -> None:
        templates = {_compile(r) for r in dict.fromkeys(routes)}
        self._templates = sorted(templates, key=lambda t: t.specificity, reverse=True)
        self._cache: dict[str, str] = {}

    def patterns(self) -> list[tuple[str, str]]:
        """(template, regex to fullmatch a path), most specific first: for a search engine (SPL's
        ``case(match(...))``) that must recover routes the same way this matcher does."""
        return [(t.route, t.pattern.pattern) for t in self._templates]

    def route_for(self, path: str) -> str:
        """The template matching ``path`` (query string ignored), else the raw path."""
        path = path.split("?", 1)[0]
        cached = self._cache.get(path)
        if cached is not None:
            return cached
        route = next((t.route for t in self._templates if t.pattern.fullmatch(path)), path)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[path] = route
        return route
