"""A small, bounded concurrent probe of a running demo: real requests built from its OpenAPI examples.

Used by the demo tests and ``kassi bench demos`` to check each fault shows (or each control does
not) without k6; the real load comes from kassi's k6 phase.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx2

from kassi_app.demos.openapi import Op
from kassi_app.endpoint import Endpoint


@dataclass(frozen=True)
class ProbeRequest:
    method: str
    path: str
    body: dict[str, Any] | None = None


def example_request(op: Op) -> ProbeRequest:
    """The concrete request an operation's examples describe (path params filled, the rest as query)."""
    path, query = op.path, []
    for name, value in op.params.items():
        if f"{{{name}}}" in path:
            path = path.replace(f"{{{name}}}", str(value))
        else:
            query.append(f"{name}={value}")
    return ProbeRequest(op.method, path + ("?" + "&".join(query) if query else ""), op.body)


def requests_for(ops: Iterable[Op], endpoints: Iterable[Endpoint]) -> list[ProbeRequest]:
    wanted = set(endpoints)
    return [example_request(op) for op in ops if Endpoint(op.method, op.path) in wanted]


@dataclass
class ProbeResult:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    error_bodies: list[str] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    def count(self, low: int, high: int) -> int:
        """How many answers had a status in ``[low, high)``."""
        return sum(n for status, n in self.statuses.items() if low <= status < high)


def probe(base_url: str, requests: Sequence[ProbeRequest], *, workers: int, total: int,
          deadline_s: float = 15.0, timeout_s: float = 5.0) -> ProbeResult:
    """Send ``total`` requests (round robin over ``requests``) from ``workers`` threads, within a deadline."""
    result = ProbeResult()
    lock = threading.Lock()
    sent = iter(range(total))
    stop_at = time.monotonic() + deadline_s

    def worker() -> None:
        with httpx2.Client(base_url=base_url, timeout=timeout_s, trust_env=False) as client:
            while time.monotonic() < stop_at:
                with lock:
                    index = next(sent, None)
                if index is None:
                    return
                req = requests[index % len(requests)]
                started = time.perf_counter()
                try:
                    answer = client.request(req.method, req.path, json=req.body)
                    status, text = answer.status_code, answer.text
                except httpx2.HTTPError as exc:
                    status, text = 0, f"{type(exc).__name__}: {exc}"
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    result.statuses[status] += 1
                    result.latencies_ms.append(elapsed)
                    if (status == 0 or status >= 400) and len(result.error_bodies) < 5:
                        result.error_bodies.append(text[:200])

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(worker) for _ in range(workers)]:
            future.result()
    return result


def probe_interleaved(base_urls: Sequence[str], request: ProbeRequest, rounds: int,
                      timeout_s: float = 5.0) -> list[ProbeResult]:
    """``request`` sent to each service in turn, ``rounds`` times, one at a time: whatever else the
    machine does then slows every service alike, which back-to-back batches cannot promise."""
    results = [ProbeResult() for _ in base_urls]
    clients = [httpx2.Client(base_url=url, timeout=timeout_s, trust_env=False) for url in base_urls]
    try:
        for _ in range(rounds):
            for client, result in zip(clients, results, strict=True):
                started = time.perf_counter()
                try:
                    status = client.request(request.method, request.path, json=request.body).status_code
                except httpx2.HTTPError:
                    status = 0
                result.statuses[status] += 1
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
    finally:
        for client in clients:
            client.close()
    return results
