"""Stdlib services with known behaviour under load, for the live-mode verdict tests.

One script, four behaviours chosen by ``argv[2]``:
- ``saturated``: every request burns ~2 ms of CPU under the GIL: throughput is flat from the low to
  the high stage and latency grows with the users queued (Little's law) — healthy.
- ``convoy``: one global lock whose critical section grows with the square of the requests waiting for
  it (every waiter adds work for every other: the N(N-1) coherency term of the Universal Scalability
  Law) — throughput falls as users rise.
- ``mixed``: ``/api/items`` is healthy, ``/api/broken`` always answers 500 (background a user did not ask about).
- ``limited``: a token bucket of 20 requests per second; the rest are answered 429.
"""

import textwrap

LIVE_APP = textwrap.dedent('''
    import sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    MODE = sys.argv[2]
    lock, guard = threading.Lock(), threading.Lock()
    waiting = 0
    bucket = {"tokens": 20.0, "at": time.monotonic()}

    def burn(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    def convoy():
        global waiting
        with guard:
            waiting += 1
        try:
            with lock:
                with guard:
                    queued = waiting
                time.sleep(0.001 * queued * queued)
        finally:
            with guard:
                waiting -= 1

    def allowed():
        with guard:
            now = time.monotonic()
            bucket["tokens"] = min(20.0, bucket["tokens"] + 20.0 * (now - bucket["at"]))
            bucket["at"] = now
            if bucket["tokens"] >= 1.0:
                bucket["tokens"] -= 1.0
                return True
            return False

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            status = 200
            if self.path == "/health":
                pass
            elif MODE == "saturated":
                burn(0.002)
            elif MODE == "convoy":
                convoy()
            elif MODE == "mixed" and self.path.startswith("/api/broken"):
                status = 500
            elif MODE == "limited" and not allowed():
                status = 429
            body = b'{"ok": true}' if status == 200 else b'{"detail": "no"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
''')
