"""Request shapes read from a route's handler code, for services without an OpenAPI spec.

A shape is what the handler itself says it reads: the JSON body a pydantic model declares, the
``request.form`` keys a Flask view reads, the fields of a Django form, the ``req.body.x`` an Express
handler uses. It is written as a small JSON schema, so the load's value sampler (``load/samples.py``)
fills it the same way it fills a spec's schema: declared examples and defaults first, then the type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from kassi_app.endpoint import Endpoint

Encoding = Literal["json", "form"]
Schema = dict[str, Any]


class RouteLike(Protocol):
    """What locating a handler needs: ``RouteDef`` and ``ChangedEndpoint`` both have it."""

    @property
    def method(self) -> str: ...
    @property
    def route(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def framework(self) -> str: ...
    @property
    def handler(self) -> str: ...
    @property
    def endpoint(self) -> Endpoint: ...


@dataclass(frozen=True)
class RequestShape:
    """The body and query a handler reads. ``body`` is an object schema (None: the handler reads no
    body); ``source`` says where kassi read it, for the record; ``csrf`` marks a Django form view that
    needs the CSRF token its own page hands out."""

    source: str
    body: Schema | None = None
    encoding: Encoding | None = None
    query: dict[str, Schema] = field(default_factory=dict)
    path: dict[str, Schema] = field(default_factory=dict)
    """Path parameters' types (a Django/Flask ``<int:pk>`` converter, a FastAPI annotation)."""
    csrf: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "body": self.body, "encoding": self.encoding,
                "query": self.query, "path": self.path, "csrf": self.csrf}


class Fields:
    """Fields collected while reading a handler: name -> schema, and which are required."""

    def __init__(self) -> None:
        self.props: dict[str, Schema] = {}
        self.required: list[str] = []

    def add(self, name: str, schema: Schema | None = None, required: bool = True) -> None:
        if name not in self.props:
            self.props[name] = schema if schema is not None else schema_for_name(name)
        if required and name not in self.required:
            self.required.append(name)

    def schema(self) -> Schema | None:
        if not self.props:
            return None
        return {"type": "object", "properties": dict(self.props), "required": list(self.required)}


_NAME_HINTS: tuple[tuple[re.Pattern[str], Schema], ...] = (
    (re.compile(r"e_?mail", re.I), {"type": "string", "format": "email"}),
    (re.compile(r"pass(word|wd)?$|secret", re.I), {"type": "string", "format": "password"}),
    (re.compile(r"ur[li]$|link|website", re.I), {"type": "string", "format": "uri"}),
    (re.compile(r"(^|_)(date|birthday)$|_on$|_date$", re.I), {"type": "string", "format": "date"}),
    (re.compile(r"(^|_)(id|count|page|size|limit|offset|age|qty|quantity|year|n)$|Id$", re.I),
     {"type": "integer", "minimum": 1}),
    (re.compile(r"^(price|amount|total|rate|lat|lon|lng)$", re.I), {"type": "number", "minimum": 1}),
    (re.compile(r"^(is|has)_|enabled$|active$", re.I), {"type": "boolean"}),
)


def schema_for_name(name: str) -> Schema:
    """A schema a field's own name suggests (``email`` is an e-mail, ``page`` an integer), else a string.

    Untyped code (a Flask form key, an Express ``req.body.x``) says nothing more than the name; the
    name is what the developer wrote for the people who fill the form in.
    """
    for pattern, schema in _NAME_HINTS:
        if pattern.search(name):
            return dict(schema)
    return {"type": "string", "maxLength": 64}
