"""A real threaded HTTP service on loopback that records every request k6 sends it."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

OWNERS = [{"id": 7, "name": "ada"}, {"id": 9, "name": "grace"}]
PETS = {7: [{"petId": 70}, {"petId": 71}], 9: [{"petId": 90}]}

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "paths": {
        "/api/owners": {
            "get": {"responses": {"200": {"description": "ok"}}},
            "post": {"requestBody": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/NewOwner"}}}}},
        },
        "/api/owners/{ownerId}": {
            "parameters": [{"name": "ownerId", "in": "path", "required": True,
                            "schema": {"type": "integer", "example": 1}}],
            "get": {"responses": {"200": {"description": "ok"}}},
        },
        "/api/owners/{ownerId}/pets": {"get": {"parameters": [
            {"name": "ownerId", "in": "path", "required": True, "schema": {"type": "integer"}}]}},
        "/api/owners/{ownerId}/pets/{petId}": {"get": {"parameters": [
            {"name": "ownerId", "in": "path", "required": True, "schema": {"type": "integer"}},
            {"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}]}},
        "/api/vets": {"get": {"parameters": [
            {"name": "specialty", "in": "query", "required": True,
             "schema": {"type": "string", "enum": ["radiology", "surgery"]}},
            {"name": "page", "in": "query", "schema": {"type": "integer"}}]}},
    },
    "components": {"schemas": {
        "NewOwner": {
            "type": "object", "required": ["firstName", "email", "address"],
            "properties": {
                "id": {"type": "integer", "readOnly": True},
                "firstName": {"type": "string", "minLength": 1, "maxLength": 40},
                "email": {"type": "string", "format": "email"},
                "address": {"$ref": "#/components/schemas/Address"},
                "kind": {"type": "string", "enum": ["person", "company"]},
                "birthDate": {"type": "string", "format": "date"},
            },
        },
        "Address": {"type": "object", "required": ["city"],
                    "properties": {"city": {"type": "string", "example": "Tallinn"},
                                   "zip": {"type": "string", "pattern": "^[0-9]{5}$", "example": "10115"}}},
    }},
}


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: str


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[Seen] = []

    def add(self, seen: Seen) -> None:
        with self.lock:
            self.requests.append(seen)

    def snapshot(self) -> list[Seen]:
        with self.lock:
            return list(self.requests)


@dataclass
class Service:
    base_url: str
    recorder: Recorder


def _answer(method: str, path: str) -> tuple[int, Any]:
    if path == "/api/owners":
        return (200, OWNERS) if method == "GET" else (201, {"id": 11})
    if match := re.fullmatch(r"/api/owners/(\d+)", path):
        owner = int(match.group(1))
        return (200, {"id": owner}) if owner in PETS else (404, {"error": "no such owner"})
    if match := re.fullmatch(r"/api/owners/(\d+)/pets", path):
        return 200, {"items": PETS.get(int(match.group(1)), [])}
    if match := re.fullmatch(r"/api/owners/(\d+)/pets/(\d+)", path):
        owner, pet = int(match.group(1)), int(match.group(2))
        return (200, {"petId": pet}) if {"petId": pet} in PETS.get(owner, []) else (404, {})
    if path == "/api/vets":
        return 200, [{"id": 1}]
    return 404, {}


def handler_for(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            recorder.add(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, payload = _answer(self.command, self.path.split("?")[0])
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
