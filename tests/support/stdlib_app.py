"""A stdlib HTTP service for end-to-end tests: nothing to install, starts in milliseconds."""

import textwrap

DYING_APP = textwrap.dedent('''
    """A stdlib service whose head version exits after a few requests (a crash mid-run)."""
    import os, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    LIMIT = int(os.environ.get("DIE_AFTER", "0"))
    served = 0

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            global served
            served += 1
            if LIMIT and served > LIMIT and self.path != "/health":
                print("fatal: out of file handles, exiting", file=sys.stderr, flush=True)
                os._exit(70)
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
''')
