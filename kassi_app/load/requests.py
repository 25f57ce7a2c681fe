"""One concrete request shape per endpoint: from the OpenAPI spec, else from the handler's code
(``change/shapes*.py``), else an empty JSON object that is reported as such (``body_known``).

Path parameters are resolved at run time by the k6 script's ``setup()`` from the service's own
collection route (``/api/owners`` for ``/api/owners/{id}``), because ids the service really has
exercise the real code path; the spec's examples (or a typed default, or the route's converter) are
the fallback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from kassi_app.change.shapes import RequestShape
from kassi_app.endpoint import Endpoint
from kassi_app.load.samples import SPREAD, JsonValue, SchemaResolver
from kassi_app.load.traffic import Recorded, spread

_PARAM = re.compile(r"\{([^}/]+)\}")
_JSON_TYPES = ("application/json", "application/problem+json")
_BODY_METHODS = ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class PathParam:
    name: str
    collection: str | None
    """Route template to GET for real values (earlier parameters filled in), or None."""
    fallback: JsonValue
    fallbacks: tuple[JsonValue, ...] = ()
    """Values to try when the collection gives none (a GET keeps those that answer 2xx at base)."""


@dataclass(frozen=True)
class RequestSpec:
    endpoint: Endpoint
    group: str
    weight: float
    path_params: tuple[PathParam, ...]
    query: dict[str, JsonValue]
    headers: dict[str, str]
    body: str | None
    content_type: str | None
    body_known: bool = True
    """False: a body route kassi found no shape for (no spec operation, no handler it could read)."""
    shape_source: str | None = None
    """Where the shape came from: "spec", or the handler kassi read (``register() reads``)."""
    csrf: bool = False
    """Fetch the form page first and send its CSRF token (a Django form view)."""
    replay: tuple[Recorded, ...] = ()
    """Recorded requests to send instead of the built one, in turn (``--traffic``)."""
    query_values: dict[str, tuple[JsonValue, ...]] = field(default_factory=dict)
    """Query parameters whose value is spread over their range (a page, a size): cycled per request."""

    def to_json(self) -> dict[str, JsonValue]:
        """The shape the k6 runtime reads (see runtime.js)."""
        return {
            "method": self.endpoint.method,
            "route": self.endpoint.route,
            "group": self.group,
            "params": [{"name": p.name, "collection": p.collection, "fallback": p.fallback,
                        "fallbacks": list(p.fallbacks or (p.fallback,))} for p in self.path_params],
            "query": self.query,
            "queryValues": {name: list(values) for name, values in self.query_values.items()},
            "headers": self.headers,
            "body": self.body,
            "contentType": self.content_type,
            "csrf": self.csrf,
            "replay": [r.to_json() for r in self.replay],
        }


def route_key(route: str) -> str:
    """A route with parameter names erased, so ``/o/{id}`` and ``/o/{ownerId}`` match."""
    return _PARAM.sub("{}", route.rstrip("/") or "/")


class SpecIndex:
    """Operations of one OpenAPI (3.x or Swagger 2) document, looked up by endpoint."""

    def __init__(self, spec: dict[str, Any] | None) -> None:
        self.spec: dict[str, Any] = spec or {}
        self.resolver = SchemaResolver(self.spec)
        self._paths: dict[str, tuple[str, dict[str, Any]]] = {}
        for template, item in (self.spec.get("paths") or {}).items():
            if isinstance(item, dict):
                self._paths[route_key(template)] = (template, item)

    def operation(self, endpoint: Endpoint) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
        """The spec's route template, the operation (empty if unknown), its parameters (path-item too)."""
        found = self._paths.get(route_key(endpoint.route))
        if found is None:
            return endpoint.route, {}, []
        template, item = found
        op = item.get(endpoint.method.lower())
        op = op if isinstance(op, dict) else {}
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
            param, _ = self.resolver.deref(raw)
            if isinstance(param, dict) and "name" in param:
                merged[(str(param.get("in")), str(param["name"]))] = param
        return template, op, list(merged.values())

    def has_get(self, route: str) -> bool:
        found = self._paths.get(route_key(route))
        return found is not None and isinstance(found[1].get("get"), dict)

    def param_value(self, param: dict[str, Any]) -> JsonValue:
        """The spec's example for a parameter, else a value its schema allows."""
        if "example" in param:
            return param["example"]
        examples = param.get("examples")
        if isinstance(examples, dict) and examples:
            first, _ = self.resolver.deref(next(iter(examples.values())))
            if isinstance(first, dict) and "value" in first:
                return first["value"]
        return self.resolver.example(_param_schema(param), seq=False)

    def param_values(self, param: dict[str, Any]) -> list[JsonValue]:
        """The parameter's typical value first, then others its schema allows, spread over its range."""
        values = [self.param_value(param), *self.resolver.spread(_param_schema(param))]
        return [v for i, v in enumerate(values) if _json(v) not in {_json(w) for w in values[:i]}][:SPREAD]

    def body(self, op: dict[str, Any], params: list[dict[str, Any]]) -> tuple[str | None, str | None]:
        """``(json text, content type)`` of the request body, or ``(None, None)`` if it takes none."""
        body_param = next((p for p in params if p.get("in") == "body"), None)  # Swagger 2
        if body_param is not None:
            return json.dumps(self.resolver.example(body_param.get("schema", {}))), "application/json"
        request_body, _ = self.resolver.deref(op.get("requestBody"))
        content = request_body.get("content") if isinstance(request_body, dict) else None
        if not isinstance(content, dict) or not content:
            return None, None
        media_type = next((m for m in content if m in _JSON_TYPES or m.endswith("+json")), None)
        if media_type is None:
            return None, None
        media = content[media_type] or {}
        if "example" in media:
            return json.dumps(media["example"]), media_type
        examples = media.get("examples")
        if isinstance(examples, dict) and examples:
            first, _ = self.resolver.deref(next(iter(examples.values())))
            if isinstance(first, dict) and "value" in first:
                return json.dumps(first["value"]), media_type
        return json.dumps(self.resolver.example(media.get("schema", {}))), media_type


def collection_for(prefix: str, index: SpecIndex, declared: Sequence[Endpoint]) -> str | None:
    """The list route that holds the ids of ``prefix/{id}``, from the service's own routing only.

    The spec's GET operations when there is a spec, else the GET routes the code declares (Django's
    ``authors/`` next to ``author/<int:pk>``): the prefix itself or its plural. A route nobody
    declares is not guessed (each guess would answer 404). With neither a spec nor any declared
    route (a live run given bare endpoints), the prefix is the only hint there is.
    """
    if not prefix or prefix.endswith("}"):
        return None
    stem = prefix.rstrip("/")
    candidates = [stem, f"{stem}s", f"{stem}es"] + ([f"{stem[:-1]}ies"] if stem.endswith("y") else [])
    if index.spec:
        return next((c for c in candidates if index.has_get(c)), None)
    gets = {route_key(e.route): e.route for e in declared if e.method == "GET"}
    if not gets:
        return prefix
    return next((gets[route_key(c)] for c in candidates if route_key(c) in gets), None)


def build_request(index: SpecIndex, endpoint: Endpoint, group: str, weight: float,
                  shape: RequestShape | None = None, declared: Sequence[Endpoint] = (),
                  recorded: Sequence[Recorded] = ()) -> RequestSpec:
    """One request shape: the spec's operation first, else the shape read from the handler's code;
    ``recorded`` requests, when given, are what is sent (with the built body where they have none)."""
    template, op, params = index.operation(endpoint)
    shape = None if op else shape  # a spec operation is the author's word; the code reading is the fallback
    by_name = {str(p["name"]): p for p in params if p.get("in") == "path"}
    spec_names = _PARAM.findall(template)  # same positions as the endpoint's, maybe other names
    path_params = []
    for position, match in enumerate(_PARAM.finditer(endpoint.route)):
        name = match.group(1)
        prefix = endpoint.route[: match.start()].rstrip("/")
        spec_param = by_name.get(spec_names[position]) if position < len(spec_names) else None
        fallbacks = index.param_values(spec_param) if spec_param else [1]
        if shape is not None and name in shape.path:
            fallbacks = index.resolver.spread(shape.path[name])
        # Only a GET has its ids checked at base before the load (runtime.js `answering`): elsewhere a
        # spread of guessed ids would be a stream of 404s, so the typical one alone is sent.
        kept = tuple(fallbacks) if endpoint.method == "GET" else tuple(fallbacks[:1])
        path_params.append(PathParam(name, collection_for(prefix, index, declared), kept[0], kept))
    # Required query parameters, and optional ones the spec gives an example for: an example is the
    # spec author saying what a typical request sends (a search without its `q` is not typical).
    spread_query = {str(p["name"]): index.param_values(p) for p in params
                    if p.get("in") == "query" and (p.get("required") or _has_example(p))}
    headers = {str(p["name"]): str(index.param_value(p)) for p in params
               if p.get("in") == "header" and p.get("required")}
    body, content_type = index.body(op, params)
    body_known = body is not None or bool(op)
    if shape is not None:
        spread_query.update({name: index.resolver.spread(schema) for name, schema in shape.query.items()})
    query = {name: values[0] for name, values in spread_query.items()}
    if shape is not None and shape.body is not None and endpoint.method in _BODY_METHODS:
        body, content_type = _encode(index.resolver.example(shape.body), shape.encoding)
        body_known = True
    if body is None and endpoint.method in _BODY_METHODS and not op:
        body, content_type = "{}", "application/json"  # nothing known: an empty JSON object beats no body
    replay = tuple(r.filled(body, content_type) for r in spread(recorded))
    return RequestSpec(endpoint, group, weight, tuple(path_params), query, headers, body, content_type,
                       body_known or endpoint.method not in _BODY_METHODS or (
                           bool(replay) and all(r.body is not None for r in replay)),
                       shape.source if shape is not None else ("spec" if op else None),
                       shape is not None and shape.csrf, replay,
                       {name: tuple(values) for name, values in spread_query.items() if len(values) > 1})


def _encode(value: JsonValue, encoding: str | None) -> tuple[str, str]:
    if encoding != "form" or not isinstance(value, dict):
        return json.dumps(value), "application/json"
    flat = {k: (json.dumps(v) if isinstance(v, dict) else ("on" if v is True else v)) for k, v in value.items()
            if v is not None and v is not False}
    return urlencode(flat, doseq=True), "application/x-www-form-urlencoded"


def _param_schema(param: dict[str, Any]) -> dict[str, Any]:
    schema = param.get("schema") or {k: v for k, v in param.items() if k in ("type", "format", "enum")}
    return schema if isinstance(schema, dict) else {}


def _json(value: JsonValue) -> str:
    return json.dumps(value, sort_keys=True)


def _has_example(param: dict[str, Any]) -> bool:
    schema = param.get("schema")
    return "example" in param or bool(param.get("examples")) or (isinstance(schema, dict) and "example" in schema)
