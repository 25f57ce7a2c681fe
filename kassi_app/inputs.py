"""Small checks for values a user hands kassi (flags, kassi.toml, files), each failing as one line.

Kept as plain functions so every parser (the CLI, kassi.toml, the settings model) calls the same
check and says the same thing; each raises ``BadInput`` (exit 2) before anything starts.
"""

from __future__ import annotations

import math
from pathlib import Path

from kassi_app.errors import BadInput

MAX_INPUT_BYTES = 16 * 1024 * 1024
"""The largest spec or config file kassi reads: far above any real OpenAPI document, and small
enough that ``/dev/zero`` or a runaway file is refused instead of filling memory."""


def finite_number(value: object, name: str, *, positive: bool = False) -> float:
    """``value`` as a float when it is a finite real number (and > 0 when ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInput(f"{name}: must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise BadInput(f"{name}: must be a finite number, not {value!r}")
    if positive and number <= 0:
        raise BadInput(f"{name}: must be a positive number, not {value!r}")
    return number


def read_capped(path: Path, what: str, limit: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of ``path``, refusing more than ``limit`` bytes, a non-regular file's endless
    stream (``/dev/zero``) included, and text that is not UTF-8."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise BadInput(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise BadInput(f"{what} {path} is larger than {limit // (1024 * 1024)} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{what} {path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
