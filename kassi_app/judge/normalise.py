"""Error text normalised so that ids, numbers, hex, quoted values and paths do not split one cause."""

from __future__ import annotations

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


def normalise(text: str) -> str:
    """``"no such row id=42 in '/tmp/a/b.db'"`` -> ``"no such row id=<n> in '<v>'"``."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text.strip()[:_MAX_LEN]
