"""The two telemetry benchmarks: the proxy's added latency under k6 load, and store ingest speed."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kassi_app.errors import InfrastructureError
from kassi_app.events import AccessEvent
from kassi_app.load.runner import run_k6
from kassi_app.target.process import free_port
from kassi_app.telemetry.proxy import AccessLogProxy
from kassi_app.telemetry.queries import RouteStatsQuery
from kassi_app.telemetry.store import SQLiteStore

TARGETS = ("direct", "proxied")
_SCRIPT = """import http from 'k6/http';
export const options = %s;
export function direct() { http.get(__ENV.DIRECT_URL + '/hello'); }
export function proxied() { http.get(__ENV.PROXY_URL + '/hello'); }
"""


@dataclass(frozen=True)
class Side:
    requests: int
    failed: int
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class ProxyBench:
    rate: int
    seconds_each: float
    direct: Side
    proxied: Side
    events: int

    @property
    def added_p50_ms(self) -> float:
        return self.proxied.p50_ms - self.direct.p50_ms

    @property
    def added_p95_ms(self) -> float:
        return self.proxied.p95_ms - self.direct.p95_ms

    @property
    def throughput_ratio(self) -> float:
        """Proxied over direct completed requests (both sides ran for the same time)."""
        return self.proxied.requests / self.direct.requests if self.direct.requests else 0.0


def k6_options(rate: int, blocks: int, block_s: int) -> dict[str, Any]:
    """Alternating direct/proxied constant-arrival-rate blocks, ABBA-ordered so drift cancels."""
    scenarios: dict[str, Any] = {}
    for i in range(blocks):
        order = TARGETS if i % 2 == 0 else TARGETS[::-1]
        for j, target in enumerate(order):
            scenarios[f"{target}_{i}"] = {
                "executor": "constant-arrival-rate",
                "rate": rate,
                "timeUnit": "1s",
                "duration": f"{block_s}s",
                "preAllocatedVUs": 20,
                "maxVUs": 200,
                "startTime": f"{(2 * i + j) * block_s}s",
                "exec": target,
                "tags": {"target": target},
            }
    thresholds = {
        f"{metric}{{target:{t}}}": [check]
        for t in TARGETS
        for metric, check in (
            ("http_req_duration", "max>=0"),
            ("http_reqs", "count>=0"),
            ("http_req_failed", "rate>=0"),
        )
    }
    return {
        "discardResponseBodies": True,
        "summaryTrendStats": ["med", "p(95)", "p(99)", "avg", "count"],
        "scenarios": scenarios,
        "thresholds": thresholds,
    }


def _side(metrics: dict[str, Any], target: str) -> Side:
    duration = metrics[f"http_req_duration{{target:{target}}}"]
    return Side(
        requests=int(metrics[f"http_reqs{{target:{target}}}"]["count"]),
        failed=int(metrics[f"http_req_failed{{target:{target}}}"]["passes"]),
        p50_ms=float(duration["med"]),
        p95_ms=float(duration["p(95)"]),
    )


def _wait_listening(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise InfrastructureError(f"benchmark upstream did not listen on 127.0.0.1:{port} within {timeout:g}s")


@contextlib.contextmanager
def _hello_upstream() -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kassi_app.telemetry.hello", str(port)])
    try:
        _wait_listening(port, 15.0)
        yield port
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


def bench_proxy(rate: int = 500, blocks: int = 4, block_s: int = 5) -> ProxyBench:
    """The same k6 load direct and through the proxy (events into a real SQLite store)."""
    with tempfile.TemporaryDirectory(prefix="kassi-bench-") as tmp, _hello_upstream() as up_port:
        work = Path(tmp)
        store = SQLiteStore(work / "kassi.db")
        with AccessLogProxy("127.0.0.1", up_port, "bench", "live", ["/hello"], store.write_access) as proxy:
            script = work / "bench.js"
            script.write_text(_SCRIPT % json.dumps(k6_options(rate, blocks, block_s), indent=1))
            result = run_k6(
                script,
                env={
                    "DIRECT_URL": f"http://127.0.0.1:{up_port}",
                    "PROXY_URL": f"http://127.0.0.1:{proxy.port}",
                },
                workdir=work / "k6",
                timeout_s=2 * blocks * block_s + 60,
            )
        (stats,) = store.ask(RouteStatsQuery(run_id="bench")) or (None,)
        store.close()
    metrics = result.summary["metrics"]
    return ProxyBench(
        rate=rate,
        seconds_each=blocks * block_s,
        direct=_side(metrics, "direct"),
        proxied=_side(metrics, "proxied"),
        events=stats.count if stats else 0,
    )


@dataclass(frozen=True)
class IngestBench:
    events: int
    batch: int
    seconds: float
    stored: int
    """Events the store holds afterwards (read back): what the figure claims was ingested."""

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


def bench_ingest(events: int = 200_000, batch: int = 2000) -> IngestBench:
    """Access events per second through ``write_access`` into a fresh WAL SQLite file."""
    sample = [
        AccessEvent(
            1.7e9 + i / 1000,
            "ingest",
            "head",
            "GET",
            "/api/owners/{id}",
            f"/api/owners/{i % 997}",
            500 if i % 50 == 0 else 200,
            3.0 + (i % 17),
            512,
            "boom" if i % 50 == 0 else None,
            "high",
            i % 8,
        )
        for i in range(batch)
    ]
    with (
        tempfile.TemporaryDirectory(prefix="kassi-ingest-") as tmp,
        SQLiteStore(Path(tmp) / "kassi.db") as store,
    ):
        rounds = max(1, events // batch)
        started = time.perf_counter()
        for _ in range(rounds):
            store.write_access(sample)
        elapsed = time.perf_counter() - started
        (stats,) = store.ask(RouteStatsQuery(run_id="ingest")) or (None,)
    return IngestBench(events=rounds * batch, batch=batch, seconds=elapsed, stored=stats.count if stats else 0)
