"""Go routes via tree-sitter: net/http 1.22 patterns, gin, echo, chi (Route/Group/Mount), gorilla/mux.

Router variables are scoped per function (``go:<dir>::<func>::<var>``); a function returning a router
is aliased as ``go:<dir>::F()`` and a router parameter as ``go:<dir>::F#i`` so mounts and
``Register(r)`` calls join across functions and packages.
"""

from __future__ import annotations

import posixpath

from tree_sitter import Node

from kassi_app.change import ts
from kassi_app.change.model import FileFacts, FuncDef, Link, RouteDecl
from kassi_app.change.paths import ANY, HTTP_METHODS, normalise

_UPPER = {m: m for m in HTTP_METHODS} | {"Any": ANY}
_CHI = {m.capitalize(): m for m in HTTP_METHODS} | {"Connect": "CONNECT"}
_FRAMEWORKS = (
    ("gin-gonic/gin", "gin"),
    ("labstack/echo", "echo"),
    ("go-chi/chi", "chi"),
    ("gorilla/mux", "gorilla"),
)
_CONSTRUCTORS = {"Default", "New", "NewRouter", "NewServeMux", "NewMux"}


def _field(selector: Node) -> str:
    return ts.text(selector.child_by_field_name("field"))


class _File:
    def __init__(self, path: str, root: Node, first_line: int) -> None:
        self.path = path
        self.first = first_line
        self.dir = posixpath.dirname(path) or "."
        self.facts = FileFacts()
        self.imports: dict[str, str] = {}
        self.framework = "net/http"
        for spec in ts.walk(root):
            if spec.type == "import_spec":
                import_path = ts.string_value(spec.child_by_field_name("path")) or ""
                name = spec.child_by_field_name("name")
                last = [p for p in import_path.split("/") if not (p.startswith("v") and p[1:].isdigit())][-1]
                self.imports[ts.text(name) if name is not None else last] = last
                for marker, framework in _FRAMEWORKS:
                    if marker in import_path:
                        self.framework = framework

    def call_ref(self, fn: Node | None, suffix: str = "") -> str | None:
        """Reference for a called function: ``F`` -> this package, ``pkg.F`` / ``x.M`` -> any package."""
        if fn is None:
            return None
        if fn.type == "identifier":
            return f"go:{self.dir}::{ts.text(fn)}{suffix}"
        if fn.type == "selector_expression":
            operand, field = fn.child_by_field_name("operand"), ts.text(fn.child_by_field_name("field"))
            pkg = self.imports.get(ts.text(operand)) if operand is not None and operand.type == "identifier" else None
            return f"go:*{pkg}::{field}{suffix}" if pkg else f"go:*::{field}{suffix}"
        return None


class _Walker:
    """Walks one top-level function, tracking which variables are in scope."""

    def __init__(self, f: _File, func_name: str) -> None:
        self.f = f
        self.func = func_name
        self.scopes: list[tuple[str, set[str]]] = [(func_name, set())]

    def sym(self, node: Node | None) -> str | None:
        if node is None:
            return None
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is not None and fn.type == "selector_expression" and _field(fn) == "With":  # chi r.With(mw)
                return self.sym(fn.child_by_field_name("operand"))
            return self.f.call_ref(fn, "()")
        if node.type != "identifier":
            return None
        name = ts.text(node)
        for scope, names in reversed(self.scopes):
            if name in names:
                return f"go:{self.f.dir}::{scope}::{name}"
        return f"go:{self.f.dir}::{name}"

    def define(self, names: list[Node]) -> None:
        self.scopes[-1][1].update(ts.text(n) for n in names if n.type == "identifier")

    def params(self, params: Node | None) -> list[Node]:
        return [n for p in (params.named_children if params else []) for n in p.children_by_field_name("name")]

    def visit(self, node: Node) -> None:
        if node.type == "func_literal":
            scope = f"{self.func}@{node.start_point.row}:{node.start_point.column}"
            self.scopes.append((scope, set()))
            self.define(self.params(node.child_by_field_name("parameters")))
            for child in node.children:
                self.visit(child)
            self.scopes.pop()
            return
        if node.type in ("short_var_declaration", "var_spec"):
            left = node.child_by_field_name("left")
            self.define(left.named_children if left is not None else node.children_by_field_name("name"))
            right = node.child_by_field_name("right") or node.child_by_field_name("value")
            if right is not None and right.named_children and left is not None and left.named_children:
                self._assigned(left.named_children[0], right.named_children[0])
        elif node.type == "return_statement" and node.named_children:
            values = node.named_children[0]
            first = values.named_children[0] if values.named_children else None
            target = self.sym(first) if first is not None and first.type == "identifier" else None
            if target:
                self.f.facts.aliases[f"go:{self.f.dir}::{self.func}()"] = target
        elif node.type == "call_expression":
            self._call(node)
        for child in node.children:
            self.visit(child)

    def _assigned(self, var: Node, value: Node) -> None:
        """``g := r.Group("/v1")`` mounts g; ``r := chi.NewRouter()`` makes a router."""
        if value.type != "call_expression":
            return
        fn = value.child_by_field_name("function")
        args = value.child_by_field_name("arguments")
        sym = self.sym(var)
        if fn is None or sym is None:
            return
        field = ts.text(fn.child_by_field_name("field")) if fn.type == "selector_expression" else ts.text(fn)
        operand = fn.child_by_field_name("operand")
        if field == "Group" and operand is not None and args is not None and args.named_children:
            prefix = ts.string_value(args.named_children[0])
            parent = self.sym(operand)
            if prefix is not None and parent:
                self.f.facts.links.append(Link(sym, parent, normalise(prefix)))
        elif field in _CONSTRUCTORS:
            self.f.facts.frameworks[sym] = self.f.framework
        elif (returned := self.f.call_ref(fn, "()")) is not None:  # r := NewRouter(): the router F returns
            self.f.facts.aliases[sym] = returned

    def _call(self, node: Node) -> None:
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        params = args.named_children if args is not None else []
        ref = self.f.call_ref(fn)
        for i, arg in enumerate(params):  # Register(r): the callee's parameter is this router
            if ref and arg.type == "identifier" and (arg_sym := self.sym(arg)):
                self.f.facts.links.append(Link(f"{ref}#{i}", arg_sym, ""))
        if fn is None or fn.type != "selector_expression":
            return
        field = ts.text(fn.child_by_field_name("field"))
        operand = fn.child_by_field_name("operand")
        owner = None if ts.text(operand) in self.f.imports else self.sym(operand)
        strings = [ts.string_value(p) for p in params]
        if field in ("Route", "Group") and params and params[-1].type == "func_literal":
            literal = params[-1]
            inner = self.params(literal.child_by_field_name("parameters"))
            prefix = strings[0] if field == "Route" and len(params) == 2 else ""
            if inner and owner and prefix is not None:
                scope = f"{self.func}@{literal.start_point.row}:{literal.start_point.column}"
                child = f"go:{self.f.dir}::{scope}::{ts.text(inner[0])}"
                self.f.facts.links.append(Link(child, owner, normalise(prefix)))
        elif field == "Mount" and len(params) == 2 and strings[0] is not None and owner:
            mounted = self.sym(params[1])
            if mounted:
                self.f.facts.links.append(Link(mounted, owner, normalise(strings[0])))
        elif field in ("HandleFunc", "Handle") and len(params) == 2 and strings[0]:
            method, _, path = strings[0].rpartition(" ")
            methods = self._gorilla_methods(node) or ((method.upper(),) if method else (ANY,))
            self._route(node, owner, methods, path, params[1])
        elif field in ("Method", "MethodFunc", "Handle", "Add") and len(params) == 3 and strings[0] and strings[1]:
            self._route(node, owner, (strings[0].upper(),), strings[1], params[2])
        elif (field in _UPPER or field in _CHI) and len(params) >= 2 and strings[0] is not None:
            method = _UPPER.get(field) or _CHI[field]
            self._route(node, owner, (method,), strings[0], params[-1] if field in _CHI else params[1])

    @staticmethod
    def _gorilla_methods(node: Node) -> tuple[str, ...]:
        sel = node.parent
        if sel is None or sel.type != "selector_expression" or ts.text(sel.child_by_field_name("field")) != "Methods":
            return ()
        call = sel.parent
        args = call.child_by_field_name("arguments") if call is not None else None
        return tuple((ts.string_value(a) or "").upper() for a in (args.named_children if args else []))

    def _route(self, node: Node, owner: str | None, methods: tuple[str, ...], path: str, handler: Node) -> None:
        if not path.startswith("/"):
            path = path[path.find("/") :] if "/" in path else ""
            if not path:
                return
        while handler.type == "call_expression" and ts.text(handler.child_by_field_name("function")).endswith(
            "HandlerFunc"
        ):
            inner = handler.child_by_field_name("arguments")
            if inner is None or not inner.named_children:
                break
            handler = inner.named_children[0]
        if handler.type == "func_literal":
            name = f"<anonymous>@{ts.line(handler, self.f.first)}"
            fid = f"go:{self.f.dir}::{name}"
            ref: str | None = fid
            self.f.facts.funcs.append(
                FuncDef(fid, name, self.f.path, ts.span(handler, self.f.first), _refs(self.f, handler))
            )
            label = "<anonymous>"
        else:
            ref = self.f.call_ref(handler)
            label = ts.text(handler).split(".")[-1]
        framework = self.f.framework
        self.f.facts.routes.append(
            RouteDecl(
                owner,
                methods,
                normalise(path),
                ref,
                label,
                self.f.path,
                ts.line(node, self.f.first),
                ts.span(node, self.f.first),
                framework,
            )
        )


def _refs(f: _File, body: Node) -> set[str]:
    return {
        ref
        for node in ts.walk(body)
        if node.type == "call_expression" and (ref := f.call_ref(node.child_by_field_name("function")))
    }


def extract(path: str, text: str, first_line: int = 1) -> FileFacts:
    """Facts of a Go file or diff fragment."""
    root = ts.parse("go", text)
    f = _File(path, root, first_line)
    for node in ts.walk(root):
        if node.type not in ("function_declaration", "method_declaration"):
            continue
        name = ts.text(node.child_by_field_name("name"))
        f.facts.funcs.append(FuncDef(f"go:{f.dir}::{name}", name, path, ts.span(node, first_line), _refs(f, node)))
        walker = _Walker(f, name)
        params = walker.params(node.child_by_field_name("parameters"))
        walker.define(params)
        for i, param in enumerate(params):
            f.facts.aliases[f"go:{f.dir}::{name}#{i}"] = f"go:{f.dir}::{name}::{ts.text(param)}"
        body = node.child_by_field_name("body")
        if body is not None:
            walker.visit(body)
    fragment = _Walker(f, "<fragment>")  # statements outside any function: a diff fragment
    for child in root.children:
        if child.type not in ("function_declaration", "method_declaration"):
            fragment.visit(child)
    return f.facts
