"""A loopback stand-in for Splunk's HTTP Event Collector (no Splunk runs here), over TLS with its own
self-signed certificate: what the publishing tests and `kassi bench publish` send to.

Shaped as Splunk's HEC documentation describes it: ``POST /services/collector/event`` with
``Authorization: Splunk <token>``; the body is JSON envelopes one after another (``time``, ``host``,
``source``, ``sourcetype``, ``index``, ``event``); answers ``{"text": "Success", "code": 0}``, 401
without a token (code 2), 403 for a wrong one (code 4), 400 for no or malformed data (codes 5, 6),
503 when busy (code 9). ``busy`` answers that many requests with 503 first. Every request is kept
whole (path, headers, body), so a test can look for the token anywhere in what was received.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

EVENT_PATH = "/services/collector/event"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A fresh key and a self-signed certificate for 127.0.0.1 and localhost, valid for a day, written
    as PEM files (certificate, key); the certificate is its own CA, so a client can trust it by file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kassi loopback stub")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "stub-cert.pem", folder / "stub-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@dataclass(frozen=True)
class Received:
    """One HTTP request exactly as the stub got it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def envelopes(body: bytes) -> list[dict[str, Any]]:
    """HEC's body: JSON objects one after another (whitespace between them allowed)."""
    text, decoder, out, at = body.decode("utf-8"), json.JSONDecoder(), [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return out
        obj, at = decoder.raw_decode(text, at)
        out.append(obj)


@dataclass
class HecStub:
    token: str
    busy: int = 0
    requests: list[Received] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> tuple[int, dict[str, Any]]:
        if request.path != EVENT_PATH:
            return 404, {"text": "The requested URL was not found on this server.", "code": 404}
        auth = request.headers.get("Authorization")
        if auth is None:
            return 401, {"text": "Token is required", "code": 2}
        if auth != f"Splunk {self.token}":
            return 403, {"text": "Invalid token", "code": 4}
        with self.lock:
            if self.busy > 0:
                self.busy -= 1
                return 503, {"text": "Server is busy", "code": 9}
        try:
            received = envelopes(request.body)
        except ValueError:
            return 400, {"text": "Invalid data format", "code": 6}
        if not received or any("event" not in e for e in received):
            return 400, {"text": "No data", "code": 5}
        with self.lock:
            self.events.extend(received)
        return 200, {"text": "Success", "code": 0}

    def of(self, sourcetype: str) -> list[dict[str, Any]]:
        return [e["event"] for e in self.events if e.get("sourcetype") == sourcetype]


@contextmanager
def running_hec(stub: HecStub, tls: ssl.SSLContext) -> Iterator[HecStub]:
    """Serve ``stub`` over HTTPS on 127.0.0.1 (a free port, keep-alive) for the ``with`` block."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as HEC: one TLS handshake per client, not per batch

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = Received("POST", self.path, dict(self.headers.items()), body)
            with stub.lock:
                stub.requests.append(request)
            status, answer = stub.answer(request)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    stub.url = f"https://127.0.0.1:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
