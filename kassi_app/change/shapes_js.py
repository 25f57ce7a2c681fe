"""Request shapes of Express and Koa handlers: the ``req.body.x`` / ``req.query.x`` (Koa:
``ctx.request.body.x`` / ``ctx.query.x``) a handler reads, destructuring included.

Regexes over the handler's text rather than a tree-sitter walk: what is read from the request is a
property access or a destructuring pattern, both flat in the text, and the handler's extent is all
that needs the parse (found from the route's line and the next route declaration).
"""

from __future__ import annotations

import re

from kassi_app.change.shapes import Fields, RequestShape, RouteLike, schema_for_name

_BODY = r"(?:req|request|ctx\.request)\.body"
_QUERY = r"(?:req|request|ctx\.request|ctx)\.query"
_ROUTE_DECL = re.compile(r"\.\s*(get|post|put|patch|delete|del|all|route)\s*\(\s*['\"`/]")
_MAX_LINES = 120


def _props(text: str, source: str) -> list[str]:
    """Property names read from ``source`` in ``text``: ``x.y``, ``x['y']``, ``const {y, z} = x``."""
    names = re.findall(source + r"\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])", text)
    out = [a or b for a, b in names]
    for group in re.findall(r"\{([^{}]*)\}\s*=\s*" + source + r"\b(?!\s*\.)", text):
        for part in group.split(","):
            name = part.split(":")[0].split("=")[0].strip()
            if re.fullmatch(r"[A-Za-z_$][\w$]*", name):
                out.append(name)
    return list(dict.fromkeys(n for n in out if n not in ("length", "constructor")))


def _numeric(text: str, source: str, name: str) -> bool:
    pattern = r"(?:parseInt|parseFloat|Number)\s*\(\s*" + source + r"\s*\.\s*" + re.escape(name)
    return re.search(pattern, text) is not None


def handler_text(route: RouteLike, source: str) -> str:
    """The handler's text: from the route's declaration to the next one (inline handlers), plus the
    named function it passes, when that is declared in the same file."""
    lines = source.splitlines()
    start = max(route.line - 1, 0)
    end = min(len(lines), start + _MAX_LINES)
    for i in range(start + 1, end):
        if _ROUTE_DECL.search(lines[i]):
            end = i
            break
    text = "\n".join(lines[start:end])
    name = route.handler
    if name and name != "<anonymous>" and re.fullmatch(r"[A-Za-z_$][\w$]*", name):
        found = re.search(rf"(?:function\s+{re.escape(name)}\s*\(|\b{re.escape(name)}\s*=\s*(?:async\s*)?"
                          rf"(?:function\b|\([^)]*\)\s*=>|\w+\s*=>))", source)
        if found:
            text += "\n" + source[found.start(): found.start() + 6000]
    return text


def js_shape(route: RouteLike, source: str) -> RequestShape | None:
    """What an Express/Koa handler reads from the request body and query, or None if nothing."""
    text = handler_text(route, source)
    body, query = Fields(), Fields()
    for name in _props(text, _BODY):
        body.add(name, {"type": "integer", "minimum": 1} if _numeric(text, _BODY, name) else schema_for_name(name))
    for name in _props(text, _QUERY):
        query.add(name, {"type": "integer", "minimum": 1} if _numeric(text, _QUERY, name) else schema_for_name(name))
    if not body.props and not query.props:
        return None
    schema = body.schema()
    return RequestShape(f"{route.handler}() reads req.body/req.query", schema, "json" if schema else None,
                        dict(query.props))
