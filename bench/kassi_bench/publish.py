"""Events per second from kassi's HEC publisher to the loopback HTTPS HEC stub.

The stub runs in the same process (Python's http.server, TLS, keep-alive), so it shares the CPU and
the GIL with the sender: the figure is a floor for kassi's side, not a measure of Splunk's HEC.
"""

from __future__ import annotations

import ssl
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kassi_app.events import AccessEvent
from kassi_app.publish.events import PublishEvent
from kassi_app.publish.hec import HecTransport
from kassi_app.publish.publisher import batches
from kassi_bench.hec_stub import HecStub, running_hec, self_signed_certificate, server_tls

TOKEN = "bench-token"


@dataclass(frozen=True)
class PublishBench:
    events: int
    batches: int
    seconds: float
    bytes_sent: int

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def access_events(count: int, run_id: str = "bench-run") -> list[PublishEvent]:
    """``count`` kassi:access events shaped as a real run's (route, status, error, request id)."""
    out = []
    for i in range(count):
        event = AccessEvent(1764392000.0 + i / 1000, run_id, "head" if i % 2 else "base", "POST", "/api/loans",
                            "/api/loans", 500 if i % 7 == 0 else 201, 12.5 + i % 50, 48,
                            "sqlite3.OperationalError: database is locked" if i % 7 == 0 else None, "high",
                            i // 1000, f"{i // 1000}-{i % 8}-k2x9q1-{i}")
        out.append(PublishEvent("kassi:access", run_id, i, event._time, {**event.to_dict(), "seq": i}))
    return out


def bench_publish(count: int) -> PublishBench:
    events = access_events(count)
    with tempfile.TemporaryDirectory(prefix="kassi-bench-publish-") as tmp:
        cert, key = self_signed_certificate(Path(tmp))
        with running_hec(HecStub(TOKEN), server_tls(cert, key)) as stub, HecTransport(
                stub.url, TOKEN, verify=ssl.create_default_context(cafile=str(cert))) as transport:
            sent = 0
            started = time.perf_counter()
            for batch in batches(events):
                transport.send(batch)
                sent += 1
            seconds = time.perf_counter() - started
            if len(stub.events) != count:
                raise RuntimeError(f"the stub got {len(stub.events)} of {count} events")
            size = sum(len(r.body) for r in stub.requests)
    return PublishBench(count, sent, seconds, size)
