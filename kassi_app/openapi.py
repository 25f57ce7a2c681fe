"""Reading an OpenAPI 3 document (JSON) from a file, a git ref or a URL, and listing its operations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2

from kassi_app.endpoint import Endpoint
from kassi_app.errors import BadInput, InfrastructureError

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
FETCH_TIMEOUT_S = 10.0


def parse_openapi(text: str, source: str) -> dict[str, Any]:
    """Parse JSON text into a spec dict; YAML specs must be converted to JSON first (no YAML parser
    ships with kassi, so we say so instead of guessing)."""
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise BadInput(f"cannot read the OpenAPI spec {source}: not JSON ({exc})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
        raise BadInput(f"{source} is not an OpenAPI document (no 'paths' object)")
    return spec


def load_openapi(source: str, allowed_hosts: tuple[str, ...] = ()) -> dict[str, Any]:
    """A spec from a file path or an http(s) URL on an allowed host."""
    if source.startswith(("http://", "https://")):
        from kassi_app.hosts import check_url_allowed

        check_url_allowed(source, allowed_hosts)
        try:
            response = httpx2.get(source, timeout=FETCH_TIMEOUT_S)
            response.raise_for_status()
        except httpx2.HTTPError as exc:
            raise InfrastructureError(f"cannot fetch the OpenAPI spec {source}: {exc}") from None
        return parse_openapi(response.text, source)
    path = Path(source)
    try:
        return parse_openapi(path.read_text(encoding="utf-8"), source)
    except OSError as exc:
        raise BadInput(f"cannot read the OpenAPI spec {source}: {exc.strerror}") from None


def operations(spec: dict[str, Any]) -> list[Endpoint]:
    """Every operation of the spec as an Endpoint, in document order."""
    out: list[Endpoint] = []
    for route, item in spec.get("paths", {}).items():
        if not isinstance(item, dict):
            continue
        out.extend(Endpoint(method.upper(), route) for method in HTTP_METHODS if method in item)
    return out
