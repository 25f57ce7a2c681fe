"""The run's own sanity checks on collected telemetry (no services needed)."""

from __future__ import annotations

import pytest

from kassi_app.errors import InfrastructureError
from kassi_app.workflow.session import _check_upstream_answered, _rejected_routes


def _route(requests: int, four: int = 0, errors: list[tuple[str, int]] | None = None) -> dict[str, object]:
    return {"requests": requests, "4xx": four,
            "top_errors": [{"error": e, "count": c} for e, c in (errors or [])]}


def test_routes_rejected_at_every_variant_are_reported() -> None:
    telemetry = {
        "base": {"/api/search": _route(100, 100), "/api/items": _route(100, 90)},
        "head": {"/api/search": _route(120, 119), "/api/items": _route(100, 10)},
    }
    (warning,) = _rejected_routes(telemetry)  # type: ignore[arg-type]
    assert warning.startswith("/api/search: 99 % of requests answered 4xx")


def test_an_unreachable_upstream_is_an_infrastructure_failure() -> None:
    refused = "upstream 127.0.0.1:9 refused the connection: [Errno 111] Connection refused"
    with pytest.raises(InfrastructureError, match="could not reach the head service"):
        _check_upstream_answered({"head": {"/x": _route(10, errors=[(refused, 9)])}})  # type: ignore[dict-item]
    _check_upstream_answered({"head": {"/x": _route(10, errors=[(refused, 3)])}})  # type: ignore[dict-item]
