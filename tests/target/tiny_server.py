"""A stdlib HTTP service for the target tests: answers every path; behaviour set by env variables."""

import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GREETING = "hello from base"
MODE = os.environ.get("MODE", "ok")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 500 if self.path == "/health" and MODE == "sick" else 200
        body = f"{GREETING} {self.path} {os.environ.get('PEER', '')}".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        print("request", self.path, file=sys.stderr, flush=True)


if MODE == "crash":
    print("boom: cannot open the database", file=sys.stderr, flush=True)
    sys.exit(3)
if MODE == "slow":
    time.sleep(60)
print("listening on", sys.argv[1], flush=True)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
