"""Synthetic telemetry with known answers, shaped like kassi's load: interleaved A/B blocks, a low and
a high concurrency stage per block, and chosen faults at head. The judge's tests and its benchmark
(``kassi bench judge``) measure the statistics on it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kassi_app.events import AccessEvent, Variant

BLOCK_S = 8.0
LOW_FRACTION = 3.0 / 8.0


@dataclass(frozen=True)
class RouteSpec:
    """How one route behaves at each variant. ``*_at_head`` are the faults the head brings;
    ``slow_tail`` is a share of requests 3-10x slower at both variants (a bimodal, noisy tail)."""

    method: str = "GET"
    route: str = "/api/items"
    n: int = 1000
    median_ms: float = 5.0
    sigma: float = 0.25
    shift_at_head: float = 1.0
    errors_at_head: float = 0.0
    errors_at_base: float = 0.0
    throttled_at_head: float = 0.0
    high_factor_at_head: float = 1.0
    growth_ms_per_s_at_head: float = 0.0
    error_text: str = "Internal Server Error"
    slow_tail: float = 0.0
    high_factor: float = 1.0
    """Latency factor at the high stage at *both* variants: a saturated machine, not a fault."""
    high_rate_at_head: float = 1.0
    """Share of the high stage's requests head serves: below 1, throughput falls as users rise
    (retrograde scaling); 1 keeps it flat, as on a saturated but healthy server."""


def ab_events(specs: list[RouteSpec], seed: int = 0, blocks: int = 2) -> list[AccessEvent]:
    """Blocks in the order a run drives them, ABBA (base, head, head, base, ...: the session's
    ``_round_order``); each block a low then a high stage."""
    rng = np.random.default_rng(seed)
    events: list[AccessEvent] = []
    for block in range(2 * blocks):
        variant: Variant = "base" if (block % 2 == 0) == ((block // 2) % 2 == 0) else "head"
        start = 1000.0 + block * BLOCK_S
        for spec in specs:
            events += _block(spec, variant, block, start, spec.n // blocks, rng)
    return sorted(events, key=lambda e: e._time)


def live_events(spec: RouteSpec, seed: int = 0, blocks: int = 2) -> list[AccessEvent]:
    """The head behaviour of ``spec`` as a live service (variant ``live``), in blocks as a live run
    loads it (one block per round, each a low then a high stage)."""
    rng = np.random.default_rng(seed)
    events: list[AccessEvent] = []
    for block in range(blocks):
        for event in _block(spec, "head", block, 1000.0 + block * BLOCK_S, spec.n // blocks, rng):
            events.append(AccessEvent(**{**event.to_dict(), "variant": "live"}))
    return events


def _block(
    spec: RouteSpec, variant: Variant, block: int, start: float, count: int, rng: np.random.Generator
) -> list[AccessEvent]:
    head = variant == "head"
    times = start + np.sort(rng.uniform(0.0, BLOCK_S, count))
    latency = spec.median_ms * np.exp(rng.normal(0.0, spec.sigma, count))
    latency = np.where(rng.uniform(size=count) < spec.slow_tail, latency * rng.uniform(3.0, 10.0, count), latency)
    high = times - start >= LOW_FRACTION * BLOCK_S
    latency = np.where(high, latency * spec.high_factor, latency)
    if head:
        latency = latency * spec.shift_at_head
        latency = np.where(high, latency * spec.high_factor_at_head, latency)
        latency = latency + spec.growth_ms_per_s_at_head * (times - 1000.0)
    if head and spec.high_rate_at_head < 1.0:
        keep = ~high | (rng.uniform(size=count) < spec.high_rate_at_head)
        times, latency, high, count = times[keep], latency[keep], high[keep], int(np.count_nonzero(keep))
    error_rate = spec.errors_at_head if head else spec.errors_at_base
    draw = rng.uniform(size=count)
    out = []
    for t, ms, is_high, u in zip(times, latency, high, draw, strict=True):
        status, error = 200, None
        if u < error_rate:
            status, error = 500, spec.error_text
        elif head and u < error_rate + spec.throttled_at_head:
            status, ms = 429, 0.3
        out.append(
            AccessEvent(
                _time=float(t),
                run_id="r1",
                variant=variant,
                http_method=spec.method,
                route=spec.route,
                uri_path=spec.route,
                status=status,
                duration_ms=float(ms),
                bytes_out=100,
                error=error,
                stage="high" if is_high else "low",
                block=block,
            )
        )
    return out
