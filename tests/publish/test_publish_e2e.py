"""One real demo run (real git repo, real services, real k6, kassi's proxy) published to the loopback
HEC stub by `kassi demo run --publish`: the run, its walk, and both sides of every request arrive,
joined by X-Kassi-Request-Id. Prints the join's gap per route (a figure for the report)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from kassi_bench.hec_stub import HecStub
from publish_support import kassi

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def test_a_real_demo_run_reaches_the_hec_with_its_walk_and_both_sides_of_every_request(
        hec: HecStub, certificate: tuple[Path, Path], tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = kassi("demo", "run", "sqlite-write-lock", "--json", "--publish", "--hec-url", hec.url,
                 "--ca-file", str(certificate[0]), home=home, timeout=800)
    assert done.returncode in (0, 1, 3), done.stderr
    record = json.loads(done.stdout)
    run_id = record["run_id"]
    assert f"run {run_id}: published" in done.stderr, done.stderr
    assert not (home / "runs" / run_id / "unpublished.json").exists()

    kinds = Counter(e["sourcetype"] for e in hec.events)
    assert kinds["kassi:run"] == 1 and kinds["kassi:phase"] == record["ledger"]["entries"]
    with sqlite3.connect(home / "kassi.db") as db:
        stored = db.execute("SELECT count(*), count(DISTINCT request_id), count(request_id) FROM access_events "
                            "WHERE run_id = ?", (run_id,)).fetchone()
    assert kinds["kassi:access"] == stored[0] > 0
    assert stored[1] == stored[2] == stored[0], "every proxied request carries its own X-Kassi-Request-Id"

    server_ids = {e["request_id"] for e in hec.of("kassi:access")}
    client = hec.of("kassi:client")
    assert client and all(e["request_id"] for e in client), "k6 wrote every request's id with its point"
    reached = [e for e in client if e["status"] != 0]  # status 0: k6 got no answer (never proxied)
    assert {e["request_id"] for e in reached} <= server_ids
    joined = [e for e in client if e["request_id"] in server_ids]
    gaps = record["client_server"]
    assert sum(f["pairs"] for routes in gaps.values() for f in routes.values()) == len(joined) >= len(reached)
    run = hec.of("kassi:run")[0]
    assert run["run_id"] == run_id and run["ledger_verified"] is True and run["ledger_sealed"] is True
    assert run["verdict"] == record["verdict"]["class"]

    print(f"\nclient/server gap of demo run {run_id} (ms; gap = client - server, per request):")
    for variant, routes in sorted(gaps.items()):
        for endpoint, f in sorted(routes.items()):
            print(f"  {variant:5} {endpoint:38} pairs={f['pairs']:5} client p50={f['client_p50_ms']:7.2f} "
                  f"p95={f['client_p95_ms']:7.2f}  server p50={f['server_p50_ms']:7.2f} p95={f['server_p95_ms']:7.2f}"
                  f"  gap p50={f['gap_p50_ms']:6.2f} p95={f['gap_p95_ms']:6.2f}")
