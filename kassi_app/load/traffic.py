"""Recorded traffic as the load: a HAR file or a common/combined access log, read into the requests
of the changed routes (method, path with its real parameter values, the body a HAR recorded) and
their mix.

Secrets never leave the file: no header is kept at all (so no cookie, no ``Authorization``, no API
key header), query parameters and body fields whose names are credentials are dropped, and the
replayed body gets kassi's own value for a dropped field when the route's shape knows one.
Access logs carry no bodies: a body route replayed from one gets the body kassi builds for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from kassi_app.endpoint import Endpoint
from kassi_app.errors import BadInput
from kassi_app.redact import is_secret_key
from kassi_app.telemetry.routes import RouteMatcher

MAX_PER_ROUTE = 200
"""Recorded requests kept per route: enough for the mix of parameter values, small in the script."""
_LOG_LINE = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "([A-Z]+) (\S+)(?: [^"]*)?" (\d{3}) ')
_MORE_SECRETS = frozenset({"sig", "signature", "jwt", "auth", "session", "sessionid", "key", "code", "otp",
                           "access_token", "refresh_token", "id_token", "csrf", "csrfmiddlewaretoken", "xsrf"})
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Recorded:
    """One recorded request, secrets dropped: ``target`` is the path and query to send."""

    method: str
    target: str
    body: str | None = None
    content_type: str | None = None
    dropped: tuple[str, ...] = ()
    """Body fields dropped as secrets (kassi may fill them with its own values)."""

    def to_json(self) -> dict[str, Any]:
        return {"url": self.target, "body": self.body, "contentType": self.content_type}

    def filled(self, body: str | None, content_type: str | None) -> Recorded:
        """This request with kassi's ``body`` where none was recorded (an access log), or with the
        dropped secret fields taken from ``body`` when both are the same kind of object."""
        if self.body is None:
            return Recorded(self.method, self.target, body, content_type) if body is not None else self
        if not self.dropped or body is None or content_type != self.content_type:
            return self
        if content_type == _FORM:
            ours = dict(parse_qsl(body, keep_blank_values=True))
            extra = [(k, ours[k]) for k in self.dropped if k in ours]
            return Recorded(self.method, self.target, "&".join(p for p in (self.body, urlencode(extra)) if p),
                            content_type)
        try:
            mine, ours_json = json.loads(self.body), json.loads(body)
        except ValueError:
            return self
        if isinstance(mine, dict) and isinstance(ours_json, dict):
            mine.update({k: ours_json[k] for k in self.dropped if k in ours_json})
            return Recorded(self.method, self.target, json.dumps(mine), content_type)
        return self


def _secret(name: str) -> bool:
    return is_secret_key(name) or name.strip().lower() in _MORE_SECRETS


def _clean_target(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _secret(k)]
    return (parts.path or "/") + (f"?{urlencode(query)}" if query else "")


def recorded_request(method: str, url: str) -> Recorded:
    """A request known by its method and URL only (an access log, Splunk's access events), its
    credential query parameters dropped."""
    return Recorded(method.upper(), _clean_target(url))


def _clean_body(text: str | None, mime: str | None) -> tuple[str | None, str | None, tuple[str, ...]]:
    """The body without its credential fields (JSON objects and forms); other bodies as recorded."""
    if not text:
        return None, None, ()
    mime = (mime or "").split(";")[0].strip().lower() or None
    if mime == _FORM:
        pairs = parse_qsl(text, keep_blank_values=True)
        dropped = tuple(k for k, _ in pairs if _secret(k))
        return urlencode([(k, v) for k, v in pairs if not _secret(k)]), mime, dropped
    if mime and (mime == "application/json" or mime.endswith("+json")):
        try:
            value = json.loads(text)
        except ValueError:
            return text, mime, ()
        if isinstance(value, dict):
            dropped = tuple(k for k in value if _secret(str(k)))
            return json.dumps({k: v for k, v in value.items() if k not in dropped}), mime, dropped
    return text, mime, ()


def _from_har(doc: dict[str, Any]) -> list[Recorded]:
    out = []
    for entry in (doc.get("log") or {}).get("entries") or []:
        req = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(req, dict) or not isinstance(req.get("url"), str):
            continue
        post = req.get("postData")
        post = post if isinstance(post, dict) else {}
        body, mime, dropped = _clean_body(post.get("text"), post.get("mimeType"))
        out.append(Recorded(str(req.get("method", "GET")).upper(), _clean_target(req["url"]), body, mime, dropped))
    return out


def _from_log(lines: Iterable[str]) -> list[Recorded]:
    out = []
    for line in lines:
        match = _LOG_LINE.match(line)
        if match:
            out.append(recorded_request(match.group(1), match.group(2)))
    return out


def read_traffic(path: Path) -> list[Recorded]:
    """The requests a HAR file (JSON with ``log.entries``) or a common/combined access log holds."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise BadInput(f"cannot read the traffic file {path}: {exc.strerror}") from None
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise BadInput(f"the traffic file {path} is neither a HAR file nor an access log: {exc}") from None
        recorded = _from_har(doc) if isinstance(doc, dict) else []
    else:
        recorded = _from_log(text.splitlines())
    if not recorded:
        raise BadInput(f"the traffic file {path} holds no request kassi can read (HAR, common or combined log)")
    return recorded


def spread(recorded: Sequence[Recorded], limit: int = MAX_PER_ROUTE) -> list[Recorded]:
    """At most ``limit`` of ``recorded``, evenly spaced, so a long file keeps its variety."""
    if len(recorded) <= limit:
        return list(recorded)
    step = len(recorded) / limit
    return [recorded[int(i * step)] for i in range(limit)]


def replay_for(recorded: Sequence[Recorded], endpoints: Sequence[Endpoint]) -> dict[Endpoint, list[Recorded]]:
    """The recorded requests of each of ``endpoints`` (matched by method and route template), in the
    file's order; the lists' lengths are the mix (the script keeps ``MAX_PER_ROUTE`` of each)."""
    wanted = {(e.method, e.route): e for e in endpoints}
    matcher = RouteMatcher(e.route for e in endpoints)
    out: dict[Endpoint, list[Recorded]] = {}
    for r in recorded:
        endpoint = wanted.get((r.method, matcher.route_for(r.target)))
        if endpoint is not None:
            out.setdefault(endpoint, []).append(r)
    return out
