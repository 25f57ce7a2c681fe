"""Example values from OpenAPI schemas: request bodies and parameter values k6 can send.

A spec's own ``example``/``examples``/``default``/``enum`` win; otherwise the value follows the
schema's type, format and bounds. Plain free-text strings carry ``SEQ_TOKEN``, which the k6 script
replaces per request, so a POST that must be unique (a name, an e-mail) does not collide with the
previous one and turn the load into a stream of 409s.
"""

from __future__ import annotations

import json
from typing import Any

JsonValue = Any
"""A JSON value as json.loads returns it (object, array, string, number, bool, null)."""

SEQ_TOKEN = "__KASSI_SEQ__"
MAX_DEPTH = 4
SPREAD = 5
"""Values per parameter whose cost may depend on its value (a page, a size, an enum): the load
cycles through them instead of testing one point."""
_FORMAT_VALUES: dict[str, JsonValue] = {
    "date-time": "2024-01-15T10:30:00Z",
    "date": "2024-01-15",
    "time": "10:30:00",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "uri": "https://example.com/kassi",
    "url": "https://example.com/kassi",
    "hostname": "example.com",
    "ipv4": "192.0.2.10",
    "ipv6": "2001:db8::10",
    "byte": "a2Fzc2k=",
    "password": "kassi-Passw0rd!",
    "phone": "+15550100",
}


class SchemaResolver:
    """Follows local ``$ref`` pointers (``#/components/schemas/X``, ``#/definitions/X``) in one spec."""

    def __init__(self, spec: dict[str, JsonValue]) -> None:
        self._spec = spec

    def deref(self, node: JsonValue, seen: frozenset[str] = frozenset()) -> tuple[JsonValue, frozenset[str]]:
        """The node with its ``$ref`` chain followed; None for a cycle (``seen`` grows on the way down)."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref: str = node["$ref"]
            if ref in seen:
                return None, seen
            if not ref.startswith("#/"):
                return {}, seen
            seen = seen | {ref}
            target: JsonValue = self._spec
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, dict) else None
            node = target if target is not None else {}
        return node, seen

    def example(self, schema: JsonValue, *, seq: bool = True) -> JsonValue:
        """A value that satisfies ``schema`` (required fields, typical optional ones, formats, enums)."""
        return self._example(schema, frozenset(), 0, seq)

    def spread(self, schema: JsonValue) -> list[JsonValue]:
        """Up to ``SPREAD`` distinct values ``schema`` allows, the typical one first: its examples and
        enum values, booleans both ways, numbers spread evenly over their bounds (both ends included;
        no upper bound: up to four times the typical value). Deterministic: no randomness, so two runs
        of the same change load the same values."""
        schema, _ = self.deref(schema)
        first = self.example(schema, seq=False)
        values: list[JsonValue] = [first]
        if isinstance(schema, dict):
            for key in ("examples", "enum"):
                if isinstance(schema.get(key), list):
                    values += [v for v in schema[key] if v is not None]
            kind = _schema_type(schema)
            fixed = "enum" in schema or "const" in schema
            if kind == "boolean" and not fixed:
                values += [True, False]
            elif kind in ("integer", "number") and not fixed and isinstance(first, int | float):
                values += _numbers(kind, schema, first)
        out: list[JsonValue] = []
        seen: set[str] = set()
        for value in values:  # JSON text tells 1 from true, which == does not
            key = json.dumps(value, sort_keys=True)
            if key not in seen:
                seen.add(key)
                out.append(value)
        return out[:SPREAD]

    def _example(self, schema: JsonValue, seen: frozenset[str], depth: int, seq: bool) -> JsonValue:
        schema, seen = self.deref(schema, seen)
        if not isinstance(schema, dict):
            return None
        given = _given_value(schema)
        if given is not _MISSING:
            return given
        if "allOf" in schema:
            merged: dict[str, JsonValue] = {}
            for part in schema["allOf"]:
                resolved, _ = self.deref(part, seen)
                if isinstance(resolved, dict):
                    _merge_object_schema(merged, resolved)
            return self._example(merged, seen, depth, seq)
        for key in ("oneOf", "anyOf"):
            if schema.get(key):
                return self._example(schema[key][0], seen, depth, seq)
        kind = _schema_type(schema)
        if kind == "object":
            return self._object(schema, seen, depth, seq)
        if kind == "array":
            count = max(1, int(schema.get("minItems", 1)))
            if depth >= MAX_DEPTH:
                return []
            return [self._example(schema.get("items", {}), seen, depth + 1, seq) for _ in range(count)]
        return _scalar(kind, schema, seq)

    def _object(self, schema: dict[str, JsonValue], seen: frozenset[str], depth: int, seq: bool) -> JsonValue:
        properties: dict[str, JsonValue] = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        out: dict[str, JsonValue] = {}
        for name, prop in properties.items():
            resolved, _ = self.deref(prop, seen)
            if (isinstance(resolved, dict) and resolved.get("readOnly")) or (
                    resolved is None and name not in required):  # read-only, or an optional cycle
                continue
            if name in required or depth < 2:  # typical optional fields near the top, not deep trees
                out[name] = self._example(prop, seen, depth + 1, seq)
        return out


class _Missing:
    pass


_MISSING = _Missing()


def _given_value(schema: dict[str, JsonValue]) -> JsonValue:
    if "example" in schema:
        return schema["example"]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return next((value for value in enum if value is not None), enum[0])
    return _MISSING


def _merge_object_schema(into: dict[str, JsonValue], part: dict[str, JsonValue]) -> None:
    into.setdefault("type", part.get("type", "object"))
    into.setdefault("properties", {}).update(part.get("properties") or {})
    into["required"] = [*into.get("required", []), *(part.get("required") or [])]


def _schema_type(schema: dict[str, JsonValue]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), "string")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    return "array" if "items" in schema else "string"


def _scalar(kind: str, schema: dict[str, JsonValue], seq: bool) -> JsonValue:
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        value: float = 1
        if isinstance(low, int | float):
            value = low + 1 if "exclusiveMinimum" in schema and "minimum" not in schema else low
        if isinstance(high, int | float) and value > high:
            value = high
        return int(value) if kind == "integer" else float(value)
    if kind == "null":
        return None
    return _string(schema, seq)


def _numbers(kind: str, schema: dict[str, JsonValue], typical: float) -> list[JsonValue]:
    """Both ends of the schema's range and evenly spaced points between (``SPREAD`` - 1 in all)."""
    step = 1 if kind == "integer" else 0.001
    low, high = schema.get("minimum"), schema.get("maximum")
    if not isinstance(low, int | float) and isinstance(schema.get("exclusiveMinimum"), int | float):
        low = schema["exclusiveMinimum"] + step
    if not isinstance(high, int | float) and isinstance(schema.get("exclusiveMaximum"), int | float):
        high = schema["exclusiveMaximum"] - step
    low = low if isinstance(low, int | float) else min(typical, 1)
    high = high if isinstance(high, int | float) else max(low + SPREAD - 2, 4 * typical)
    if high < low:
        return []
    count = SPREAD - 1
    points = [low + (high - low) * i / (count - 1) for i in range(count)]
    return [round(p) if kind == "integer" else round(p, 3) for p in points]


def _string(schema: dict[str, JsonValue], seq: bool) -> str:
    fmt = schema.get("format")
    min_len = int(schema.get("minLength", 0))
    max_len = int(schema.get("maxLength", 64))
    if fmt == "email":
        return f"kassi{SEQ_TOKEN}@example.com" if seq else "kassi@example.com"
    if isinstance(fmt, str) and fmt in _FORMAT_VALUES:
        return str(_FORMAT_VALUES[fmt])
    base = "kassi"
    if seq and "pattern" not in schema and max_len - max(min_len, len(base)) >= 14:
        base = f"kassi{SEQ_TOKEN}"
    if min_len > len("kassi"):
        base = base + "x" * (min_len - len("kassi"))
    return base if SEQ_TOKEN in base else base[:max_len]
