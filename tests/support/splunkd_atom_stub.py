"""A loopback stand-in for splunkd's REST API (no Splunk runs here) for the endpoints splunklib calls
when kassi reads its app settings: ``/services/server/info``, ``properties/kassi``,
``configs/conf-kassi`` and ``storage/passwords/<realm:name:>`` in the ``nobody/kassi`` namespace;
a subclass answers POSTs (``answer_post``).
splunklib asks for splunkd's default format, Atom XML, so the answers are Atom feeds shaped as
Splunk's REST API reference shows them (``<feed>`` / ``<entry>`` / ``<content><s:dict><s:key>``), and
errors are ``<response><messages><msg type="ERROR">``. A request without ``Authorization: Splunk
<session key>`` gets 401, as from splunkd. Every request is recorded.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape, quoteattr

NS = "/servicesNS/nobody/kassi"
UPDATED = "2026-11-29T05:00:00+00:00"


def _dict(content: Mapping[str, Any]) -> str:
    keys = "".join(f"<s:key name={quoteattr(k)}>{escape(str(v))}</s:key>" for k, v in content.items())
    return f"<s:dict>{keys}</s:dict>"


def _entry(collection: str, name: str, content: Mapping[str, Any]) -> str:
    href = f"{collection}/{name}"
    acl = ("<s:key name=\"eai:acl\"><s:dict><s:key name=\"app\">kassi</s:key><s:key name=\"owner\">nobody</s:key>"
           "<s:key name=\"sharing\">app</s:key></s:dict></s:key>")
    body = _dict(content).replace("</s:dict>", acl + "<s:key name=\"eai:appName\">kassi</s:key></s:dict>", 1)
    return (f"<entry><title>{escape(name)}</title><id>https://127.0.0.1:8089{escape(href)}</id>"
            f"<updated>{UPDATED}</updated><link href={quoteattr(href)} rel=\"alternate\"/>"
            f"<author><name>nobody</name></author><link href={quoteattr(href)} rel=\"list\"/>"
            f"<link href={quoteattr(href)} rel=\"edit\"/><content type=\"text/xml\">{body}</content></entry>")


def _feed(title: str, collection: str, entries: list[str]) -> str:
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:s=\"http://dev.splunk.com/ns/rest\""
            " xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\">"
            f"<title>{escape(title)}</title><id>https://127.0.0.1:8089{escape(collection)}</id>"
            f"<updated>{UPDATED}</updated><generator build=\"stub\" version=\"10.2.0\"/>"
            "<author><name>Splunk</name></author>"
            f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>"
            "<opensearch:itemsPerPage>30</opensearch:itemsPerPage><opensearch:startIndex>0</opensearch:startIndex>"
            "<s:messages/>" + "".join(entries) + "</feed>")


def _error(text: str) -> str:
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n  <messages>\n"
            f"    <msg type=\"ERROR\">{escape(text)}</msg>\n  </messages>\n</response>\n")


@dataclass
class Splunkd:
    """What the stub holds: kassi.conf as splunkd would merge it, and the stored passwords."""

    session_key: str
    conf: dict[str, dict[str, str]] | None = field(default_factory=dict)  # None: no kassi.conf at all
    passwords: dict[tuple[str, str], str] = field(default_factory=dict)  # (realm, name) -> clear password
    requests: list[tuple[str, str, str, dict[str, str]]] = field(default_factory=list)  # method, path, query, headers
    uri: str = ""

    def answer(self, method: str, path: str) -> tuple[int, str]:
        if path == "/services/server/info":
            info = {"version": "10.2.0", "build": "stub", "serverName": "stub", "product_type": "enterprise"}
            return 200, _feed("server-info", path, [_entry(path, "server-info", info)])
        if method != "GET" or not path.startswith(NS + "/"):
            return 404, _error(f"Not Found: {method} {path}")
        rest = path.removeprefix(NS + "/").rstrip("/")
        if rest in ("properties/kassi", "configs/conf-kassi"):
            if self.conf is None:
                return 404, _error("No such file: kassi.conf")
            collection = f"{NS}/{rest}"
            stanzas = [_entry(collection, name, {**keys, "disabled": "0"}) for name, keys in self.conf.items()]
            return 200, _feed(rest.rsplit("/", 1)[-1], collection, stanzas)
        if rest.startswith("storage/passwords/"):
            entity = unquote(rest.removeprefix("storage/passwords/"))
            realm, _, name = entity.removesuffix(":").partition(":")
            clear = self.passwords.get((realm, name))
            if clear is None:
                return 404, _error(f"Could not find object id={entity}")
            content = {"clear_password": clear, "encr_password": "", "password": "********",
                       "realm": realm, "username": name}
            return 200, _feed("passwords", f"{NS}/storage/passwords",
                              [_entry(f"{NS}/storage/passwords", entity, content)])
        return 404, _error(f"Not Found: {path}")

    def answer_post(self, path: str, form: dict[str, str]) -> tuple[int, str, str]:
        """A POST (status, body, content type): none of the endpoints above takes one."""
        return 404, _error(f"Not Found: POST {path}"), "text/xml; charset=UTF-8"


@contextmanager
def running(state: Splunkd, tls: ssl.SSLContext | None = None) -> Iterator[Splunkd]:
    """Serve ``state`` on 127.0.0.1 (a free port) for the ``with`` block, over https when given a
    server ``tls`` context (splunkd's own default); ``state.uri`` is its URI."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            path, query = urlsplit(self.path).path, urlsplit(self.path).query
            state.requests.append((method, path, query, dict(self.headers.items())))
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            kind = "text/xml; charset=UTF-8"
            if self.headers.get("Authorization") != f"Splunk {state.session_key}":
                status, text = 401, _error("call not properly authenticated")
            elif method == "GET":
                status, text = state.answer("GET", path)
            else:
                status, text, kind = state.answer_post(path, {k: v[0] for k, v in parse_qs(body).items()})
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.uri = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

