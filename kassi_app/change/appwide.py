"""A change that touches no endpoint: app config, middleware, a helper every route uses.

Such a change can move every route, so every route is named; but spreading the load over all of
them (70 routes on a real service) leaves each with a handful of samples and a run where no route
can be judged. So the load concentrates on a few routes that are judged as the change's targets
(``app-wide``), and the rest stay background. Without traffic figures, the service's own order
(the OpenAPI spec's, else the source's) stands in for importance: authors list the main routes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kassi_app.endpoint import Endpoint

APP_WIDE_TARGETS = 4
"""Routes judged for an app-wide change. With the default load (60 % of requests on the targets,
~2 000 requests per variant) each gets ~300 per variant: enough for the judge's minimum of 50 and
for a detectable shift near the 5 % threshold on a route of a few ms."""


@dataclass(frozen=True)
class AppWideEndpoint:
    """A route judged for a change that touches no endpoint (a ``ChangedLike``)."""

    endpoint: Endpoint
    file: str
    change: str = "app-wide"

    def to_json(self) -> dict[str, str]:
        return {"method": self.endpoint.method, "route": self.endpoint.route, "change": self.change,
                "file": self.file}


def app_wide_targets(
    files: Sequence[str], known: Sequence[Endpoint], limit: int = APP_WIDE_TARGETS
) -> list[AppWideEndpoint]:
    """The first ``limit`` of ``known`` routes as the targets of a change to ``files``."""
    source = ", ".join(files) if files else "no file"
    return [AppWideEndpoint(e, source) for e in list(dict.fromkeys(known))[:limit]]
