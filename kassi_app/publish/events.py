"""A finished run as the Splunk events the app's views and alerts read (docs/splunk-dashboards.md).

Built in one place from the run's own files and the telemetry store: ``run.json`` (the record), the
ledger (the agent's walk, verified here), the store's access and log events, and k6's per-request
points in the run folder. Every event has a stable key, run id + sourcetype + ``seq``, and the same
run always gives the same events with the same keys, so a run delivered twice is one run in Splunk.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kassi_app.errors import BadInput
from kassi_app.events import AccessEvent, ClientEvent
from kassi_app.ledger.chain import LEDGER_FILE, SEAL_FILE
from kassi_app.ledger.seal import seal_key
from kassi_app.ledger.verify import verify_ledger
from kassi_app.load.points import client_events
from kassi_app.telemetry.port import TelemetryStore
from kassi_app.telemetry.queries import AccessEventsQuery, LogEventsQuery
from kassi_app.workflow.runs import RUN_FILE

ORIGINS = {"splunk": "search", "search": "search", "watch": "watch"}
"""The first word of the run request's label (``splunk demo=x``, ``watch shop``) -> the ``origin``
field; every other label (cli, demo, bench) is ``cli``."""
_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class PublishEvent:
    """One event to send: its sourcetype, its stable key parts and its JSON body (``_time`` first)."""

    sourcetype: str
    run_id: str
    seq: int
    time: float
    body: Mapping[str, Any]

    @property
    def key(self) -> str:
        """run id + sourcetype + seq: the same for the same event however often it is sent."""
        return f"{self.run_id}/{self.sourcetype}/{self.seq}"

    def line(self) -> str:
        """The body as one compact JSON line (the form props.conf breaks and timestamps)."""
        return json.dumps(self.body, separators=(",", ":"), default=str, allow_nan=False)


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinity replaced by None, recursively: the judge reports NaN
    where a statistic is undefined (too few samples), and JSON for Splunk has no NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def read_record(run_dir: Path) -> dict[str, Any]:
    """The run record a finished run wrote; a folder without one is not a finished run."""
    try:
        record: dict[str, Any] = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{run_dir} has no {RUN_FILE}: not a finished kassi run") from None
    except (OSError, ValueError) as exc:
        raise BadInput(f"{run_dir / RUN_FILE} is unreadable: {exc}") from None
    return record


def run_events(run_dir: Path, store: TelemetryStore) -> list[PublishEvent]:
    """Every event of the run in ``run_dir``: the walk, the requests (server and client side), the
    target's log, and last the ``kassi:run`` summary, so a run shows in the overview only once its
    details were delivered before it."""
    record = read_record(run_dir)
    run_id = str(record["run_id"])
    ledger = _ledger_entries(run_dir)
    access = sorted(store.ask(AccessEventsQuery(run_id=run_id)), key=_access_order)
    client = sorted(client_events(run_dir, run_id), key=_client_order)
    logs = store.ask(LogEventsQuery(run_id=run_id))
    return [
        *(_phase_event(entry) for entry in ledger),
        *_numbered("kassi:access", run_id, (e.to_dict() for e in access)),
        *_numbered("kassi:client", run_id, (e.to_dict() for e in client)),
        *_numbered("kassi:log", run_id, (e.to_dict() for e in logs)),
        _run_event(run_dir, record, ledger),
    ]


def _numbered(sourcetype: str, run_id: str, bodies: Iterator[dict[str, Any]]) -> Iterator[PublishEvent]:
    for seq, body in enumerate(bodies):
        yield PublishEvent(sourcetype, run_id, seq, float(body["_time"]), {**body, "seq": seq})


def _access_order(e: AccessEvent) -> tuple[Any, ...]:
    """A total order (the store's own order leaves ties of ``_time`` open), so ``seq`` is stable."""
    return (e._time, e.request_id or "", e.variant, e.route, e.uri_path, e.duration_ms)


def _client_order(e: ClientEvent) -> tuple[Any, ...]:
    return (e._time, e.request_id or "", e.block, e.route, e.duration_ms)


def _ledger_entries(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / LEDGER_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _phase_event(entry: Mapping[str, Any]) -> PublishEvent:
    outcome = entry.get("outcome") or {}
    body = {
        "_time": entry["time"], "run_id": entry["run_id"], "seq": entry["seq"], "kind": entry["kind"],
        "phase": entry["action"], "card": entry["card"], "status": outcome.get("status"),
        "duration_s": outcome.get("duration_s"), "detail": outcome.get("error") or outcome.get("reason") or "",
        "legal": outcome.get("legal"), "hash": entry["hash"],
    }
    return PublishEvent("kassi:phase", str(entry["run_id"]), int(entry["seq"]), float(entry["time"]), finite(body))


def _run_event(run_dir: Path, record: Mapping[str, Any], ledger: Sequence[Mapping[str, Any]]) -> PublishEvent:
    """kassi:run: the record's summary in the field names the views and alerts read. The ledger is
    verified (chain and seal) here, just before sending, and the result travels with the event."""
    run_id = str(record["run_id"])
    request = record.get("request") or {}
    verdict = record.get("verdict") or {}
    cause = verdict.get("root_cause") or {}
    refs = request.get("refs") or {}
    base, head = request.get("base"), request.get("head")
    routes = verdict.get("routes") or []
    deciding = next((r for r in routes if r.get("class") == verdict.get("class")), None)
    problems = verify_ledger(run_dir / LEDGER_FILE, seal_key(create=False), run_id)
    ended = float(ledger[-1]["time"]) if ledger else (run_dir / RUN_FILE).stat().st_mtime
    body = {
        "_time": ended,
        "run_id": run_id,
        "origin": ORIGINS.get((str(request.get("label") or "").split() or [""])[0], "cli"),
        "mode": record.get("mode"),
        "repo": request.get("repo") or request.get("url"),
        "base": refs.get(base, base),
        "commit": refs.get(head, head),
        "change": f"{_short(base)}..{_short(head)}" if base and head and request.get("repo") else request.get("url"),
        "verdict": verdict.get("class") or "INCONCLUSIVE",
        "reason": verdict.get("reason") or record.get("failure"),
        "route": f"{deciding['method']} {deciding['route']}" if deciding else None,
        "root_cause": cause.get("summary"),
        "root_cause_kind": cause.get("kind"),
        "root_cause_location": cause.get("location"),
        "failure": record.get("failure"),
        "wall_s": round(sum((record.get("timings_s") or {}).values()), 3),
        "routes": [_route(r, record) for r in routes],
        "telemetry": _p95s(record),
        "evidence": verdict.get("evidence") or [],
        "remedy": _remedy(record.get("remedy")),
        "ledger_head": ledger[-1]["hash"] if ledger else None,
        "ledger_entries": len(ledger),
        "ledger_sealed": (run_dir / SEAL_FILE).exists(),
        "ledger_verified": not problems,
        "ledger_problem": "; ".join(p.message for p in problems) or None,
        "seq": 0,
    }
    return PublishEvent("kassi:run", run_id, 0, ended, finite(body))


def _short(ref: str) -> str:
    return ref[:12] if _SHA.fullmatch(ref) else ref


def _route(route: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """One judged route; its gap is the one measured at the variant under test (head, or live)."""
    effects = route.get("effects") or {}
    endpoint = f"{route.get('method')} {route.get('route')}"
    gaps = record.get("client_server") or {}
    tested = gaps.get("head") or gaps.get("live") or {}
    return {
        "method": route.get("method"), "route": route.get("route"), "class": route.get("class"),
        "reason": route.get("reason"), "change": route.get("change"), "collateral": route.get("collateral"),
        "p95_base_ms": effects.get("p95_base_ms"), "p95_head_ms": effects.get("p95_head_ms"),
        "gap_p95_ms": (tested.get(endpoint) or {}).get("gap_p95_ms"),
    }


def _p95s(record: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """variant -> route -> {p95_ms}: the server-side p95 of each route, which a later live run reads
    as its history (``telemetry.history.RouteP95HistoryQuery``, the same keys as the run record)."""
    telemetry = record.get("telemetry") or {}
    return {
        variant: {route: {"p95_ms": stats["p95_ms"]} for route, stats in routes.items()
                  if isinstance(stats, Mapping) and isinstance(stats.get("p95_ms"), (int, float))}
        for variant, routes in telemetry.items() if isinstance(routes, Mapping)
    }


def _remedy(remedy: Any) -> dict[str, Any] | None:
    if not isinstance(remedy, Mapping) or not remedy.get("diff"):
        return None
    after = remedy.get("verified")
    return {"diff": remedy["diff"], "verified": isinstance(after, Mapping),
            "verdict_after": after.get("class") if isinstance(after, Mapping) else None}
