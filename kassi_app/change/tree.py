"""One source tree's endpoints and call graph, joined from the per-file facts of every extractor.

Symbols and references are strings: ``py:a.b.c`` (dotted, may be matched by suffix for src/ layouts),
``js:<module>::name``, ``go:<dir>::Name``, ``java:<file>::Class.method``; a ``*`` in a reference
matches any run of characters (used where the defining package is not known at the call site).
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from dataclasses import dataclass

from kassi_app.change.model import FROM_HANDLER, FileFacts, FuncDef, Link, RouteDecl, RouteDef
from kassi_app.change.paths import join

_MAX_DEPTH = 12
#: Frameworks where a sub-router's "/" route answers at the mount path itself (no trailing slash).
_ROOT_IS_PREFIX = frozenset({"express", "koa", "chi"})


def _last(ident: str) -> str:
    return re.split(r"[.:/]", ident.removesuffix("()"))[-1]


@dataclass(frozen=True)
class Route:
    """A resolved route: the definition plus what a change must touch to modify it."""

    definition: RouteDef
    decl: RouteDecl
    handlers: frozenset[str]


class Tree:
    """Joins facts: router prefixes across mounts, handler lookup, and who-references-whom."""

    def __init__(self, facts: list[FileFacts]) -> None:
        self.facts = FileFacts()
        for f in facts:
            self.facts.merge(f)
        self.funcs: dict[str, FuncDef] = {f.fid: f for f in self.facts.funcs}
        self._by_last: dict[str, set[str]] = defaultdict(set)
        symbols = set(self.funcs) | set(self.facts.own_prefix) | set(self.facts.frameworks)
        symbols |= set(self.facts.aliases) | {r.owner for r in self.facts.routes if r.owner}
        for ident in symbols:
            self._by_last[_last(ident)].add(ident)
        self._mounts: dict[str, list[Link]] = defaultdict(list)
        for link in self.facts.links:
            for child in self.resolve(link.child):
                self._mounts[child].append(link)

    def resolve(self, ref: str, depth: int = 0) -> set[str]:
        """The known symbols a reference names (aliases followed); the reference itself if none."""
        if depth > _MAX_DEPTH:
            return {ref}
        if ref in self.facts.aliases and self.facts.aliases[ref] != ref:
            return self.resolve(self.facts.aliases[ref], depth + 1)
        candidates = self._by_last.get(_last(ref), set())
        if ref in candidates:
            return {ref}
        if "*" in ref:
            found = {c for c in candidates if fnmatch.fnmatchcase(c, ref)}
        else:
            lang, _, body = ref.partition(":")
            found = {c for c in candidates if c.startswith(lang + ":") and c.endswith("." + body)}
        if not found:
            return {ref}
        out: set[str] = set()
        for ident in sorted(found):
            out |= self.resolve(ident, depth + 1) if ident in self.facts.aliases else {ident}
        return out

    def prefixes(self, symbol: str | None, seen: frozenset[str] = frozenset()) -> set[str]:
        """Every path prefix a router is reachable under (its own prefix after its mounts')."""
        if symbol is None:
            return {""}
        own = self.facts.own_prefix.get(symbol, "")
        links = self._mounts.get(symbol, [])
        if not links or symbol in seen or len(seen) > _MAX_DEPTH:
            return {own}
        out: set[str] = set()
        for link in links:
            for parent in self.resolve(link.parent):
                for above in self.prefixes(parent, seen | {symbol}):
                    out.add(join(above, link.prefix) if link.override else join(above, link.prefix, own))
        return out

    def routes(self) -> list[Route]:
        """Every endpoint of the tree, first definition wins when two declare the same one."""
        found: dict[tuple[str, str], Route] = {}
        for decl in sorted(self.facts.routes, key=lambda d: (d.file, d.line)):
            owners = self.resolve(decl.owner) if decl.owner else {None}
            handlers = frozenset(self.resolve(decl.handler_ref)) if decl.handler_ref else frozenset()
            methods = decl.methods
            if methods == (FROM_HANDLER,):
                known = [self.funcs[h].http_methods for h in handlers if h in self.funcs]
                methods = known[0] if known and known[0] else ("GET",)
            for owner in owners:
                framework = self.facts.frameworks.get(owner, decl.framework) if owner else decl.framework
                for prefix in sorted(self.prefixes(owner)):
                    folds = framework in _ROOT_IS_PREFIX and decl.path == "/" and prefix.strip("/")
                    route = join(prefix) if folds else join(prefix, decl.path)
                    for method in methods:
                        definition = RouteDef(method, route, decl.file, decl.line, framework, decl.handler_name)
                        found.setdefault((method, route), Route(definition, decl, handlers))
        return list(found.values())

    def touched(self, changed: dict[str, set[int]]) -> set[str]:
        """Functions a change reaches: the innermost ones holding a changed line, then their callers."""
        direct: set[str] = set()
        by_file: dict[str, list[FuncDef]] = defaultdict(list)
        for func in self.funcs.values():
            by_file[func.file].append(func)
        for file, lines in changed.items():
            for line in lines:
                holders = [f for f in by_file.get(file, []) if f.span[0] <= line <= f.span[1]]
                if holders:
                    direct.add(min(holders, key=lambda f: f.span[1] - f.span[0]).fid)
        callers: dict[str, set[str]] = defaultdict(set)
        for func in self.funcs.values():
            for ref in func.refs:
                for target in self.resolve(ref):
                    if target != func.fid:
                        callers[target].add(func.fid)
        reached, todo = set(direct), list(direct)
        while todo:
            for caller in callers.get(todo.pop(), ()):
                if caller not in reached:
                    reached.add(caller)
                    todo.append(caller)
        return reached

    @staticmethod
    def route_touched(route: Route, changed: dict[str, set[int]], touched: set[str]) -> bool:
        lines = changed.get(route.decl.file, set())
        first, last = route.decl.decl_span
        return any(first <= n <= last for n in lines) or bool(route.handlers & touched)
