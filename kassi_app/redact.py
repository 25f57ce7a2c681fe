"""One redaction for everything a run writes: the ledger, run.json, analysis.md, the Burr state,
the telemetry store (error bodies, log lines, run records) and the k6 script.

Secrets are found by name (a mapping key such as ``Authorization`` or ``hec_token``, a header line
``Cookie: ...``, a ``token=`` / ``"password": "..."`` pair in text) and by shape (``Bearer ...``,
``user:password@`` in a URL, AWS access key ids, JWTs, well-known provider token prefixes). A match
is replaced by ``***``; the text around it stays readable.

Hand-written rather than a scanner library (detect-secrets, trufflehog): those report findings in
files; kassi needs a fast, dependency-free substitution over short strings on its hot paths.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"
_SECRET_KEYS = frozenset(
    {
        "token",
        "password",
        "passwd",
        "pwd",
        "secret",
        "api_key",
        "apikey",
        "authorization",
        "proxy_authorization",
        "session_key",
        "sessionkey",
        "private_key",
        "client_secret",
        "access_token",
        "refresh_token",
        "hec_token",
        "cookie",
        "set_cookie",
        "seal_key",
        "credentials",
        "passphrase",
    }
)
_SECRET_SUFFIXES = ("_token", "_password", "_passwd", "_secret", "_api_key", "_apikey", "_session_key",
                    "_access_key", "_secret_key", "_private_key", "_passphrase", "_credentials")

_SECRET_HEADER_LINE = re.compile(
    r"(?P<name>\b(?:Proxy-Authorization|Authorization|Set-Cookie|Cookie|X-Api-Key|X-Auth-Token|X-Splunk-Token)"
    r"[ \t]*:[ \t]*)(?!(?:Splunk|Bearer|Basic|Token|Digest) \*\*\*)(?P<value>[^\s\"'][^\r\n\"']*)",
    re.IGNORECASE,
)
"""A credential header written as text (a logged request, an error body): the rest of its line."""
_SCHEME_CREDENTIAL = re.compile(r"\b(Splunk|Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^/@\s\"'<>]+@", re.IGNORECASE)
_NAMED_VALUE = re.compile(
    r"(?P<key>(?<![A-Za-z0-9])(?:token|secret|passw(?:or)?d|pwd|api[_-]?key|apikey|access[_-]?key"
    r"|secret[_-]?key|private[_-]?key|client[_-]?secret|session[_-]?id|sessionid|auth|signature|sig|"
    r"credentials?)[\"']?)(?P<sep>\s*[=:]\s*[\"']?)(?P<value>[^\s&\"',;}<>]+)",
    re.IGNORECASE,
)
"""``token=...``, ``api_key: ...``, ``"password": "..."``, ``?access_token=...``: the value after it."""
_KEYED_LONG = re.compile(
    r"(?P<key>(?<![A-Za-z0-9])key[\"']?)(?P<sep>\s*[=:]\s*[\"']?)"
    r"(?P<value>[A-Fa-f0-9]{16,}|[A-Za-z0-9+/_-]{20,}={0,2})(?![A-Za-z0-9+/_=-])",
    re.IGNORECASE,
)
"""``key=`` (or ``signing_key=`` ...) followed by a long hex or base64 value: a key, not a sort key."""
_SHAPES = re.compile(
    r"(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id (no word boundary: lines printed by threads run together)
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWT
    r"|\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"  # GitHub tokens
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|\bsk-(?:ant-)?[A-Za-z0-9_-]{20,}"  # OpenAI / Anthropic keys
)


_WORDS = ("key", "token", "secret", "passw", "pwd", "auth", "cookie", "session", "sig", "credential",
          "splunk", "bearer", "basic", "digest")
_MARKS = ("@", "AKIA", "ASIA", "eyJ", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "sk-")
"""Every pattern above needs one of these words (any case) or marks: text with none of them (most
log lines and paths) is returned after a few substring scans instead of seven regex passes; the
target's log lines and every request path go through here."""


def _maybe_secret(text: str) -> bool:
    low = text.lower()
    return any(word in low for word in _WORDS) or any(mark in text for mark in _MARKS)


def is_secret_key(key: str) -> bool:
    """True for mapping keys whose values are credentials (``X-Api-Key``, ``hec_token`` ...)."""
    norm = key.strip().lower().replace("-", "_")
    return norm in _SECRET_KEYS or norm.endswith(_SECRET_SUFFIXES)


def redact_text(text: str) -> str:
    """Mask credentials inside free text: header lines, ``Bearer``/``Splunk``/``Basic`` credentials,
    URL user info, ``name=value`` pairs with a secret name, and secrets of a well-known shape."""
    if not _maybe_secret(text):
        return text
    text = _SCHEME_CREDENTIAL.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _SECRET_HEADER_LINE.sub(lambda m: f"{m.group('name')}{MASK}", text)  # keeps "Bearer ***"
    text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    text = _NAMED_VALUE.sub(_mask_value, text)
    text = _KEYED_LONG.sub(_mask_value, text)
    return _SHAPES.sub(MASK, text)


def _mask_value(match: re.Match[str]) -> str:
    return f"{match.group('key')}{match.group('sep')}{MASK}"


def redact(obj: Any) -> Any:
    """A copy of ``obj`` (JSON-like: mappings, lists, scalars) with every secret replaced by ``***``."""
    if isinstance(obj, Mapping):
        return {str(k): (MASK if is_secret_key(str(k)) and v is not None else redact(v)) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact(v) for v in obj]
    if isinstance(obj, str):
        return redact_text(obj)
    return obj
