"""The HTTP Event Collector transport: how a run reaches Splunk from outside it.

``POST <url>/services/collector/event`` with ``Authorization: Splunk <token>`` and a body of JSON
envelopes one after another (``time``, ``host``, ``source``, ``sourcetype``, ``index``, ``event``).
The token comes from the environment only (``KASSI_HEC_TOKEN``): never a flag (it would show in
process listings and shell history), and it goes nowhere but that one header. TLS is verified by
default; a private CA is given as a file; turning verification off is the caller's explicit choice.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx2

from kassi_app.errors import BadInput
from kassi_app.publish.events import PublishEvent
from kassi_app.publish.retry import PublishError, RetryPolicy, TransientFailure, with_retries

TOKEN_ENV = "KASSI_HEC_TOKEN"
EVENT_PATH = "/services/collector/event"
SOURCE = "kassi"
RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))
"""HEC's busy (503), throttled (429) and server-error answers: worth another try. 400 (bad data),
401/403 (token) and 404 (path) are not: retrying cannot change them."""


def token_from_env() -> str:
    """The HEC token from ``KASSI_HEC_TOKEN``; its absence is bad input, named without any value."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise BadInput(f"publishing to HEC needs the token in the environment variable {TOKEN_ENV}")
    return token


def collector_url(url: str) -> str:
    """``https://host:8088`` or the full collector URL -> the event endpoint's URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise BadInput(f"--hec-url must be an http(s) URL, e.g. https://splunk.example.com:8088, not {url!r}")
    if parts.username or parts.password or parts.query:
        raise BadInput("--hec-url takes no credentials or query: the token comes from KASSI_HEC_TOKEN")
    path = parts.path.rstrip("/") or EVENT_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def tls_verification(ca_file: Path | None, insecure: bool) -> ssl.SSLContext | bool:
    """What httpx2 verifies the HEC's certificate with: the system's CAs, a given CA file, or nothing."""
    if ca_file is not None and insecure:
        raise BadInput("give --ca-file or --insecure, not both")
    if insecure:
        return False
    if ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as exc:
        raise BadInput(f"--ca-file {ca_file}: not a readable PEM certificate file: {exc}") from None


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _retry_after(response: httpx2.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


class HecTransport:
    """Sends batches of events to one HEC endpoint; a transient failure is retried with backoff."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        verify: ssl.SSLContext | bool = True,
        index: str | None = None,
        timeout_s: float = 10.0,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = collector_url(url)
        self.destination = f"HEC {self.url}" + (f" index={index}" if index else "")
        self._index = index
        self._host = socket.gethostname()
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._client = httpx2.Client(
            verify=verify, timeout=httpx2.Timeout(timeout_s), trust_env=False,
            headers={"Authorization": f"Splunk {token}", "Content-Type": "application/json"},
        )
        self.attempts = 0

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HecTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def envelope(self, event: PublishEvent) -> str:
        """One event in HEC's envelope: ``time`` sets Splunk's ``_time``; the body is the event."""
        envelope = {"time": round(event.time, 6), "host": self._host, "source": SOURCE,
                    "sourcetype": event.sourcetype, "event": event.body}
        if self._index:
            envelope["index"] = self._index
        return json.dumps(envelope, separators=(",", ":"), default=str, allow_nan=False)

    def send(self, batch: Sequence[PublishEvent]) -> None:
        body = "\n".join(self.envelope(e) for e in batch).encode("utf-8")
        self.attempts += with_retries(lambda: self._post(body), self._policy, self.destination, self._sleep)

    def _post(self, body: bytes) -> None:
        try:
            response = self._client.post(self.url, content=body)
        except httpx2.TransportError as exc:
            tls = _tls_failure(exc)
            if tls is not None:
                raise PublishError(
                    f"{self.destination}: TLS verification failed ({tls.__class__.__name__}: "
                    f"{getattr(tls, 'verify_message', '') or tls}); give the HEC's CA with --ca-file") from None
            raise TransientFailure(f"cannot reach {self.url}: {type(exc).__name__}: {exc}") from None
        if response.status_code == 200:
            return
        text = response.text[:300].strip()
        if response.status_code in RETRY_STATUSES:
            raise TransientFailure(f"HEC answered {response.status_code}: {text}", _retry_after(response))
        raise PublishError(f"{self.destination} refused the events: HTTP {response.status_code}: {text}")
