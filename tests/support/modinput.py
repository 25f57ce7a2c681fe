"""splunkd's side of the modular input protocol, for the kassi_watch tests: the XML splunkd writes on
an input's stdin (streaming and validation, as splunk-sdk's own tests and the Splunk docs show it),
and a reader of the ``<stream>`` of events the input writes back."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

SESSION_KEY = "f00dfeed-watch-session-key"
ARGUMENTS = {"repo", "branch", "mode", "duration", "fix"}
"""The kassi_watch arguments the setup page sends (``interval`` is splunkd's own)."""


def input_xml(splunkd_uri: str, checkpoint_dir: Path, params: dict[str, str], name: str = "shop") -> str:
    """The XML splunkd writes on the input's stdin (one stanza, as with use_single_instance=false)."""
    values = "".join(f"<param name={quoteattr(k)}>{escape(v)}</param>" for k, v in params.items())
    return (f"<input><server_host>sh1</server_host><server_uri>{escape(splunkd_uri)}</server_uri>"
            f"<session_key>{SESSION_KEY}</session_key><checkpoint_dir>{escape(str(checkpoint_dir))}</checkpoint_dir>"
            f"<configuration><stanza name=\"kassi_watch://{name}\" app=\"kassi\">{values}"
            "<param name=\"interval\">300</param></stanza></configuration></input>")


def validation_xml(params: dict[str, str], checkpoint_dir: Path, name: str = "shop") -> str:
    values = "".join(f"<param name={quoteattr(k)}>{escape(v)}</param>" for k, v in params.items())
    return (f"<items><server_host>sh1</server_host><server_uri>https://127.0.0.1:1</server_uri>"
            f"<session_key>{SESSION_KEY}</session_key><checkpoint_dir>{escape(str(checkpoint_dir))}</checkpoint_dir>"
            f"<item name={quoteattr(name)}>{values}</item></items>")


def events_of(stream: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(stanza, sourcetype, data) of every event in an input's output stream."""
    if not stream:
        return []
    root = ET.fromstring(stream)
    assert root.tag == "stream"
    events = []
    for e in root.iter("event"):
        data = json.loads(e.findtext("data", ""))
        # props.conf reads _time from the start of the JSON; the event's <time> says the same
        assert next(iter(data)) == "_time" and e.findtext("time") == f"{data['_time']:.3f}"
        events.append((e.get("stanza", ""), e.findtext("sourcetype", ""), data))
    return events
