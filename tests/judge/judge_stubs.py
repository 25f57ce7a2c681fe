"""Stand-ins for the change package's records: the judge needs only their attributes."""

from __future__ import annotations

from dataclasses import dataclass

from kassi_app.endpoint import Endpoint


@dataclass(frozen=True)
class Changed:
    """Stands in for the change package's ChangedEndpoint."""

    method: str
    route: str
    change: str = "modified"
    file: str = "app/main.py"

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.method, self.route)


@dataclass(frozen=True)
class Hunk:
    """Stands in for the change package's Hunk."""

    file: str
    start: int
    end: int
