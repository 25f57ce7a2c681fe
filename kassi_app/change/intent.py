"""Endpoints from intent: rank an OpenAPI 3 spec's operations against a plain-language request.

BM25 over each operation's words (operation id, summary, description, tags, path words, and a verb
implied by its method and path shape), with Snowball stemming and a small verb synonym table so
"add an owner" finds ``POST /owners``. Nothing scoring is an error, never "all endpoints".
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import snowballstemmer
import yaml

from kassi_app.endpoint import Endpoint
from kassi_app.errors import BadInput

_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "create": ("create", "add", "post", "new", "insert", "register", "submit"),
    "delete": ("delete", "remove", "destroy", "drop", "erase"),
    "list": ("list", "all", "index", "browse", "enumerate", "listing"),
    "update": ("update", "edit", "modify", "patch", "change", "put", "rename"),
    "get": ("get", "show", "fetch", "read", "view", "retrieve", "detail", "lookup", "one"),
    "search": ("search", "find", "query", "filter"),
}
_STOP_WORDS = """a an the to of for and or in on by with my our your their is are be been that this it its as at
from endpoint endpoints api route request requests please should make want need i we so very when"""
_STOP = frozenset(_STOP_WORDS.split())
_FIELD_WEIGHTS = {"operation_id": 2, "summary": 2, "path": 2, "verb": 1, "tags": 1, "description": 1}
_K1, _B = 1.2, 0.75
_RELATIVE_CUTOFF = 0.35


@dataclass(frozen=True)
class Operation:
    """One spec operation and the text it is matched on."""

    method: str
    route: str
    operation_id: str
    summary: str
    description: str
    tags: tuple[str, ...]

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.method, self.route)


@dataclass(frozen=True)
class RankedOperation:
    operation: Operation
    score: float

    @property
    def endpoint(self) -> Endpoint:
        return self.operation.endpoint

    def to_json(self) -> dict[str, str | float]:
        op = self.operation
        return {
            "method": op.method,
            "route": op.route,
            "operation_id": op.operation_id,
            "summary": op.summary,
            "score": round(self.score, 4),
        }


_stemmer = snowballstemmer.stemmer("english")
_CANON = {_stemmer.stemWord(w): group for group, words in _SYNONYMS.items() for w in words}


def tokens(text: str) -> list[str]:
    """Lower-case stemmed words with camelCase/snake_case split and verbs folded onto one synonym."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    words = [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w and w not in _STOP]
    return [_CANON.get(s, s) for s in (_stemmer.stemWord(w) for w in words)]


def _implied_verb(method: str, route: str) -> str:
    if method == "GET":
        return "get" if route.rstrip("/").endswith("}") else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(method, "")


def _fields(op: Operation) -> dict[str, str]:
    return {
        "operation_id": op.operation_id,
        "summary": op.summary,
        "path": op.route.replace("{", " ").replace("}", " "),
        "verb": _implied_verb(op.method, op.route),
        "tags": " ".join(op.tags),
        "description": op.description,
    }


def load_spec(path: Path) -> dict[str, Any]:
    """An OpenAPI document from JSON or YAML (``.yaml``/``.yml``: many specs are written in YAML)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot read the OpenAPI spec {path}: {exc.strerror}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if path.suffix.lower() not in (".yaml", ".yml"):
            raise BadInput(f"the OpenAPI spec {path} is not valid JSON: {exc}") from None
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as yexc:
            raise BadInput(f"the OpenAPI spec {path} is not valid YAML: {yexc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise BadInput(f"{path} is not an OpenAPI document (no 'paths' object)")
    return doc


def operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation under ``paths``, in spec order."""
    ops: list[Operation] = []
    for route, item in spec["paths"].items():
        if not isinstance(item, dict):
            continue
        for method in _METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            tags = tuple(str(t) for t in op.get("tags", []) if isinstance(t, str))
            ops.append(
                Operation(
                    method.upper(),
                    str(route),
                    str(op.get("operationId", "")),
                    str(op.get("summary", "")),
                    str(op.get("description", "")),
                    tags,
                )
            )
    return ops


def rank(ops: list[Operation], intent: str, limit: int = 5) -> list[RankedOperation]:
    """The operations that best match ``intent`` (BM25), best first; BadInput when none matches."""
    query = set(tokens(intent))
    if not query:
        raise BadInput("the intent has no usable words: describe the endpoints, e.g. 'list owners'")
    if not ops:
        raise BadInput("the OpenAPI spec has no operations")
    docs: list[Counter[str]] = []
    for op in ops:
        bag: Counter[str] = Counter()
        for name, text in _fields(op).items():
            for tok in tokens(text):
                bag[tok] += _FIELD_WEIGHTS[name]
        docs.append(bag)
    avg_len = sum(sum(d.values()) for d in docs) / len(docs) or 1.0
    df = Counter(tok for d in docs for tok in d)
    scored: list[RankedOperation] = []
    for op, doc in zip(ops, docs, strict=True):
        length = sum(doc.values())
        score = 0.0
        for term in query & doc.keys():
            idf = math.log(1 + (len(docs) - df[term] + 0.5) / (df[term] + 0.5))
            tf = doc[term]
            score += idf * tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * length / avg_len))
        if score > 0:
            scored.append(RankedOperation(op, score))
    if not scored:
        raise BadInput(f"no operation in the spec matches the intent {intent!r}; name a resource or action")
    scored.sort(key=lambda r: (-r.score, r.operation.route, r.operation.method))
    best = scored[0].score
    return [r for r in scored if r.score >= best * _RELATIVE_CUTOFF][:limit]


def endpoints_from_intent(spec_path: Path, intent: str, limit: int = 5) -> list[RankedOperation]:
    """Rank the operations of the spec at ``spec_path`` against ``intent``."""
    return rank(operations(load_spec(spec_path)), intent, limit)
