"""The run's own sanity checks on collected telemetry (no services needed)."""

from __future__ import annotations

import pytest

from kassi_app.errors import InfrastructureError
from kassi_app.telemetry.queries import RouteStats
from kassi_app.workflow.actions import check_upstream_answered, rejected_routes
from kassi_app.workflow.evidence import RouteTelemetry


def _route(requests: int, four: int = 0, errors: list[tuple[str, int]] | None = None) -> RouteTelemetry:
    stats = RouteStats("head", "/x", requests, requests - four, four, 0, 0, 1.0, 2.0, 3.0)
    return RouteTelemetry(stats, tuple(errors or ()))


def test_routes_rejected_at_every_variant_are_reported() -> None:
    telemetry = {
        "base": {"/api/search": _route(100, 100), "/api/items": _route(100, 90)},
        "head": {"/api/search": _route(120, 119), "/api/items": _route(100, 10)},
    }
    (warning,) = rejected_routes(telemetry)
    assert warning.startswith("/api/search: 99 % of requests answered 4xx")


def test_an_unreachable_upstream_is_an_infrastructure_failure() -> None:
    refused = "upstream 127.0.0.1:9 refused the connection: [Errno 111] Connection refused"
    with pytest.raises(InfrastructureError, match="could not reach the head service"):
        check_upstream_answered({"head": {"/x": _route(10, errors=[(refused, 9)])}})
    check_upstream_answered({"head": {"/x": _route(10, errors=[(refused, 3)])}})
