"""Error text normalised so that ids, numbers, hex, quoted values and paths do not split one cause."""

from __future__ import annotations

import json
import re

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"'[^']*'|\"[^\"]*\""), "'<v>'"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>"),
    (re.compile(r"\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I), "<hex>"),
    (re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-]+){2,}[\\/]?"), "<path>"),
    (re.compile(r"(?<![A-Za-z_\d<.])\d+(?:\.\d+)*"), "<n>"),
    (re.compile(r"\s+"), " "),
)
_MAX_LEN = 200


_MESSAGE_KEYS = ("detail", "message", "error", "title", "description")


def message_of(text: str) -> str:
    """The human message of a JSON error body (FastAPI ``{"detail": ...}``, RFC 7807 ``title``, ...),
    else the text itself: quoted-value masking must not erase the only words a JSON body has."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return text
    try:
        body = json.loads(stripped)
    except ValueError:  # a truncated excerpt: keep the raw text
        return text
    if isinstance(body, dict):
        for key in _MESSAGE_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return text


def normalise(text: str) -> str:
    """``"no such row id=42 in '/tmp/a/b.db'"`` -> ``"no such row id=<n> in '<v>'"``;
    ``'{"detail": "pricing timed out"}'`` -> ``"pricing timed out"``."""
    text = message_of(text)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text.strip()[:_MAX_LEN]
