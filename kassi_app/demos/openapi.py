"""A compact way to write the demos' static OpenAPI 3.1 documents, with examples kassi's load uses."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Op:
    """One operation. ``params`` maps a path/query parameter name to its example value."""

    method: str
    path: str
    summary: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    body: JsonObject | None = None
    status: int = 200


def _param(name: str, example: str | int, where: str) -> JsonObject:
    kind = "integer" if isinstance(example, int) else "string"
    return {"name": name, "in": where, "required": True, "schema": {"type": kind},
            "example": example}


def _schema_of(value: object) -> JsonObject:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        return {"type": "array", "items": _schema_of(value[0]) if value else {}}
    if isinstance(value, dict):
        return {"type": "object", "required": sorted(value),
                "properties": {k: _schema_of(v) for k, v in value.items()}}
    return {}


def document(title: str, ops: Sequence[Op]) -> JsonObject:
    """The OpenAPI document for ``ops``: path params from ``{name}`` segments, the rest as query."""
    paths: dict[str, dict[str, JsonObject]] = {}
    for op in ops:
        in_path = set(re.findall(r"\{(\w+)\}", op.path))
        operation: JsonObject = {
            "operationId": re.sub(r"\W+", "_", f"{op.method} {op.path}").strip("_").lower(),
            "summary": op.summary,
            "responses": {str(op.status): {"description": "OK" if op.status < 300 else "see status"}},
        }
        if op.params:
            operation["parameters"] = [_param(n, v, "path" if n in in_path else "query")
                                       for n, v in op.params.items()]
        if op.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": _schema_of(op.body), "example": op.body}}}
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {"openapi": "3.1.0", "info": {"title": title, "version": "1.0.0"},
            "servers": [{"url": "/"}], "paths": paths}
