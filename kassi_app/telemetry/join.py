"""The client/server join: each request as k6 saw it next to the same request as kassi's proxy saw it.

Both sides carry the request's ``X-Kassi-Request-Id`` (k6 in the point's metadata, the proxy in the
access event), so the join is exact: no matching by time or order. Per request the gap is client
time minus server time: the network, the proxy and any queueing in front of the service.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kassi_app.events import AccessEvent, ClientEvent

QUANTILES = (50, 95)


@dataclass(frozen=True)
class RequestPair:
    """One request seen from both ends. Method, route and variant are the proxy's (the server side)."""

    request_id: str
    variant: str
    endpoint: str
    client_ms: float
    server_ms: float

    @property
    def gap_ms(self) -> float:
        return self.client_ms - self.server_ms


def pair_requests(client: Iterable[ClientEvent], server: Iterable[AccessEvent]) -> list[RequestPair]:
    """Every request both sides recorded, in the client's order; requests without an id are left out."""
    by_id = {e.request_id: e for e in server if e.request_id}
    pairs = []
    for c in client:
        s = by_id.get(c.request_id) if c.request_id else None
        if s is not None:
            pairs.append(RequestPair(c.request_id or "", s.variant, f"{s.http_method} {s.route}",
                                     c.duration_ms, s.duration_ms))
    return pairs


def gap_summary(pairs: Sequence[RequestPair]) -> dict[str, dict[str, dict[str, Any]]]:
    """variant -> endpoint (``METHOD /route``) -> client, server and gap at p50 and p95 (ms), and the
    number of pairs. The gap quantiles are quantiles of the per-request differences, as the run view's
    join computes them, not differences of quantiles."""
    groups: dict[tuple[str, str], list[RequestPair]] = {}
    for pair in pairs:
        groups.setdefault((pair.variant, pair.endpoint), []).append(pair)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (variant, endpoint), group in sorted(groups.items()):
        sides = {"client": np.array([p.client_ms for p in group]), "server": np.array([p.server_ms for p in group])}
        sides["gap"] = sides["client"] - sides["server"]
        figures: dict[str, Any] = {
            f"{side}_p{q}_ms": round(float(np.percentile(values, q)), 3)
            for side, values in sides.items() for q in QUANTILES
        }
        out.setdefault(variant, {})[endpoint] = {**figures, "pairs": len(group)}
    return out
