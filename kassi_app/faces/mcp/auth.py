"""The bearer token `kassi serve --transport http` requires: any local process can reach a loopback
port, and a run starts the repo's own start command, so the HTTP face is never open.

The token is ``KASSI_SERVE_TOKEN`` when set, else generated at start into ``<kassi home>/serve.token``
(mode 0600, replaced each start) for the MCP client's configuration to read. It is compared in
constant time and never logged. The MCP SDK's host/origin (DNS-rebinding) checks stay on behind it.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

TOKEN_ENV = "KASSI_SERVE_TOKEN"
TOKEN_FILE = "serve.token"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


def serve_token(home: Path) -> tuple[str, Path | None]:
    """The token to require, and the file it was written to (None when it came from the environment)."""
    given = os.environ.get(TOKEN_ENV)
    if given:
        return given, None
    token = secrets.token_urlsafe(32)
    home.mkdir(parents=True, exist_ok=True)
    path = home / TOKEN_FILE
    path.unlink(missing_ok=True)  # a fresh file, so its mode is ours whatever was there before
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return token, path


class BearerAuth:
    """ASGI middleware: HTTP requests without ``Authorization: Bearer <token>`` get 401 and go no further."""

    def __init__(self, app: Asgi, token: str) -> None:
        self._app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            body = json.dumps({"error": "a bearer token is required (kassi serve: see serve.token)"}).encode()
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"application/json"), (b"www-authenticate", b'Bearer realm="kassi"')]})
            await send({"type": "http.response.body", "body": body})
            return
        await self._app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        given = next((value for name, value in scope.get("headers", ()) if name == b"authorization"), b"")
        return hmac.compare_digest(given, self._expected)
