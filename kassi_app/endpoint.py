"""An HTTP endpoint as every part of kassi names it: a method and a route template."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Endpoint:
    """``method`` is upper case (``GET``); ``route`` is a template such as ``/api/owners/{id}``."""

    method: str
    route: str

    def __str__(self) -> str:
        return f"{self.method} {self.route}"

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        """Parse ``"GET /api/x"``; raises ValueError on anything else."""
        parts = text.split()
        if len(parts) != 2 or not parts[1].startswith("/"):
            raise ValueError(f"not an endpoint (want 'METHOD /route'): {text!r}")
        return cls(parts[0].upper(), parts[1])
