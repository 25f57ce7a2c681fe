"""Keep secrets out of the ledger: mask secret-named keys and credential-looking values."""

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
        "secret",
        "api_key",
        "apikey",
        "authorization",
        "session_key",
        "sessionkey",
        "private_key",
        "client_secret",
        "access_token",
        "refresh_token",
        "hec_token",
        "cookie",
        "seal_key",
    }
)
_SECRET_SUFFIXES = ("_token", "_password", "_secret", "_api_key", "_apikey", "_session_key")
_SCHEME_CREDENTIAL = re.compile(r"\b(Splunk|Bearer)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s:]+:[^/@\s]+@", re.IGNORECASE)


def is_secret_key(key: str) -> bool:
    """True for mapping keys whose values are credentials (``X-Api-Key``, ``hec_token`` ...)."""
    norm = key.strip().lower().replace("-", "_")
    return norm in _SECRET_KEYS or norm.endswith(_SECRET_SUFFIXES)


def redact_text(text: str) -> str:
    """Mask ``Splunk <token>``/``Bearer <token>`` and ``user:password@`` inside free text."""
    text = _SCHEME_CREDENTIAL.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)


def redact(obj: Any) -> Any:
    """A copy of ``obj`` (JSON-like: mappings, lists, scalars) with every secret replaced by ``***``."""
    if isinstance(obj, Mapping):
        return {str(k): (MASK if is_secret_key(str(k)) and v is not None else redact(v)) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact(v) for v in obj]
    if isinstance(obj, str):
        return redact_text(obj)
    return obj
