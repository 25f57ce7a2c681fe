"""Route templates: one spelling for every framework's parameter syntax, and prefix joining."""

from __future__ import annotations

import re

HTTP_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
ANY = "ANY"

_FLASK = re.compile(r"<(?:[a-zA-Z_]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>")  # <int:id>, <id>
_BRACE = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?(?:\.\.\.)?\}")  # {id:[0-9]+}
_COLON = re.compile(r"(?<=/):([a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?\??")  # :id, :id(\d+), :id?
_STAR = re.compile(r"(?<=/)\*([a-zA-Z_][a-zA-Z0-9_]*)")  # gin *path
_REGEX_GROUP = re.compile(r"\(\?P<([a-zA-Z_][a-zA-Z0-9_]*)>")


def _regex_to_template(path: str) -> str:
    """Django ``re_path``: ``^a/(?P<year>[0-9]{4})/$`` -> ``a/{year}/``."""
    out: list[str] = []
    i = 0
    while i < len(path):
        m = _REGEX_GROUP.match(path, i)
        if not m:
            out.append(path[i])
            i += 1
            continue
        depth, j = 1, m.end()
        while j < len(path) and depth:
            depth += {"(": 1, ")": -1}.get(path[j], 0)
            j += 1
        out.append("{" + m.group(1) + "}")
        i = j
    return "".join(out).removeprefix("^").removesuffix("$").replace("\\", "")


def normalise(path: str, regex: bool = False) -> str:
    """One template spelling: parameters become ``{name}``; Go's ``{$}`` end marker is dropped."""
    if regex:
        path = _regex_to_template(path)
    path = path.replace("{$}", "")
    path = _FLASK.sub(r"{\1}", path)
    path = _BRACE.sub(r"{\1}", path)
    path = _COLON.sub(r"{\1}", path)
    return _STAR.sub(r"{\1}", path)


def join(*parts: str) -> str:
    """Join prefixes and a path as the frameworks do: one slash between parts, a leading slash."""
    joined = "/".join(p for p in parts if p)
    joined = re.sub(r"/{2,}", "/", "/" + joined)
    return joined
