"""Spring MVC / WebFlux annotated controllers via tree-sitter: mappings, class prefixes, method calls.

Methods are ``java:<file>::Class.method``; a call through a field (``ownerService.find()``) refers to
``java:*::OwnerService.find`` by the field's declared type, so controller -> service changes are seen.
"""

from __future__ import annotations

from tree_sitter import Node

from kassi_app.change import ts
from kassi_app.change.model import FileFacts, FuncDef, RouteDecl
from kassi_app.change.paths import ANY, normalise

_MAPPINGS = {
    "GetMapping": "GET",
    "PostMapping": "POST",
    "PutMapping": "PUT",
    "PatchMapping": "PATCH",
    "DeleteMapping": "DELETE",
    "RequestMapping": ANY,
}


def _annotations(node: Node) -> list[Node]:
    mods = next((c for c in node.children if c.type == "modifiers"), None)
    return [a for a in (mods.children if mods else []) if a.type in ("annotation", "marker_annotation")]


def _strings(value: Node | None) -> list[str]:
    if value is None:
        return []
    if value.type == "element_value_array_initializer":
        return [s for c in value.named_children if (s := ts.string_value(c)) is not None]
    s = ts.string_value(value)
    return [s] if s is not None else []


def _mapping(annotation: Node) -> tuple[tuple[str, ...], list[str]] | None:
    """(methods, paths) of a mapping annotation, None if it is not one."""
    name = ts.text(annotation.child_by_field_name("name")).split(".")[-1]
    if name not in _MAPPINGS:
        return None
    methods: tuple[str, ...] = (_MAPPINGS[name],)
    paths: list[str] = []
    args = annotation.child_by_field_name("arguments")
    for arg in args.named_children if args is not None else []:
        if arg.type == "element_value_pair":
            key, value = ts.text(arg.child_by_field_name("key")), arg.child_by_field_name("value")
            if key in ("value", "path"):
                paths += _strings(value)
            elif key == "method" and value is not None:
                found = tuple(ts.text(v).split(".")[-1] for v in ts.walk(value) if v.type == "field_access")
                found = found or (ts.text(value).split(".")[-1],)
                methods = tuple(m.upper() for m in found)
        else:
            paths += _strings(arg)
    return methods, paths or [""]


def _fields(body: Node) -> dict[str, str]:
    out: dict[str, str] = {}
    for field in body.named_children:
        if field.type == "field_declaration":
            kind = ts.text(field.child_by_field_name("type")).split("<")[0]
            for decl in field.children_by_field_name("declarator"):
                out[ts.text(decl.child_by_field_name("name"))] = kind
    return out


def _refs(body: Node, path: str, cls: str, fields: dict[str, str]) -> set[str]:
    refs: set[str] = set()
    for node in ts.walk(body):
        if node.type != "method_invocation":
            continue
        name = ts.text(node.child_by_field_name("name"))
        obj = node.child_by_field_name("object")
        if obj is None or obj.type == "this":
            refs.add(f"java:{path}::{cls}.{name}")
        elif obj.type == "identifier" and ts.text(obj) in fields:
            refs.add(f"java:*::{fields[ts.text(obj)]}.{name}")
        elif obj.type == "field_access" and ts.text(obj.child_by_field_name("field")) in fields:
            refs.add(f"java:*::{fields[ts.text(obj.child_by_field_name('field'))]}.{name}")
    return refs


def _class_of(method: Node) -> Node | None:
    node = method.parent
    while node is not None and node.type not in ("class_declaration", "interface_declaration"):
        node = node.parent
    return node


def extract(path: str, text: str, first_line: int = 1) -> FileFacts:
    """Facts of a Java file or diff fragment (in a fragment the enclosing class may be unknown)."""
    facts = FileFacts()
    for method in ts.walk(ts.parse("java", text)):
        if method.type != "method_declaration":
            continue
        cls = _class_of(method)
        cls_name = ts.text(cls.child_by_field_name("name")) if cls is not None else "?"
        owner = f"java:{path}::{cls_name}" if cls is not None else None
        body = cls.child_by_field_name("body") if cls is not None else None
        if owner and owner not in facts.frameworks:
            facts.frameworks[owner] = "spring"
            for annotation in _annotations(cls) if cls is not None else []:
                class_mapping = _mapping(annotation)
                if class_mapping and class_mapping[1][0]:
                    facts.own_prefix[owner] = normalise(class_mapping[1][0])
        fields = _fields(body) if body is not None else {}
        name = ts.text(method.child_by_field_name("name"))
        fid = f"java:{path}::{cls_name}.{name}"
        facts.funcs.append(FuncDef(fid, name, path, ts.span(method, first_line), _refs(method, path, cls_name, fields)))
        for annotation in _annotations(method):
            mapping = _mapping(annotation)
            if mapping is None:
                continue
            methods, paths = mapping
            for route in paths:
                facts.routes.append(
                    RouteDecl(
                        owner,
                        methods,
                        normalise(route),
                        fid,
                        name,
                        path,
                        ts.line(annotation, first_line),
                        ts.span(annotation, first_line),
                        "spring",
                    )
                )
    return facts
