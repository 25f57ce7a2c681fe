"""The two telemetry records kassi collects (ARCHITECTURE.md, data contracts).

Field names follow the CIM Web data model where it has one, so the same events index into Splunk
unchanged (sourcetypes ``kassi:access`` and ``kassi:log``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Variant = Literal["base", "head", "fix", "live"]
Stage = Literal["low", "high", ""]


@dataclass(frozen=True)
class AccessEvent:
    """One proxied request. ``_time`` is the request start (epoch seconds, float).

    ``stage`` and ``block`` come from the ``X-Kassi-Stage`` / ``X-Kassi-Block`` request headers
    that kassi's k6 scripts send, so the judge can compare low and high concurrency and the
    interleaved A/B blocks; they are empty / -1 for traffic that did not come from kassi's load.
    ``request_id`` is the ``X-Kassi-Request-Id`` header (None without it): the key that joins this
    server-side view of a request to k6's client-side view (``ClientEvent``).
    """

    _time: float
    run_id: str
    variant: Variant
    http_method: str
    route: str
    uri_path: str
    status: int
    duration_ms: float
    bytes_out: int
    error: str | None = None
    stage: Stage = ""
    block: int = -1
    request_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClientEvent:
    """One request as k6 saw it (its ``http_req_duration`` point): the client side of the join.

    ``_time`` is k6's sample time (epoch seconds); ``request_id`` is the ``X-Kassi-Request-Id`` the
    script sent, None for a script that sent none.
    """

    _time: float
    run_id: str
    variant: Variant
    request_id: str | None
    http_method: str
    route: str
    status: int
    duration_ms: float
    stage: Stage
    block: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StackFrame:
    file: str
    line: int
    function: str


@dataclass(frozen=True)
class ParsedException:
    """An exception read from the target's own output: ``type`` is e.g. ``sqlite3.OperationalError``."""

    type: str
    message: str
    frames: tuple[StackFrame, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class LogEvent:
    """One line (or one multi-line traceback) of the target's stdout/stderr."""

    _time: float
    run_id: str
    variant: Variant
    stream: Literal["stdout", "stderr"]
    level: str
    message: str
    exception: ParsedException | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
