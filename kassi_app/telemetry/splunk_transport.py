"""Two ways to run one SPL search and get its result rows: splunklib's export, or the Splunk MCP
Server's query tool. Both answer with plain rows (dicts of strings) or raise InfrastructureError
with Splunk's reason, so a refused, failed, timed-out or partial search ends the run INCONCLUSIVE
instead of being judged on half the data.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Sequence
from typing import Any, Protocol

from splunklib import binding, client, results

from kassi_app.errors import InfrastructureError
from kassi_app.telemetry.splunk_settings import McpConnection, SdkConnection, SplunkSettings
from kassi_app.telemetry.upstream import UpstreamServer, call_upstream

Row = dict[str, Any]
_PARTIAL = re.compile(r"\b(?:incomplete|partial|truncated|unavailable|down|timed out|timeout)\b", re.IGNORECASE)
"""Words in a WARN message that say the result set is missing events (peers down, limits hit)."""


class SplunkTransport(Protocol):
    def export(self, spl: str, earliest: str, latest: str) -> list[Row]:
        """All final result rows of ``spl`` over [earliest, latest); raises InfrastructureError."""
        ...


def check_messages(messages: Sequence[tuple[str, str]]) -> None:
    """Splunk's own messages decide whether the rows are the whole answer."""
    for kind, text in messages:
        kind = kind.upper()
        if kind in ("FATAL", "ERROR") or (kind == "WARN" and _PARTIAL.search(text)):
            raise InfrastructureError(f"Splunk search failed: {kind}: {text}")


class SdkTransport:
    """splunklib's ``jobs.export`` (``search/v2/jobs/export``, JSON), read with ``JSONResultsReader``.

    ``token`` is a bearer token (``Authorization: Bearer``) outside Splunk, or the session key the
    search command or modular input received inside it (``session_key=True``). No login round trip:
    the service is built with the credential. TLS is verified unless the settings say otherwise
    (splunklib's own default is not to verify).
    """

    def __init__(self, conn: SdkConnection, token: str, *, session_key: bool = False, timeout_s: float = 60.0) -> None:
        context = None
        if conn.scheme == "https" and conn.verify:
            context = ssl.create_default_context(cafile=str(conn.ca_file) if conn.ca_file else None)
        handler = binding.handler(timeout=timeout_s, verify=conn.verify, context=context)
        credential = {"token": token} if session_key else {"splunkToken": token}
        self.service = client.Service(
            handler=handler, host=conn.host, port=conn.port, scheme=conn.scheme, app=conn.app, owner=conn.owner,
            **credential,
        )
        self.where = f"{conn.scheme}://{conn.host}:{conn.port}"

    def export(self, spl: str, earliest: str, latest: str) -> list[Row]:
        try:
            stream = self.service.jobs.export(spl, output_mode="json", earliest_time=earliest, latest_time=latest)
            reader = results.JSONResultsReader(stream)
            rows: list[Row] = []
            messages: list[tuple[str, str]] = []
            for item in reader:
                if isinstance(item, results.Message):
                    messages.append((str(item.type), str(item.message)))
                elif not reader.is_preview:
                    rows.append(item)
        except binding.HTTPError as exc:
            raise InfrastructureError(f"Splunk at {self.where} refused the search: {exc}") from None
        except (OSError, ValueError) as exc:  # socket errors, TLS failures, time-outs, broken JSON
            raise InfrastructureError(f"Splunk at {self.where} unreachable or broken: {exc}") from None
        check_messages(messages)
        return rows


class McpTransport:
    """The official Splunk MCP Server's ``splunk_run_query`` over streamable HTTP with a bearer token,
    through kassi's one MCP client (``telemetry.upstream``: deadline, redacted errors).

    Results come back in ``structuredContent.results``; a full page (``row_limit`` rows) may have
    been cut, so it counts as partial.
    """

    def __init__(self, conn: McpConnection, token: str, *, timeout_s: float = 60.0) -> None:
        self.conn = conn
        self.server = UpstreamServer("Splunk MCP server", url=conn.url, token=token, verify_tls=conn.verify)
        self.timeout_s = timeout_s

    def export(self, spl: str, earliest: str, latest: str) -> list[Row]:
        args = {"query": spl, "earliest_time": earliest, "latest_time": latest, "row_limit": self.conn.row_limit}
        payload = call_upstream(self.server, self.conn.tool, args, self.timeout_s)
        rows = payload.get("results")
        if not isinstance(rows, list):
            raise InfrastructureError(
                f"Splunk MCP {self.conn.tool} answered without structuredContent.results: {sorted(payload)}"
            )
        messages = payload.get("messages") or []
        check_messages([(str(m.get("type", "")), str(m.get("text", ""))) for m in messages if isinstance(m, dict)])
        if len(rows) >= self.conn.row_limit:
            raise InfrastructureError(
                f"Splunk MCP {self.conn.tool} returned row_limit={self.conn.row_limit} rows: the answer may be cut"
            )
        return [dict(r) for r in rows]


def open_transport(settings: SplunkSettings, token: str, *, session_key: bool = False) -> SplunkTransport:
    """The transport the settings choose."""
    timeout = settings.timing.search_timeout_s
    conn = settings.connection
    if isinstance(conn, McpConnection):
        return McpTransport(conn, token, timeout_s=timeout)
    return SdkTransport(conn, token, session_key=session_key, timeout_s=timeout)
