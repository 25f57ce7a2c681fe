"""Reading an OpenAPI 3 document (JSON) from a file, a git ref or a URL, and listing its operations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2

from kassi_app.endpoint import BadRoute, Endpoint
from kassi_app.errors import BadInput, InfrastructureError
from kassi_app.inputs import MAX_INPUT_BYTES, read_capped

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
FETCH_TIMEOUT_S = 10.0


def parse_openapi(text: str, source: str) -> dict[str, Any]:
    """Parse JSON text into a spec dict; YAML specs must be converted to JSON first (no YAML parser
    ships with kassi, so we say so instead of guessing)."""
    if len(text) > MAX_INPUT_BYTES:
        raise BadInput(f"the OpenAPI spec {source} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    try:
        spec = json.loads(text)
    except ValueError as exc:
        raise BadInput(f"cannot read the OpenAPI spec {source}: not JSON ({exc})") from None
    except RecursionError:
        raise BadInput(f"cannot read the OpenAPI spec {source}: nested too deeply") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
        raise BadInput(f"{source} is not an OpenAPI document (no 'paths' object)")
    return spec


def load_openapi(source: str, allowed_hosts: tuple[str, ...] = ()) -> dict[str, Any]:
    """A spec from a file path or an http(s) URL on an allowed host."""
    if source.startswith(("http://", "https://")):
        from kassi_app.hosts import check_url_allowed

        check_url_allowed(source, allowed_hosts)
        return parse_openapi(_fetch_capped(source), source)
    return parse_openapi(read_capped(Path(source), "the OpenAPI spec"), source)


def _fetch_capped(url: str) -> str:
    """The body at ``url``, streamed and refused past the size cap (no redirects followed)."""
    try:
        with httpx2.stream("GET", url, timeout=FETCH_TIMEOUT_S, follow_redirects=False) as response:
            response.raise_for_status()
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_INPUT_BYTES:
                    raise BadInput(f"the OpenAPI spec {url} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
            return body.decode(response.encoding or "utf-8", errors="replace")
    except httpx2.HTTPError as exc:
        raise InfrastructureError(f"cannot fetch the OpenAPI spec {url}: {exc}") from None


def operations(spec: dict[str, Any]) -> list[Endpoint]:
    """Every operation of the spec as an Endpoint, in document order; a path key that is not a
    plain path (``@host/x``, ``//host``, ``../x``) refuses the whole spec (``BadRoute``)."""
    out: list[Endpoint] = []
    for route, item in spec.get("paths", {}).items():
        if not isinstance(item, dict):
            continue
        try:
            out.extend(Endpoint.checked(method, route) for method in HTTP_METHODS if method in item)
        except BadRoute as exc:
            raise BadRoute(f"OpenAPI path key refused: {exc}") from None
    return out
