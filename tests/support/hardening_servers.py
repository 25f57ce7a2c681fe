"""Real loopback HTTP servers for the hardening tests: one that counts what reaches it, one that
redirects every request elsewhere."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAIL_BODY = b"db error: Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123 refused"


class Counting(ThreadingHTTPServer):
    """Answers 200 to everything (500 with a credential in the body under ``/fail``) and remembers
    each request path."""

    daemon_threads = True

    def __init__(self, host: str, redirect_to: str | None = None) -> None:
        self.paths: list[str] = []
        self.lock = threading.Lock()
        self.redirect_to = redirect_to
        super().__init__((host, 0), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: Counting

    def _answer(self) -> None:
        with self.server.lock:
            self.server.paths.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.server.redirect_to and self.path != "/health":
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        failing = self.path.startswith("/fail")
        body = FAIL_BODY if failing else b'[{"id": 1}]'
        self.send_response(500 if failing else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(host: str = "127.0.0.1", redirect_to: str | None = None) -> Iterator[Counting]:
    server = Counting(host, redirect_to)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
