"""A short real run through the real CLI (real worktrees, services, k6 and proxy) for what only a
whole A/B run shows: REGRESSION by 504s (a downstream timeout) stopped by the interim look after the
first round, and an INCONCLUSIVE run that extends its load once.

Each run is one round of short blocks (SHORT_LOAD): the faults are large, so one round suffices.
Every demo's class at full length (N+1 DEGRADING, the rate limit THROTTLED, ...) is `kassi bench
accuracy`; the suite keeps those classes' cheaper checks: the judge's rules on synthetic samples
(tests/judge) and the live runs of a lock convoy (DEGRADING) and a 429 limiter (THROTTLED) against
real services (test_live_verdicts.py).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from kassi_cli import SHORT_LOAD, Kassi

from kassi_app.demos import init_demo

pytestmark = pytest.mark.e2e


def flagged(record: dict[str, Any], cls: str) -> set[tuple[str, str]]:
    return {(r["method"], r["route"]) for r in record["verdict"]["routes"] if r["class"] == cls}


def ledger_actions(record: dict[str, Any]) -> list[str]:
    lines = Path(record["ledger"]["path"]).read_text().splitlines()
    return [json.loads(line)["action"] for line in lines if line.strip()]


@pytest.mark.parametrize(("demo", "code", "cls", "route", "cause"), [
    ("downstream-timeout", 1, "REGRESSION", ("GET", "/api/quote/{sku}"), "pricing timed out"),
])
def test_a_real_run_reaches_the_demos_verdict(kassi: Kassi, tmp_path: Path, demo: str, code: int, cls: str,
                                              route: tuple[str, str], cause: str | None) -> None:
    repo = init_demo(demo, tmp_path / "demo").path
    got, record, stderr = kassi.run_json("--repo", str(repo), *SHORT_LOAD)
    verdict = record["verdict"]
    assert verdict["class"] == cls, verdict["reason"]
    assert got == code, stderr
    assert route in flagged(record, cls)
    if cause is not None:
        assert cause in verdict["root_cause"]["summary"]
    if demo == "downstream-timeout":  # the 504 path: the proxy saw the gateway's 504s, only at head
        head, base = (record["telemetry"][v]["/api/quote/{sku}"] for v in ("head", "base"))
        assert head["5xx"] > 0 and base["5xx"] == 0
    got, record, stderr = kassi.run_json("--repo", str(repo), *SHORT_LOAD)
    assert record["ledger"]["sealed"] is True


def test_an_inconclusive_run_extends_its_load_once(kassi: Kassi, tmp_path: Path) -> None:
    # a head whose kassi.toml asks for more samples than any short run gives: INCONCLUSIVE after the
    # first load, so the autopilot takes extend_load (one extension by default), then concludes
    repo = init_demo("healthy-outside-endpoint", tmp_path / "demo").path
    spec = repo / "kassi.toml"
    spec.write_text(spec.read_text() + "\n[judge]\nmin_samples = 1000000\n")
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam",
                    "judge: demand more samples"], check=True, timeout=30)
    got, record, stderr = kassi.run_json("--repo", str(repo), "--base", "base", "--head", "HEAD", *SHORT_LOAD)
    assert record["verdict"]["class"] == "INCONCLUSIVE", record["verdict"]["reason"]
    assert "too few" in record["verdict"]["reason"]
    actions = ledger_actions(record)
    assert actions.count("extend_load") == 1, actions
    assert actions.index("drive_load") < actions.index("extend_load") < actions.index("conclude")
    blocks = record["load"]["base"]["blocks"] + record["load"]["head"]["blocks"]
    assert len(blocks) == 4  # one round (a base and a head block) at first, one more extending it
    assert got == 3, stderr
