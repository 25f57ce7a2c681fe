"""Request shapes of Python handlers, read with ``ast``: FastAPI signatures and pydantic models, the
``request.form``/``request.args``/``request.json`` keys a Flask view reads, Django's ``request.POST``
and form classes (Django forms and WTForms alike: a class of ``...Field(...)`` attributes), and the
``<int:pk>`` converters of a route.

Static reading, never importing the service: kassi must not run a project's code to plan its load.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import Any

from kassi_app.change.shapes import Encoding, Fields, RequestShape, RouteLike, Schema, schema_for_name

Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef

_SCALARS: dict[str, Schema] = {
    "int": {"type": "integer", "minimum": 1}, "float": {"type": "number", "minimum": 1},
    "Decimal": {"type": "number", "minimum": 1}, "str": {"type": "string", "maxLength": 64},
    "bool": {"type": "boolean"}, "EmailStr": {"type": "string", "format": "email"},
    "HttpUrl": {"type": "string", "format": "uri"}, "AnyUrl": {"type": "string", "format": "uri"},
    "UUID": {"type": "string", "format": "uuid"}, "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"}, "time": {"type": "string", "format": "time"},
    "dict": {"type": "object"}, "Dict": {"type": "object"}, "Any": {"type": "string"},
}
_ARRAYS = {"list", "List", "set", "Set", "tuple", "Tuple", "Sequence", "frozenset", "Iterable"}
_MODEL_BASES = {"BaseModel", "SQLModel", "Schema", "RootModel"}
_FASTAPI_SKIP_MARKERS = {"Depends", "Security", "Header", "Cookie", "Path", "File", "UploadFile"}
_FASTAPI_SKIP_TYPES = {"Request", "Response", "BackgroundTasks", "WebSocket", "Session", "AsyncSession",
                       "HTTPConnection", "UploadFile", "SecurityScopes"}
_CONSTRAINTS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum",
                "min_length": "minLength", "max_length": "maxLength", "min_value": "minimum",
                "max_value": "maximum"}
_FORM_FIELDS: dict[str, Schema] = {
    "CharField": {"type": "string", "maxLength": 64}, "TextField": {"type": "string", "maxLength": 64},
    "StringField": {"type": "string", "maxLength": 64}, "TextAreaField": {"type": "string", "maxLength": 64},
    "SlugField": {"type": "string", "pattern": "^[a-z-]+$"},
    "EmailField": {"type": "string", "format": "email"}, "PasswordField": {"type": "string", "format": "password"},
    "URLField": {"type": "string", "format": "uri"}, "UUIDField": {"type": "string", "format": "uuid"},
    "IntegerField": {"type": "integer", "minimum": 1}, "PositiveIntegerField": {"type": "integer", "minimum": 1},
    "BigIntegerField": {"type": "integer", "minimum": 1}, "SmallIntegerField": {"type": "integer", "minimum": 1},
    "FloatField": {"type": "number", "minimum": 1}, "DecimalField": {"type": "number", "minimum": 1},
    "BooleanField": {"type": "boolean"}, "DateField": {"type": "string", "format": "date"},
    "DateTimeField": {"type": "string", "format": "date-time"}, "TimeField": {"type": "string", "format": "time"},
    "ModelChoiceField": {"type": "integer", "minimum": 1}, "ForeignKey": {"type": "integer", "minimum": 1},
    "OneToOneField": {"type": "integer", "minimum": 1},
}
_AUTO_FIELDS = {"AutoField", "BigAutoField", "ManyToManyField"}
_CONVERTERS: dict[str, Schema] = {
    "int": {"type": "integer", "minimum": 1}, "float": {"type": "number", "minimum": 1},
    "uuid": {"type": "string", "format": "uuid"}, "slug": {"type": "string", "pattern": "^[a-z-]+$"},
    "str": {"type": "string"}, "string": {"type": "string"}, "path": {"type": "string"},
}
_CONVERTER = re.compile(r"<(\w+):(\w+)>|\(\?P<(\w+)>\\d")
_REQUEST_SOURCES: dict[str, Encoding | None] = {
    "form": "form", "values": "form", "POST": "form", "args": None, "GET": None, "query_params": None,
    "json": "json", "data": "json",
}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _name(node: ast.expr | None) -> str:
    """The last name of ``x``, ``a.b.x`` or ``x(...)``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _literal(node: ast.expr | None) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


class PythonProject:
    """Every class and function of a tree's Python files, to find a route's handler and its models."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.trees: dict[str, ast.Module] = {}
        for path, text in files.items():
            try:
                self.trees[path] = ast.parse(text)
            except (SyntaxError, ValueError):
                continue
        self.defs: dict[str, list[tuple[str, Def]]] = {}
        for path, tree in self.trees.items():
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    self.defs.setdefault(node.name, []).append((path, node))

    # ---- finding things -----------------------------------------------------------------------
    def _class(self, name: str, near: str) -> ast.ClassDef | None:
        found = [(p, d) for p, d in self.defs.get(name, []) if isinstance(d, ast.ClassDef)]
        found.sort(key=lambda pd: (pd[0] != near, posixpath.dirname(pd[0]) != posixpath.dirname(near)))
        return found[0][1] if found else None

    def _handler(self, route: RouteLike) -> tuple[str, Def] | None:
        tree = self.trees.get(route.file)
        if tree is not None:
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and route.line in (
                        node.lineno, *(d.lineno for d in node.decorator_list)):
                    return route.file, node
        candidates = self.defs.get(route.handler, [])
        candidates = sorted(candidates, key=lambda pd: (
            posixpath.dirname(pd[0]) != posixpath.dirname(route.file), pd[0]))
        return candidates[0] if candidates else None

    def _is_model(self, cls: ast.ClassDef, near: str, seen: frozenset[str] = frozenset()) -> bool:
        for base in cls.bases:
            name = _name(base)
            if name in _MODEL_BASES:
                return True
            parent = self._class(name, near) if name not in seen else None
            if parent is not None and self._is_model(parent, near, seen | {cls.name}):
                return True
        return False

    def _form_class(self, name: str, near: str) -> ast.ClassDef | None:
        """A class whose attributes are ``...Field(...)`` calls, or a ModelForm: a form."""
        cls = self._class(name, near)
        if cls is None:
            return None
        if any(_name(b) in ("ModelForm", "Form", "FlaskForm", "BaseForm") for b in cls.bases):
            return cls
        fields = [s for s in cls.body if isinstance(s, ast.Assign) and _name(s.value).endswith("Field")]
        return cls if fields else None

    # ---- the shape of one route ---------------------------------------------------------------
    def shape(self, route: RouteLike) -> RequestShape | None:
        found = self._handler(route)
        if found is None:
            return None
        path, node = found
        path_types = self._path_types(route, node)
        if isinstance(node, ast.ClassDef):
            shape = self._view_class(route, path, node, path_types)
        elif route.framework == "fastapi":
            shape = self._fastapi(route, path, node, path_types)
        else:
            shape = self._reads(route, path, node, path_types, csrf=self._needs_csrf(route, node))
        if shape is None and path_types:
            return RequestShape(f"{node.name}: route converters", path=path_types)
        return shape

    def _path_types(self, route: RouteLike, handler: Def) -> dict[str, Schema]:
        """Converters in the route as declared (``<int:pk>``), else the handler's annotations."""
        out: dict[str, Schema] = {}
        tree = self.trees.get(route.file)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Call) and getattr(node, "lineno", 0) == route.line:
                text = next((a.value for a in node.args if isinstance(a, ast.Constant)
                             and isinstance(a.value, str)), "")
                for conv, name, regex_name in _CONVERTER.findall(text):
                    out[name or regex_name] = dict(_CONVERTERS.get(conv or "int", {"type": "string"}))
        if isinstance(handler, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for arg in [*handler.args.args, *handler.args.kwonlyargs]:
                if f"{{{arg.arg}}}" in route.route and arg.arg not in out and arg.annotation is not None:
                    out[arg.arg] = self._type(arg.annotation, route.file, 0)
        return out

    def _needs_csrf(self, route: RouteLike, node: Def) -> bool:
        if route.framework != "django" or route.method not in _UNSAFE:
            return False
        names = {_name(d) for d in node.decorator_list} | {
            _name(a) for d in node.decorator_list if isinstance(d, ast.Call) for a in d.args}
        return not names & {"csrf_exempt", "api_view"}

    # ---- FastAPI ------------------------------------------------------------------------------
    def _fastapi(self, route: RouteLike, path: str, fn: ast.FunctionDef | ast.AsyncFunctionDef,
                 path_types: dict[str, Schema]) -> RequestShape:
        query, form, embedded = Fields(), Fields(), Fields()
        models: list[tuple[str, Schema, bool]] = []
        model_names: list[str] = []
        for arg, default in _arguments(fn):
            if f"{{{arg.arg}}}" in route.route:
                continue
            ann, marker = _unwrap_annotated(arg.annotation)
            if isinstance(default, ast.Call) and _name(default) in ("Query", "Body", "Form", *_FASTAPI_SKIP_MARKERS):
                marker = marker or default
                default = default.args[0] if default.args else _kw(default, "default")
            marker_name = _name(marker) if marker is not None else ""
            if marker_name in _FASTAPI_SKIP_MARKERS or _name(ann) in _FASTAPI_SKIP_TYPES:
                continue
            required = default is None or (isinstance(default, ast.Constant) and default.value is Ellipsis)
            schema = self._type(ann, path, 0) if ann is not None else {"type": "string"}
            _apply_field(schema, marker)
            if not required and default is not None and _literal(default) is not None:
                schema.setdefault("default", _literal(default))
            model = self._class(_name(ann), path) if ann is not None else None
            if marker_name == "Form":
                form.add(arg.arg, schema, required)
            elif marker_name == "Body":
                embedded.add(arg.arg, schema, required)
            elif model is not None and self._is_model(model, path):
                models.append((arg.arg, schema, required))
                model_names.append(model.name)
            elif required or "examples" in schema or "example" in schema:
                query.add(arg.arg, schema, required)
        body: Schema | None = None
        encoding: Encoding | None = None
        if form.props:
            body, encoding = form.schema(), "form"
        elif len(models) == 1 and not embedded.props:
            body, encoding = models[0][1], "json"
        elif models or embedded.props:
            for name, schema, required in models:
                embedded.add(name, schema, required)
            body, encoding = embedded.schema(), "json"
        source = f"{fn.name}() signature" + (f", model {', '.join(model_names)}" if model_names else "")
        return RequestShape(source, body, encoding, dict(query.props), path_types)

    def _type(self, ann: ast.expr | None, near: str, depth: int) -> Schema:
        """The schema of a type annotation (pydantic models become nested object schemas)."""
        if ann is None:
            return {"type": "string"}
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):  # forward reference
            try:
                ann = ast.parse(ann.value, mode="eval").body
            except SyntaxError:
                return {"type": "string"}
        if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):  # X | None
            side = ann.right if _is_none(ann.left) else ann.left
            return self._type(side, near, depth)
        if isinstance(ann, ast.Subscript):
            outer, inner = _name(ann.value), ann.slice
            args = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
            if outer in _ARRAYS:
                return {"type": "array", "items": self._type(args[0], near, depth + 1), "minItems": 1}
            if outer in ("Optional", "Union"):
                return self._type(next((a for a in args if not _is_none(a)), args[0]), near, depth)
            if outer == "Literal":
                return {"enum": [_literal(a) for a in args]}
            if outer == "Annotated":
                schema = self._type(args[0], near, depth)
                for meta in args[1:]:
                    _apply_field(schema, meta)
                return schema
            if outer in ("dict", "Dict", "Mapping"):
                return {"type": "object"}
            if outer in ("conint", "constr"):
                return {"type": "integer" if outer == "conint" else "string"}
        name = _name(ann)
        if name in _SCALARS:
            return dict(_SCALARS[name])
        cls = self._class(name, near)
        if cls is not None and depth < 4:
            if self._is_model(cls, near):
                return self._model(cls, near, depth + 1)
            values = [_literal(s.value) for s in cls.body if isinstance(s, ast.Assign)]
            if values and any(_name(b) in ("Enum", "StrEnum", "IntEnum") for b in cls.bases):
                return {"enum": values}
        return {"type": "string"}

    def _model(self, cls: ast.ClassDef, near: str, depth: int) -> Schema:
        fields = Fields()
        for base in cls.bases:  # inherited fields first, as pydantic orders them
            parent = self._class(_name(base), near)
            if parent is not None and parent is not cls and self._is_model(parent, near):
                inherited = self._model(parent, near, depth)
                for name, schema in inherited["properties"].items():
                    fields.add(name, schema, name in inherited["required"])
        for stmt in cls.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            if _name(stmt.annotation) == "ClassVar":
                continue
            name, schema, value = stmt.target.id, self._type(stmt.annotation, near, depth), stmt.value
            required = value is None
            if isinstance(value, ast.Call) and _name(value) == "Field":
                first = value.args[0] if value.args else _kw(value, "default")
                required = (first is None and _kw(value, "default_factory") is None) or (
                    isinstance(first, ast.Constant) and first.value is Ellipsis)
                if not required and _literal(first) is not None:
                    schema["default"] = _literal(first)
                _apply_field(schema, value)
                alias = _literal(_kw(value, "alias"))
                name = alias if isinstance(alias, str) else name
            elif value is not None and _literal(value) is not None:
                schema["default"] = _literal(value)
            fields.add(name, schema, required)
        return fields.schema() or {"type": "object", "properties": {}, "required": []}

    # ---- Flask and Django views ---------------------------------------------------------------
    def _view_class(self, route: RouteLike, path: str, cls: ast.ClassDef,
                    path_types: dict[str, Schema]) -> RequestShape | None:
        """A class-based view: its ``form_class`` / ``fields`` (generic edit views), else the method."""
        csrf = self._needs_csrf(route, cls) and not any(
            _name(b) in ("APIView", "GenericAPIView", "ViewSet", "ModelViewSet") for b in cls.bases)
        for stmt in cls.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
                continue
            target = _name(stmt.targets[0])
            if target == "form_class" and route.method in _UNSAFE:
                form = self._form_class(_name(stmt.value), path)
                if form is not None:
                    return RequestShape(f"{cls.name}.form_class {form.name}", self._form_fields(form, path),
                                        "form", {}, path_types, csrf)
            if target == "fields" and route.method in _UNSAFE:
                model = next((s.value for s in cls.body if isinstance(s, ast.Assign)
                              and _name(s.targets[0]) == "model"), None)
                model_cls = self._class(_name(model), path) if model is not None else None
                names = _literal(stmt.value)
                if model_cls is not None and isinstance(names, (list, tuple, str)):
                    schema = self._model_fields(model_cls, names)
                    return RequestShape(f"{cls.name}.fields of {model_cls.name}", schema, "form", {}, path_types, csrf)
        method = next((s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and s.name == route.method.lower()), None)
        if method is None:
            return None
        return self._reads(route, path, method, path_types, csrf)

    def _reads(self, route: RouteLike, path: str, fn: Def, path_types: dict[str, Schema],
               csrf: bool) -> RequestShape | None:
        """What a view reads from the request, and the forms it binds to the request's data."""
        fields: dict[str, Fields] = {"form": Fields(), "json": Fields(), "query": Fields()}
        aliases: dict[str, str] = {}
        forms: list[ast.ClassDef] = []
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                kind = _request_source(node.value, aliases)
                if kind is not None:
                    aliases[node.targets[0].id] = kind
            if isinstance(node, ast.Subscript):
                kind = _request_source(node.value, aliases)
                key = _literal(node.slice)
                if kind is not None and isinstance(key, str):
                    fields[kind].add(key)
            elif isinstance(node, ast.Call):
                self._read_call(node, aliases, fields, forms, path)
            elif isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In):
                kind = _request_source(node.comparators[0], aliases)
                key = _literal(node.left)
                if kind is not None and isinstance(key, str):
                    fields[kind].add(key, required=False)
        form_fields = fields["form"]
        for form in forms:
            schema = self._form_fields(form, path)
            for name, prop in schema["properties"].items():
                form_fields.add(name, prop, name in schema["required"])
        encoding: Encoding = "form" if form_fields.props else "json"
        body = form_fields.schema() if form_fields.props else fields["json"].schema()
        query = dict(fields["query"].props)
        if body is None and not query:
            return None
        source = f"{fn.name}() reads" + (f", form {', '.join(f.name for f in forms)}" if forms else "")
        return RequestShape(source, body, encoding if body else None, query, path_types, csrf and body is not None)

    def _read_call(self, call: ast.Call, aliases: dict[str, str], fields: dict[str, Fields],
                   forms: list[ast.ClassDef], path: str) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("get", "getlist", "pop", "get_one"):
            kind = _request_source(func.value, aliases)
            key = _literal(call.args[0]) if call.args else None
            if kind is not None and isinstance(key, str):
                default = call.args[1] if len(call.args) > 1 else _kw(call, "default")
                kind_type = _name(_kw(call, "type"))
                schema = dict(_SCALARS[kind_type]) if kind_type in _SCALARS else schema_for_name(key)
                if _literal(default) is not None:
                    schema["default"] = _literal(default)
                fields[kind].add(key, schema, required=False)
            return
        form = self._form_class(_name(func), path) if isinstance(func, ast.Name) else None
        bound = [*call.args, *(k.value for k in call.keywords if k.arg == "data")]
        if form is not None and any(_request_source(a, aliases) == "form" for a in bound):
            forms.append(form)

    def _form_fields(self, form: ast.ClassDef, near: str) -> Schema:
        fields = Fields()
        for base in form.bases:
            parent = self._form_class(_name(base), near)
            if parent is not None and parent is not form:
                inherited = self._form_fields(parent, near)
                for name, prop in inherited["properties"].items():
                    fields.add(name, prop, name in inherited["required"])
        meta = next((s for s in form.body if isinstance(s, ast.ClassDef) and s.name == "Meta"), None)
        if meta is not None:
            model = next((s.value for s in meta.body if isinstance(s, ast.Assign) and _name(s.targets[0]) == "model"),
                         None)
            names = next((_literal(s.value) for s in meta.body if isinstance(s, ast.Assign)
                          and _name(s.targets[0]) == "fields"), None)
            model_cls = self._class(_name(model), near) if model is not None else None
            if model_cls is not None and isinstance(names, (list, tuple, str)):
                inherited = self._model_fields(model_cls, names)
                for name, prop in inherited["properties"].items():
                    fields.add(name, prop, name in inherited["required"])
        for name, call in _field_calls(form):
            fields.add(name, _field_schema(call), _literal(_kw(call, "required")) is not False)
        return fields.schema() or {"type": "object", "properties": {}, "required": []}

    def _model_fields(self, model: ast.ClassDef, names: list[str] | tuple[str, ...] | str) -> Schema:
        fields = Fields()
        for name, call in _field_calls(model):
            if _name(call) in _AUTO_FIELDS or (names != "__all__" and name not in names):
                continue
            optional = _literal(_kw(call, "blank")) is True or _kw(call, "default") is not None
            fields.add(name, _field_schema(call), not optional)
        return fields.schema() or {"type": "object", "properties": {}, "required": []}


def _arguments(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[ast.arg, ast.expr | None]]:
    positional = [*fn.args.posonlyargs, *fn.args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(fn.args.defaults)) + list(fn.args.defaults)
    yield from zip(positional, defaults, strict=True)
    yield from zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True)


def _unwrap_annotated(ann: ast.expr | None) -> tuple[ast.expr | None, ast.Call | None]:
    """``Annotated[T, Query(...)]`` -> ``(T, Query(...))``; anything else -> ``(ann, None)``."""
    if isinstance(ann, ast.Subscript) and _name(ann.value) == "Annotated" and isinstance(ann.slice, ast.Tuple):
        inner, *meta = ann.slice.elts
        marker = next((m for m in meta if isinstance(m, ast.Call)), None)
        return inner, marker
    return ann, None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _apply_field(schema: Schema, call: ast.expr | None) -> None:
    """Examples, defaults and bounds of a ``Field(...)``/``Query(...)``/``Body(...)`` into ``schema``."""
    if not isinstance(call, ast.Call):
        return
    examples = _literal(_kw(call, "examples"))
    if isinstance(examples, list) and examples:
        schema["examples"] = examples
    example = _literal(_kw(call, "example"))
    if example is not None:
        schema["example"] = example
    for kw, key in _CONSTRAINTS.items():
        value = _literal(_kw(call, kw))
        if isinstance(value, (int, float)):
            schema[key] = value


def _field_calls(cls: ast.ClassDef) -> Iterator[tuple[str, ast.Call]]:
    for stmt in cls.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Call) and _name(stmt.value).endswith(("Field", "Key"))):
            yield stmt.targets[0].id, stmt.value


def _field_schema(call: ast.Call) -> Schema:
    kind = _name(call)
    schema = dict(_FORM_FIELDS.get(kind, schema_for_name("")))
    validators = {_name(v) for v in ast.walk(call) if isinstance(v, ast.Call)}
    if any("Email" in v for v in validators):
        schema = {"type": "string", "format": "email"}
    for kw in ("max_length", "min_length", "min_value", "max_value"):
        value = _literal(_kw(call, kw))
        if isinstance(value, int):
            schema[_CONSTRAINTS[kw]] = value
    choices = _literal(_kw(call, "choices"))
    if isinstance(choices, (list, tuple)) and choices:
        schema = {"enum": [c[0] if isinstance(c, (list, tuple)) else c for c in choices]}
    for kw in ("initial", "default"):
        value = _literal(_kw(call, kw))
        if value is not None:
            schema["default"] = value
    return schema


def _request_source(node: ast.expr | None, aliases: Mapping[str, str]) -> str | None:
    """``request.form`` -> "form", ``request.get_json()`` -> "json", ``json.loads(request.body)`` -> "json",
    a name bound to one of those -> its kind; None for anything else."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Call):
        if _name(node) in ("get_json", "get_data") and isinstance(node.func, ast.Attribute):
            return "json" if _name(node.func.value) == "request" else None
        if _name(node) == "loads" and node.args and _name(node.args[0]) in ("body", "data"):
            return "json"
        if _name(node) in ("dict", "to_dict") and node.args:
            return _request_source(node.args[0], aliases)
        return None
    if isinstance(node, ast.Attribute) and _name(node.value) == "request" and node.attr in _REQUEST_SOURCES:
        kind = _REQUEST_SOURCES[node.attr]
        return kind or "query"
    return None
