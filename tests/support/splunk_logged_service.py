"""A service that ships its access log to Splunk: a stdlib HTTP server whose every answered request
becomes one CIM Web event in the splunkd stub's event list (what the service's forwarder would
index), with no kassi proxy in the path. ``GET /api/items`` lists items; ``GET /api/items/<id>``
answers 200, or 500 ``db down`` when ``failing``."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from spl_eval import SplEngine

INDEX, SOURCETYPE, DEST = "web", "access_combined", "staging-1"


def _handler(engine: SplEngine, failing: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            started = time.time()
            if self.path == "/api/items":
                status, body = 200, json.dumps([{"id": i} for i in range(1, 6)]).encode()
            elif self.path.startswith("/api/items/"):
                status = 500 if failing else 200
                body = b'{"error": "db down"}' if failing else b'{"id": 1}'
            else:
                status, body = 404, b"{}"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            engine.events.append({  # what the service's forwarder would ship: CIM Web fields
                "_time": started, "index": INDEX, "sourcetype": SOURCETYPE, "dest": DEST,
                "http_method": "GET", "uri_path": self.path, "status": str(status),
                "response_time": f"{(time.time() - started) * 1000 + random.uniform(0.5, 1.5):.3f}",
                "bytes_out": str(len(body)),
            })

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def logged_service(engine: SplEngine, failing: bool) -> Iterator[str]:
    """Serve on a free loopback port for the block; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(engine, failing))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
