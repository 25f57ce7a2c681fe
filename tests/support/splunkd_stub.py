"""A loopback stand-in for splunkd's REST API, as much of it as kassi's Splunk adapter calls.

It stands in for a real Splunk Enterprise search head (none can run here): splunklib asks
``GET /services/server/info`` (Atom XML with the version, which picks the v2 search endpoints) and
then ``POST /services/search/v2/jobs/export`` with ``output_mode=json``; the stub answers with the
documented JSON export stream (one ``{"preview": false, "offset": n, "result": {...}}`` object per
line, messages as ``{"messages": [{"type", "text"}]}``). The SPL it receives runs on recorded raw
events through ``spl_eval.SplEngine``; requests without the expected credential get 401.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from spl_eval import SplEngine

SERVER_INFO = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:s="http://dev.splunk.com/ns/rest">
  <title>server-info</title>
  <entry>
    <title>server-info</title>
    <content type="text/xml">
      <s:dict>
        <s:key name="version">10.2.0</s:key>
        <s:key name="instance_type">enterprise</s:key>
      </s:dict>
    </content>
  </entry>
</feed>
"""
UNAUTHORIZED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<response><messages>'
    '<msg type="WARN">call not properly authenticated</msg></messages></response>'
)


@dataclass
class StubState:
    engine: SplEngine
    credential: str
    messages: list[dict[str, str]] = field(default_factory=list)
    previews: list[dict[str, str]] = field(default_factory=list)
    """Rows streamed with ``"preview": true`` before the final ones (a reporting search in progress)."""
    requests: list[dict[str, str]] = field(default_factory=list)


def _handler(state: StubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet test output
            pass

        def _reply(self, status: int, body: str, kind: str) -> None:
            data = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its time-out): nothing left to answer

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == state.credential:
                return True
            self._reply(401, UNAUTHORIZED, "text/xml")
            return False

        def do_GET(self) -> None:
            if not self._authorised():
                return
            if self.path.split("?")[0].endswith("/services/server/info"):
                self._reply(200, SERVER_INFO, "text/xml")
            else:
                self._reply(404, "<response/>", "text/xml")

        def do_POST(self) -> None:
            if not self._authorised():
                return
            if not self.path.split("?")[0].endswith("/search/v2/jobs/export"):
                self._reply(404, "<response/>", "text/xml")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            self._reply(*export_answer(state, {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}))

    return Handler


def export_answer(state: StubState, form: dict[str, str]) -> tuple[int, str, str]:
    """splunkd's answer to ``POST search/v2/jobs/export`` with ``form``: status, body, content type."""
    state.requests.append(form)
    if form.get("output_mode") != "json":
        return 400, "<response/>", "text/xml"
    try:
        rows = state.engine.run(form["search"], form.get("earliest_time", ""), form.get("latest_time", ""))
    except ValueError as exc:  # what splunkd does with SPL it cannot parse
        return 400, json.dumps({"messages": [{"type": "FATAL", "text": str(exc)}]}), "application/json"
    lines = [json.dumps({"preview": True, "offset": i, "result": r}) for i, r in enumerate(state.previews)]
    lines += [json.dumps({"preview": False, "offset": i, "result": r}) for i, r in enumerate(rows)]
    if state.messages:
        lines.insert(0, json.dumps({"preview": False, "messages": state.messages}))
    return 200, "\n".join(lines) + "\n", "application/json"


@contextmanager
def splunkd_stub(state: StubState) -> Iterator[int]:
    """Serve ``state`` on a free loopback port for the duration of the block; yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
