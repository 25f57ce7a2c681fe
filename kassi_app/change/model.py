"""What the change package hands to the rest of kassi: changed endpoints, diff hunks, the change set.

Also the per-file *facts* the language extractors produce (routes, router mounts, functions and the
references they make); ``tree.py`` joins them into endpoints and a call graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kassi_app.endpoint import Endpoint

ChangeKind = Literal["added", "modified", "removed"]
Span = tuple[int, int]


@dataclass(frozen=True)
class Hunk:
    """One diff hunk: new-side line range (``start``..``end``, inclusive) and its text, for blame."""

    file: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ChangedEndpoint:
    """An endpoint the change adds, modifies or removes, with where it is declared."""

    method: str
    route: str
    change: ChangeKind
    file: str
    line: int
    framework: str
    handler: str

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.method, self.route)

    def to_json(self) -> dict[str, str | int]:
        return {
            "method": self.method,
            "route": self.route,
            "change": self.change,
            "file": self.file,
            "line": self.line,
            "framework": self.framework,
            "handler": self.handler,
        }


@dataclass(frozen=True)
class ChangeSet:
    """The endpoints a change touches, the hunks it is made of and the files it changes."""

    endpoints: list[ChangedEndpoint]
    hunks: list[Hunk]
    files: list[str]

    def hunks_for(self, file: str, line: int) -> list[Hunk]:
        """Hunks of ``file`` whose new-side range contains ``line`` (for "introduced at file:line")."""
        return [h for h in self.hunks if h.file == file and h.start <= line <= h.end]


@dataclass(frozen=True)
class RouteDef:
    """A resolved endpoint definition in one tree (what ``all_endpoints`` returns)."""

    method: str
    route: str
    file: str
    line: int
    framework: str
    handler: str

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.method, self.route)


# --- facts extracted from one source file -------------------------------------------------------

#: Methods placeholder: take the HTTP methods from the handler (Django views).
FROM_HANDLER = "@handler"


@dataclass
class RouteDecl:
    """A route as written: ``owner`` is the router symbol it hangs on (None: the root)."""

    owner: str | None
    methods: tuple[str, ...]
    path: str
    handler_ref: str | None
    handler_name: str
    file: str
    line: int
    decl_span: Span
    framework: str


@dataclass(frozen=True)
class Link:
    """Router ``child`` is mounted on ``parent`` at ``prefix``; ``override`` drops the child's own prefix."""

    child: str
    parent: str
    prefix: str
    override: bool = False


@dataclass
class FuncDef:
    """A function (or class, or module-level binding) with its line span and what it references."""

    fid: str
    name: str
    file: str
    span: Span
    refs: set[str] = field(default_factory=set)
    http_methods: tuple[str, ...] = ()


@dataclass
class FileFacts:
    """Everything one extractor learned from one file (or one diff fragment of it)."""

    routes: list[RouteDecl] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    own_prefix: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    funcs: list[FuncDef] = field(default_factory=list)
    frameworks: dict[str, str] = field(default_factory=dict)

    def merge(self, other: FileFacts) -> None:
        self.routes += other.routes
        self.links += other.links
        self.own_prefix.update(other.own_prefix)
        self.aliases.update(other.aliases)
        self.funcs += other.funcs
        self.frameworks.update(other.frameworks)
