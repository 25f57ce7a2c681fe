"""Bounded retries with exponential backoff for one delivery.

Hand-written rather than a retry library: the policy is ten lines, kassi has no retry dependency,
and the transports need exactly one behaviour (retry what the server or the network says is
transient, honour ``Retry-After``, give up after a fixed number of attempts with the last reason).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kassi_app.errors import InfrastructureError


class PublishError(InfrastructureError):
    """A run could not be delivered; the run stays marked unpublished (exit 3)."""


class TransientFailure(Exception):
    """A delivery failed in a way that may pass (HTTP 429 or 5xx, a dropped connection): retry."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; the waits double from ``first_delay_s`` up to ``max_delay_s``."""

    attempts: int = 6
    first_delay_s: float = 0.5
    max_delay_s: float = 8.0

    def delay(self, attempt: int, retry_after_s: float | None) -> float:
        """The wait after failed attempt ``attempt`` (0-based); a server's Retry-After wins, bounded."""
        wanted = retry_after_s if retry_after_s is not None else self.first_delay_s * 2**attempt
        return max(0.0, min(wanted, self.max_delay_s))


def with_retries(send: Callable[[], None], policy: RetryPolicy, what: str,
                 sleep: Callable[[float], None] = time.sleep) -> int:
    """Call ``send`` until it succeeds; a ``TransientFailure`` is retried, anything else is raised.
    Returns the attempts it took; raises ``PublishError`` with the last reason when all failed."""
    last: TransientFailure | None = None
    for attempt in range(max(policy.attempts, 1)):
        try:
            send()
            return attempt + 1
        except TransientFailure as exc:
            last = exc
            if attempt + 1 < policy.attempts:
                sleep(policy.delay(attempt, exc.retry_after_s))
    raise PublishError(f"{what}: gave up after {policy.attempts} attempts: {last}")
