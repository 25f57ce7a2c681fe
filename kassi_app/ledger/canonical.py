"""Canonical JSON: the one byte form every hash and HMAC in the ledger is computed over."""

from __future__ import annotations

import hashlib
import json
from typing import Any

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, ASCII only; values JSON cannot hold become ``str(value)``."""
    return _ENCODER.encode(obj)


def digest(obj: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``obj``."""
    return hashlib.sha256(canonical_json(obj).encode("ascii")).hexdigest()
