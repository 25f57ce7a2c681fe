"""Express and Koa routers via tree-sitter: routes, ``app.use`` mounts, router prefixes, functions, calls.

Symbols are ``js:<module>::<name>`` where the module is the file path without extension (and without a
trailing ``/index``), so ``require('./routes/users')`` and ``routes/users.js`` meet.
"""

from __future__ import annotations

import posixpath
import re

from tree_sitter import Node

from kassi_app.change import ts
from kassi_app.change.model import FileFacts, FuncDef, Link, RouteDecl
from kassi_app.change.paths import ANY, HTTP_METHODS, normalise

_VERBS = {m.lower(): m for m in HTTP_METHODS} | {"del": "DELETE", "all": ANY}
_ROUTERISH = re.compile(r"^(app|api|router|routes|server|r)$|[Rr]outer$")
_ROUTER_CALLEES = ("express", "Router", "Koa", "KoaRouter")
_FUNCTION_TYPES = ("function_expression", "arrow_function", "function_declaration", "function")


def module_key(path: str) -> str:
    stem = re.sub(r"\.(m|c)?[jt]s$", "", path)
    return stem.removesuffix("/index")


class _File:
    def __init__(self, path: str, root: Node, first_line: int) -> None:
        self.path = path
        self.first = first_line
        self.key = module_key(path)
        self.facts = FileFacts()
        self.imports: dict[str, tuple[str, str | None]] = {}
        self.routers: set[str] = set()
        src = ts.text(root)
        self.framework = "koa" if re.search(r"""['"](koa|@koa/router|koa-router)['"]""", src) else "express"
        self._imports(root)

    def _target(self, spec: str) -> str | None:
        if not spec.startswith("."):
            return None
        return module_key(posixpath.normpath(posixpath.join(posixpath.dirname(self.path), spec)))

    def _imports(self, root: Node) -> None:
        for node in ts.walk(root):
            if node.type == "variable_declarator":
                value = node.child_by_field_name("value")
                if value is None or ts.text(value.child_by_field_name("function")) != "require":
                    continue
                args = value.child_by_field_name("arguments")
                spec = ts.string_value(args.named_children[0]) if args and args.named_children else None
                target = self._target(spec or "")
                name = node.child_by_field_name("name")
                if target is None or name is None:
                    continue
                if name.type == "identifier":
                    self.imports[ts.text(name)] = (target, None)
                for prop in name.named_children if name.type == "object_pattern" else []:
                    if prop.type == "shorthand_property_identifier_pattern":
                        self.imports[ts.text(prop)] = (target, ts.text(prop))
                    elif prop.type == "pair_pattern":
                        key, val = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                        self.imports[ts.text(val)] = (target, ts.text(key))
            elif node.type == "import_statement":
                target = self._target(ts.string_value(node.child_by_field_name("source")) or "")
                if target is None:
                    continue
                for part in ts.walk(node):
                    if part.type == "import_clause":
                        for child in part.named_children:
                            if child.type == "identifier":
                                self.imports[ts.text(child)] = (target, "default")
                    elif part.type == "namespace_import":
                        self.imports[ts.text(part.named_children[0])] = (target, None)
                    elif part.type == "import_specifier":
                        name, alias = part.child_by_field_name("name"), part.child_by_field_name("alias")
                        self.imports[ts.text(alias or name)] = (target, ts.text(name))

    def ref(self, node: Node | None) -> str | None:
        """Symbol of an identifier or ``module.member`` expression."""
        if node is None:
            return None
        if node.type == "identifier":
            name = ts.text(node)
            if name in self.imports:
                target, member = self.imports[name]
                return f"js:{target}::{member or 'default'}"
            return f"js:{self.key}::{name}"
        if node.type == "member_expression":
            obj, prop = node.child_by_field_name("object"), ts.text(node.child_by_field_name("property"))
            if obj is not None and obj.type == "identifier" and ts.text(obj) in self.imports:
                target, member = self.imports[ts.text(obj)]
                return f"js:{target}::{prop}" if member in (None, "default") else None
            if obj is not None and obj.type == "identifier":
                return f"js:{self.key}::{prop}" if ts.text(obj) in ("exports", "module") else None
        if node.type == "call_expression":  # koa: router.routes(); inline require('./api')
            fn = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if ts.text(fn) == "require" and args is not None and args.named_children:
                required = self._target(ts.string_value(args.named_children[0]) or "")
                return f"js:{required}::default" if required else None
            if fn is not None and ts.text(fn.child_by_field_name("property")) in ("routes", "middleware"):
                return self.ref(fn.child_by_field_name("object"))
        return None


def _calls(f: _File, body: Node) -> set[str]:
    """Names a function uses: calls, and functions passed as values (``rows.map(toPublic)``)."""
    refs: set[str] = set()
    for node in ts.walk(body):
        if node.type in ("identifier", "member_expression"):
            ref = f.ref(node)
            if ref:
                refs.add(ref)
    return refs


def _functions(f: _File, root: Node) -> None:
    for node in ts.walk(root):
        name: str | None = None
        body: Node | None = None
        if node.type == "function_declaration":
            name, body = ts.text(node.child_by_field_name("name")), node
        elif node.type == "variable_declarator":
            value = node.child_by_field_name("value")
            if value is not None and value.type in _FUNCTION_TYPES:
                name, body = ts.text(node.child_by_field_name("name")), value
        elif node.type == "assignment_expression":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if right is not None and right.type in _FUNCTION_TYPES and left is not None:
                lref = f.ref(left)
                name = lref.split("::")[-1] if lref else None
                body = right
        if name and body is not None:
            fid = f"js:{f.key}::{name}"
            f.facts.funcs.append(FuncDef(fid, name, f.path, ts.span(node, f.first), _calls(f, body)))


def _exports(f: _File, root: Node) -> None:
    for node in ts.walk(root):
        target: Node | None = None
        if node.type == "assignment_expression" and ts.text(node.child_by_field_name("left")) == "module.exports":
            target = node.child_by_field_name("right")
        elif node.type == "export_statement":
            target = node.child_by_field_name("value")
        if target is None:
            continue
        if target.type == "object":
            for prop in target.named_children:
                if prop.type == "shorthand_property_identifier":
                    f.facts.aliases.setdefault(f"js:{f.key}::{ts.text(prop)}", f"js:{f.key}::{ts.text(prop)}")
                elif prop.type == "pair":
                    value_ref = f.ref(prop.child_by_field_name("value"))
                    if value_ref:
                        f.facts.aliases[f"js:{f.key}::{ts.text(prop.child_by_field_name('key'))}"] = value_ref
        else:
            value_ref = f.ref(target)
            if value_ref:
                f.facts.aliases[f"js:{f.key}::default"] = value_ref


def _router_decls(f: _File, root: Node) -> None:
    """``x = express()``, ``express.Router()``, ``Router()``, ``new Router({prefix})``, ``new Koa()``."""
    for node in ts.walk(root):
        if node.type != "variable_declarator":
            continue
        value = node.child_by_field_name("value")
        if value is None or value.type not in ("call_expression", "new_expression"):
            continue
        callee = ts.text(value.child_by_field_name("function") or value.child_by_field_name("constructor"))
        if callee.split(".")[-1] not in _ROUTER_CALLEES:
            continue
        sym = f"js:{f.key}::{ts.text(node.child_by_field_name('name'))}"
        f.routers.add(sym)
        f.facts.frameworks[sym] = f.framework
        for pair in ts.walk(value):
            if pair.type == "pair" and ts.text(pair.child_by_field_name("key")) == "prefix":
                prefix = ts.string_value(pair.child_by_field_name("value"))
                if prefix:
                    f.facts.own_prefix[sym] = normalise(prefix)


def _handler(f: _File, node: Node) -> tuple[str | None, str]:
    if node.type in _FUNCTION_TYPES:
        name = f"<anonymous>@{ts.line(node, f.first)}"
        fid = f"js:{f.key}::{name}"
        f.facts.funcs.append(FuncDef(fid, name, f.path, ts.span(node, f.first), _calls(f, node)))
        return fid, "<anonymous>"
    return f.ref(node), ts.text(node).split(".")[-1] or "?"


def _is_router_call(node: Node) -> bool:
    callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
    return node.type in ("call_expression", "new_expression") and ts.text(callee).split(".")[-1] in _ROUTER_CALLEES


def _chain_owner(f: _File, node: Node) -> str | None:
    """``const api = Router().use(a).use(b)`` / ``export default Router().use('/api', api)``."""
    base = node
    while base.type == "call_expression" and not _is_router_call(base):
        fn = base.child_by_field_name("function")
        obj = fn.child_by_field_name("object") if fn is not None and fn.type == "member_expression" else None
        if obj is None:
            return None
        base = obj
    if not _is_router_call(base):
        return None
    top = node
    while top.parent is not None and top.parent.type in ("call_expression", "member_expression"):
        top = top.parent
    holder = top.parent
    if holder is not None and holder.type == "variable_declarator":
        sym = f"js:{f.key}::{ts.text(holder.child_by_field_name('name'))}"
    elif holder is not None and holder.type == "export_statement":
        sym = f"js:{f.key}::default"
    else:
        return None
    f.facts.frameworks[sym] = f.framework
    return sym


def _owner(f: _File, node: Node | None) -> str | None:
    """The router a call hangs on, if it plausibly is one (not ``axios.get``)."""
    if node is not None and node.type in ("call_expression", "new_expression"):
        return _chain_owner(f, node)
    if node is None or node.type != "identifier":
        return None
    sym = f.ref(node)
    if sym and (sym in f.routers or ts.text(node) in f.imports or _ROUTERISH.search(ts.text(node))):
        return sym
    return None


def _routes(f: _File, root: Node) -> None:
    for node in ts.walk(root):
        if node.type != "call_expression":
            continue
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or fn.type != "member_expression" or args is None:
            continue
        prop = ts.text(fn.child_by_field_name("property"))
        obj = fn.child_by_field_name("object")
        params = args.named_children
        if prop == "prefix" and params and (owner := _owner(f, obj)):
            f.facts.own_prefix[owner] = normalise(ts.string_value(params[0]) or "")
        elif prop == "use":
            _mount(f, obj, params)
        elif prop in _VERBS:
            path_node, handler_nodes, owner_node = (params[0] if params else None), params[1:], obj
            if obj is not None and obj.type == "call_expression":  # router.route('/x').get(h)
                inner = obj.child_by_field_name("function")
                while inner is not None and inner.type == "member_expression":
                    inner_prop = ts.text(inner.child_by_field_name("property"))
                    inner_obj = inner.child_by_field_name("object")
                    if inner_prop == "route" and inner.parent is not None:
                        route_args = inner.parent.child_by_field_name("arguments")
                        path_node = route_args.named_children[0] if route_args and route_args.named_children else None
                        handler_nodes, owner_node = params, inner_obj
                        break
                    inner = inner_obj.child_by_field_name("function") if inner_obj is not None else None
                else:
                    continue
            path = ts.string_value(path_node)
            owner = _owner(f, owner_node)
            if path is None or owner is None or not handler_nodes or (path and not path.startswith("/")):
                continue
            ref, name = _handler(f, handler_nodes[-1])
            f.facts.routes.append(
                RouteDecl(
                    owner,
                    (_VERBS[prop],),
                    normalise(path),
                    ref,
                    name,
                    f.path,
                    ts.line(node, f.first),
                    ts.span(node, f.first),
                    f.framework,
                )
            )


def _mount(f: _File, obj: Node | None, params: list[Node]) -> None:
    parent = _owner(f, obj)
    if parent is None or not params:
        return
    prefix = ts.string_value(params[0])
    for child_node in params[1:] if prefix is not None else params:
        child = f.ref(child_node)
        if child:
            f.facts.links.append(Link(child, parent, normalise(prefix or "")))


def extract(path: str, text: str, first_line: int = 1) -> FileFacts:
    """Facts of a JavaScript (or, best effort, TypeScript) file or diff fragment."""
    root = ts.parse("js", text)
    f = _File(path, root, first_line)
    _functions(f, root)
    _exports(f, root)
    _router_decls(f, root)
    _routes(f, root)
    return f.facts
