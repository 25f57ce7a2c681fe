"""Python routes via ``ast``: FastAPI, Flask and Django, plus every function and the names it references.

Symbols are dotted names under ``py:`` (``py:app.routers.items.router``); imported names resolve to the
module they come from, so ``tree.py`` can join routers and calls across modules.
"""

from __future__ import annotations

import ast
import textwrap
import warnings
from collections.abc import Iterator

from kassi_app.change.model import FROM_HANDLER, FileFacts, FuncDef, Link, RouteDecl
from kassi_app.change.paths import HTTP_METHODS, normalise

_VERBS = {m.lower() for m in HTTP_METHODS}
_CONSTRUCTORS = {"FastAPI": "fastapi", "APIRouter": "fastapi", "Flask": "flask", "Blueprint": "flask"}
_DJANGO_DECORATORS = {"require_GET": ("GET",), "require_POST": ("POST",), "require_safe": ("GET", "HEAD")}
_DJANGO_ROUTE_FUNCS = {"path": False, "re_path": True, "url": True}


def module_name(path: str) -> str:
    """``src/app/views.py`` -> ``src.app.views``; packages drop ``__init__``."""
    dotted = path.removesuffix(".py").replace("/", ".")
    return dotted.removesuffix(".__init__")


def _str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _kw(call: ast.Call, *names: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg in names), None)


def _arg(call: ast.Call, index: int, *names: str) -> ast.expr | None:
    return call.args[index] if len(call.args) > index else _kw(call, *names)


def _str_list(node: ast.expr | None) -> tuple[str, ...]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return tuple(s.upper() for s in (_str(e) for e in node.elts) if s)
    return ()


class _Module:
    """One module's import table and the facts gathered while walking it."""

    def __init__(self, path: str, tree: ast.Module) -> None:
        self.path = path
        self.module = module_name(path)
        self.is_package = path.endswith("__init__.py")
        self.imports: dict[str, str] = {}
        self.facts = FileFacts()
        self.framework_hint = ""
        self._read_imports(tree)

    def _read_imports(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.imports[local] = alias.name if alias.asname else local
                    self._hint(alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(node.module or "", node.level)
                self._hint(base)
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name

    def _hint(self, module: str) -> None:
        root = module.split(".")[0]
        if root in ("fastapi", "flask", "django", "rest_framework"):
            self.framework_hint = self.framework_hint or ("django" if root == "rest_framework" else root)

    def _absolute(self, module: str, level: int) -> str:
        if not level:
            return module
        parts = self.module.split(".")
        keep = len(parts) - level + (1 if self.is_package else 0)
        base = ".".join(parts[: max(keep, 0)])
        return f"{base}.{module}".strip(".") if module else base

    def ref(self, node: ast.expr, cls: str | None = None) -> str | None:
        """The symbol an expression names: ``items.router`` -> ``py:app.routers.items.router``."""
        if isinstance(node, ast.Name):
            if cls and node.id in ("self", "cls"):
                return f"py:{self.module}.{cls}"
            if node.id in self.imports:
                return f"py:{self.imports[node.id]}"
            return f"py:{self.module}.{node.id}"
        if isinstance(node, ast.Attribute):
            base = self.ref(node.value, cls)
            return f"{base}.{node.attr}" if base else None
        return None


def _refs(mod: _Module, nodes: list[ast.stmt], cls: str | None) -> set[str]:
    refs: set[str] = set()
    for stmt in nodes:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
                ref = mod.ref(node, cls)
                if ref:
                    refs.add(ref)
    return refs


def _django_methods(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    """HTTP methods a Django function view answers: its decorators, else GET plus methods it tests for."""
    for dec in fn.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in _DJANGO_DECORATORS:
            return _DJANGO_DECORATORS[name]
        if name in ("require_http_methods", "api_view") and isinstance(dec, ast.Call) and dec.args:
            return _str_list(dec.args[0]) or ("GET",)
    tested = {"GET"}
    for node in ast.walk(fn):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "method":
            for comp in node.comparators:
                tested.update(_str_list(comp) or ((_str(comp) or "GET").upper(),))
    return tuple(sorted(tested))


def _walk_defs(
    body: list[ast.stmt], prefix: str, cls: str | None
) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, str, str | None]]:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            qual = f"{prefix}{node.name}"
            yield node, qual, cls
            yield from _walk_defs(node.body, f"{qual}.", qual if isinstance(node, ast.ClassDef) else cls)
        elif isinstance(node, (ast.If, ast.With, ast.Try)):  # app factories, feature flags
            yield from _walk_defs([*node.body, *getattr(node, "orelse", [])], prefix, cls)


def _collect_funcs(mod: _Module, tree: ast.Module) -> None:
    for node, qual, cls in _walk_defs(tree.body, "", None):
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        fid = f"py:{mod.module}.{qual}"
        func = FuncDef(fid, node.name, mod.path, (start, node.end_lineno or node.lineno))
        if isinstance(node, ast.ClassDef):
            func.refs = _refs(mod, node.body, qual)
            verbs = [n.name.upper() for n in node.body if isinstance(n, ast.FunctionDef) and n.name in _VERBS]
            func.http_methods = tuple(verbs) or ("GET",)
        else:
            func.refs = _refs(mod, [*node.body, *[ast.Expr(d) for d in node.args.defaults]], cls)
            func.http_methods = _django_methods(node)
            _decorator_routes(mod, node, fid)
        mod.facts.funcs.append(func)
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    span = (stmt.lineno, stmt.end_lineno or stmt.lineno)
                    mod.facts.funcs.append(FuncDef(f"py:{mod.module}.{target.id}", target.id, mod.path, span))


def _decorator_routes(mod: _Module, fn: ast.FunctionDef | ast.AsyncFunctionDef, fid: str) -> None:
    for dec in fn.decorator_list:
        if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)):
            continue
        attr = dec.func.attr
        path = _str(_arg(dec, 0, "path", "rule"))
        if path is None or (attr not in _VERBS and attr not in ("route", "api_route")):
            continue
        if attr in _VERBS:
            methods: tuple[str, ...] = (attr.upper(),)
            framework = mod.framework_hint if mod.framework_hint in ("fastapi", "flask") else "fastapi"
        else:
            methods = _str_list(_kw(dec, "methods")) or ("GET",)
            framework = "flask" if attr == "route" else "fastapi"
        mod.facts.routes.append(
            RouteDecl(
                mod.ref(dec.func.value),
                methods,
                normalise(path),
                fid,
                fn.name,
                mod.path,
                dec.lineno,
                (dec.lineno, dec.end_lineno or dec.lineno),
                framework,
            )
        )


def _handler(mod: _Module, node: ast.expr | None) -> tuple[str | None, str]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "as_view":
        node = node.func.value
    if node is None:
        return None, "?"
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "?")
    return mod.ref(node), name


def _call_facts(mod: _Module, call: ast.Call, assigned: ast.expr | None) -> None:
    """Router constructors, mounts and imperative route registrations."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    span = (call.lineno, call.end_lineno or call.lineno)
    if name in _CONSTRUCTORS and assigned is not None:
        sym = mod.ref(assigned)
        if sym:
            mod.facts.frameworks[sym] = _CONSTRUCTORS[name]
            prefix = _str(_kw(call, "prefix", "url_prefix"))
            if prefix:
                mod.facts.own_prefix[sym] = normalise(prefix)
        return
    if not isinstance(func, ast.Attribute):
        return
    owner = mod.ref(func.value)
    if name in ("include_router", "register_blueprint") and call.args and owner:
        child = mod.ref(call.args[0])
        prefix = _str(_kw(call, "prefix", "url_prefix"))
        if child:
            override = name == "register_blueprint" and prefix is not None
            mod.facts.links.append(Link(child, owner, normalise(prefix or ""), override))
    elif name in ("add_url_rule", "add_api_route"):
        path = _str(_arg(call, 0, "rule", "path"))
        view = _arg(call, 2, "view_func") if name == "add_url_rule" else _arg(call, 1, "endpoint")
        if path is not None:
            ref, handler_name = _handler(mod, view)
            methods = _str_list(_kw(call, "methods")) or ("GET",)
            framework = "flask" if name == "add_url_rule" else "fastapi"
            mod.facts.routes.append(
                RouteDecl(owner, methods, normalise(path), ref, handler_name, mod.path, call.lineno, span, framework)
            )


def _django_patterns(mod: _Module, tree: ast.Module) -> None:
    owner = f"py:{mod.module}.urlpatterns"
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in _DJANGO_ROUTE_FUNCS or len(node.args) < 2:
            continue
        path = _str(node.args[0])
        if path is None:
            continue
        route = normalise(path, regex=_DJANGO_ROUTE_FUNCS[name])
        view = node.args[1]
        if isinstance(view, ast.Call) and getattr(view.func, "id", getattr(view.func, "attr", "")) == "include":
            target = view.args[0] if view.args else None
            dotted = _str(target)
            child = f"py:{dotted}.urlpatterns" if dotted else (mod.ref(target) if target is not None else None)
            if child and not dotted:
                child += ".urlpatterns"
            if child:
                mod.facts.links.append(Link(child, owner, route))
            continue
        if isinstance(view, ast.Attribute) and view.attr == "urls":  # admin.site.urls: a third-party URLconf
            continue
        ref, handler_name = _handler(mod, view)
        span = (node.lineno, node.end_lineno or node.lineno)
        mod.facts.routes.append(
            RouteDecl(owner, (FROM_HANDLER,), route, ref, handler_name, mod.path, node.lineno, span, "django")
        )


def _facts(path: str, tree: ast.Module) -> FileFacts:
    mod = _Module(path, tree)
    _collect_funcs(mod, tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            _call_facts(mod, node.value, node.targets[0])
        elif isinstance(node, ast.Call):
            _call_facts(mod, node, None)
    if "django" in mod.framework_hint or path.endswith("urls.py"):
        _django_patterns(mod, tree)
    return mod.facts


def _parse(text: str) -> ast.Module:
    """``ast.parse`` without printing the SyntaxWarnings of the user's code (invalid escapes, ``is``
    with a literal ...): they are the user's business, not kassi's output."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return ast.parse(text)


def extract(path: str, text: str) -> FileFacts:
    """Facts of a whole module; a module that does not parse yields none (the service could not run it)."""
    try:
        tree = _parse(text)
    except (SyntaxError, ValueError):
        return FileFacts()
    return _facts(path, tree)


def extract_fragment(path: str, text: str, first_line: int) -> FileFacts:
    """Facts of a diff fragment: parse the largest runs of lines that are valid Python on their own."""
    lines = text.splitlines()
    facts = FileFacts()
    i, j = 0, len(lines)
    while i < len(lines):
        if i >= j:
            i, j = i + 1, len(lines)
            continue
        try:
            tree = _parse(textwrap.dedent("\n".join(lines[i:j])))
        except SyntaxError as exc:
            bad = (exc.lineno or 1) - 1
            if bad <= 0 or not "".join(lines[i : i + bad]).strip():
                i, j = i + max(bad, 0) + 1, len(lines)
            else:
                j = min(i + bad, j - 1)
            continue
        except ValueError:
            i, j = i + 1, len(lines)
            continue
        ast.increment_lineno(tree, first_line + i - 1)
        facts.merge(_facts(path, tree))
        i, j = j, len(lines)
    return facts
