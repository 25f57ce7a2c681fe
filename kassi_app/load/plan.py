"""What load to send: the endpoints, the background mix next to them, and the two-stage profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kassi_app.change.shapes import RequestShape
from kassi_app.endpoint import Endpoint
from kassi_app.load.traffic import Recorded


@dataclass(frozen=True)
class LoadProfile:
    """A low-concurrency stage then a high-concurrency one, so contention faults show at ``high``.

    ``changed_share`` is the fraction of requests that go to the changed endpoints; the rest goes to
    the background mix (collateral damage). ``think_time_s`` 0 keeps the model closed: each VU
    sends its next request as soon as the previous one answers.
    """

    low_vus: int = 2
    high_vus: int = 16
    low_duration_s: float = 3.0
    high_duration_s: float = 5.0
    changed_share: float = 0.6
    think_time_s: float = 0.0
    graceful_stop_s: float = 2.0
    setup_timeout_s: float = 30.0
    request_timeout_s: float = 30.0
    thresholds: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.low_vus < 1 or self.high_vus < 1:
            raise ValueError("a stage needs at least one VU")
        if self.low_duration_s < 1 or self.high_duration_s < 1:
            raise ValueError("a stage lasts at least 1 s (k6's minimum for constant-vus)")
        if not 0.0 <= self.changed_share <= 1.0:
            raise ValueError("changed_share must be within [0, 1]")
        if self.think_time_s < 0 or self.graceful_stop_s < 0:
            raise ValueError("think time and graceful stop cannot be negative")


@dataclass(frozen=True)
class LoadPlan:
    """The changed endpoints, the service's other endpoints as background, and the spec (if any)."""

    endpoints: list[Endpoint]
    background: list[Endpoint] = field(default_factory=list)
    profile: LoadProfile = field(default_factory=LoadProfile)
    openapi: dict[str, Any] | None = None
    shapes: dict[Endpoint, RequestShape] = field(default_factory=dict)
    """Request shapes read from the handlers' code, for endpoints the spec does not describe."""
    replay: dict[Endpoint, list[Recorded]] = field(default_factory=dict)
    """Recorded requests to replay per changed endpoint (``--traffic``); their counts set the mix."""

    def __post_init__(self) -> None:
        if not self.endpoints and not self.background:
            raise ValueError("a load plan needs at least one endpoint")

    def weighted(self) -> list[tuple[Endpoint, str, float]]:
        """``(endpoint, group, weight)`` with weights summing to 1; a changed endpoint is never background.
        With recorded traffic, the changed endpoints share their part in the recorded proportions."""
        changed = list(dict.fromkeys(self.endpoints))
        background = [e for e in dict.fromkeys(self.background) if e not in set(changed)]
        share = self.profile.changed_share if changed and background else (1.0 if changed else 0.0)
        counts = [len(self.replay.get(e, ())) or 1 for e in changed]  # the recorded mix, else equal
        out = [(e, "changed", share * n / sum(counts)) for e, n in zip(changed, counts, strict=True)]
        out += [(e, "background", (1.0 - share) / len(background)) for e in background]
        return [item for item in out if item[2] > 0]
