"""Publishing a finished run to Splunk's HTTP Event Collector, against a loopback HTTPS stub with its
own self-signed certificate (kassi_bench.hec_stub; it stands in for HEC, shaped as Splunk documents
it): TLS verified, busy answers retried, the token kept to its header, stable keys, nothing lost."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from kassi_bench.hec_stub import HecStub
from publish_support import REQUESTS, TOKEN, FinishedRun, kassi
from spl_eval import SplEngine
from splunk_app import DEFAULT, ROOT, read_conf

from kassi_app.publish import PublishError, RetryPolicy, publish_run, unpublished_runs
from kassi_app.publish.hec import HecTransport, tls_verification
from kassi_app.publish.publisher import UNPUBLISHED_FILE
from kassi_app.target.process import free_port
from kassi_app.telemetry.history import RouteP95HistoryQuery
from kassi_app.telemetry.spl import read_history

FAST = RetryPolicy(attempts=4, first_delay_s=0.01, max_delay_s=0.05)
"""Real backoff, short waits: the retries happen, the test does not sleep for seconds."""


def transport(hec: HecStub, cert: Path | None, **kwargs: object) -> HecTransport:
    verify = tls_verification(cert, insecure=False)
    return HecTransport(hec.url, TOKEN, verify=verify, policy=FAST, **kwargs)  # type: ignore[arg-type]


def test_an_untrusted_certificate_is_refused_and_the_ca_file_makes_it_trusted(
        hec: HecStub, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    with transport(hec, None) as untrusted, pytest.raises(PublishError, match="TLS verification failed"):
        publish_run(finished_run.folder, untrusted)
    assert hec.requests == [], "nothing may be sent over a connection whose certificate did not verify"
    assert (finished_run.folder / UNPUBLISHED_FILE).exists()
    with transport(hec, certificate[0]) as trusted:
        report = publish_run(finished_run.folder, trusted)
    assert report.events == len(hec.events) == 3 + REQUESTS + REQUESTS + 1 + 1
    assert not (finished_run.folder / UNPUBLISHED_FILE).exists()


def test_busy_answers_are_retried_with_backoff_and_the_retries_are_bounded(
        hec: HecStub, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    hec.busy = 2
    with transport(hec, certificate[0]) as hec_transport:
        report = publish_run(finished_run.folder, hec_transport)
    assert len(hec.requests) == report.batches + 2 and hec_transport.attempts == report.batches + 2
    assert Counter(e["sourcetype"] for e in hec.events)["kassi:run"] == 1
    hec.busy, before = 1000, len(hec.requests)
    with transport(hec, certificate[0]) as hec_transport, pytest.raises(PublishError, match="gave up after 4"):
        publish_run(finished_run.folder, hec_transport)
    assert len(hec.requests) - before == FAST.attempts
    assert "Server is busy" in (finished_run.folder / UNPUBLISHED_FILE).read_text()


def test_the_token_is_in_nothing_the_hec_received_but_the_authorization_header(
        hec: HecStub, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    done = kassi("publish", finished_run.run_id, "--hec-url", hec.url, "--ca-file", str(certificate[0]),
                 "--index", "kassi", home=finished_run.home)
    assert done.returncode == 0, done.stderr
    assert hec.requests and hec.events
    for request in hec.requests:
        assert request.headers["Authorization"] == f"Splunk {TOKEN}"
        others = {k: v for k, v in request.headers.items() if k != "Authorization"}
        assert TOKEN not in f"{request.path}{others}{request.body.decode()}"
    assert TOKEN not in done.stdout + done.stderr
    for path in finished_run.home.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert {e["index"] for e in hec.events} == {"kassi"}


def test_a_wrong_token_is_refused_at_once_and_not_echoed(
        hec: HecStub, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    done = kassi("publish", finished_run.run_id, "--hec-url", hec.url, "--ca-file", str(certificate[0]),
                 home=finished_run.home, token="wrong-token-value")
    assert done.returncode == 3
    assert "Invalid token" in done.stderr and "wrong-token-value" not in done.stdout + done.stderr
    assert len(hec.requests) == 1, "a 403 is not retried"
    missing = kassi("publish", finished_run.run_id, "--hec-url", hec.url, home=finished_run.home, token=None)
    assert missing.returncode == 2 and "KASSI_HEC_TOKEN" in missing.stderr


def test_insecure_needs_saying_and_warns(hec: HecStub, finished_run: FinishedRun) -> None:
    done = kassi("publish", finished_run.run_id, "--hec-url", hec.url, "--insecure", home=finished_run.home)
    assert done.returncode == 0, done.stderr
    assert "NOT verified" in done.stderr


def test_every_access_event_carries_the_cim_web_fields(
        hec: HecStub, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    with transport(hec, certificate[0]) as hec_transport:
        publish_run(finished_run.folder, hec_transport)
    props = read_conf(DEFAULT / "props.conf")["kassi:access"]
    aliased = {source for key, value in props.items() if key.startswith("FIELDALIAS-")
               for source, _ in re.findall(r"(\S+) AS (\S+)", value)}
    access = hec.of("kassi:access")
    assert len(access) == REQUESTS
    for event in access:
        assert {"http_method", "uri_path", "status", "bytes_out", "variant"} | aliased <= set(event)
        assert isinstance(event["status"], int) and isinstance(event["duration_ms"], float)
        assert event["request_id"]


def documented_fields() -> dict[str, set[str]]:
    """sourcetype -> the fields docs/splunk-dashboards.md's "Events" table lists for it."""
    table: dict[str, set[str]] = {}
    for line in (ROOT / "docs" / "splunk-dashboards.md").read_text(encoding="utf-8").splitlines():
        cells = line.split(" | ")
        if line.startswith("| `kassi:") and len(cells) >= 3:
            named = re.sub(r"\([^()]*\)", "", cells[-1])  # "(`ok` | `failed`)" lists values, not fields
            table[cells[0].strip("| `")] = set(re.findall(r"`([a-z_]+)`", named)) | {"_time"}
    return table


def test_events_have_the_documented_fields_time_first_and_a_stable_key(
        hec: HecStub, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    with transport(hec, certificate[0]) as hec_transport:
        publish_run(finished_run.folder, hec_transport)
    documented = documented_fields()
    assert set(documented) >= {"kassi:run", "kassi:phase", "kassi:access", "kassi:client", "kassi:log"}
    assert {"ledger_verified", "base", "routes"} <= documented["kassi:run"]
    assert "request_id" in documented["kassi:client"]
    for envelope in hec.events:
        event = envelope["event"]
        assert next(iter(event)) == "_time" and envelope["time"] == pytest.approx(event["_time"])
        missing = documented[envelope["sourcetype"]] - set(event)
        assert not missing, (envelope["sourcetype"], missing)
        assert isinstance(event["seq"], int) and event["run_id"] == finished_run.run_id
    run = hec.of("kassi:run")[0]
    assert run["ledger_verified"] is True and run["ledger_entries"] == 3 and run["route"] == "POST /api/loans"
    assert run["routes"][0]["gap_p95_ms"] == 1.5 and run["origin"] == "cli"
    assert run["telemetry"] == {"base": {"/api/loans": {"p95_ms": 10.0}}, "head": {"/api/loans": {"p95_ms": 30.0}}}
    walk = hec.of("kassi:phase")
    assert [(p["seq"], p["kind"], p["status"]) for p in walk] == [
        (0, "step", "ok"), (1, "refusal", "refused"), (2, "step", "ok")]
    assert walk[1]["legal"] == ["judge"] and walk[1]["detail"] == "not legal now"
    assert hec.events[-1]["sourcetype"] == "kassi:run", "the run's summary goes last, after its details"


def test_publishing_a_run_twice_sends_the_same_stable_keys(
        hec: HecStub, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    with transport(hec, certificate[0]) as hec_transport:
        publish_run(finished_run.folder, hec_transport)
        first = len(hec.events)
        publish_run(finished_run.folder, hec_transport)

    def keyed(envelopes: list[dict[str, object]]) -> dict[tuple[object, ...], object]:
        out = {}
        for e in envelopes:
            body = e["event"]
            assert isinstance(body, dict)
            out[(body["run_id"], e["sourcetype"], body["seq"])] = body
        return out

    once, twice = keyed(hec.events[:first]), keyed(hec.events[first:])
    assert len(once) == first, "every event of one delivery has its own key"
    assert once == twice, "a second delivery repeats the same keys with the same bodies"


def test_an_unreachable_hec_keeps_the_run_unpublished_until_a_later_publish(
        hec: HecStub, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    closed = f"https://127.0.0.1:{free_port()}"
    with HecTransport(closed, TOKEN, verify=tls_verification(certificate[0], False), policy=FAST,
                      timeout_s=2) as down, pytest.raises(PublishError, match="cannot reach"):
        publish_run(finished_run.folder, down)
    assert unpublished_runs(finished_run.home) == [finished_run.folder]
    assert closed in (finished_run.folder / UNPUBLISHED_FILE).read_text()
    done = kassi("publish", "--unpublished", "--hec-url", hec.url, "--ca-file", str(certificate[0]),
                 home=finished_run.home)
    assert done.returncode == 0, done.stderr
    assert f"run {finished_run.run_id}: published" in done.stdout
    assert unpublished_runs(finished_run.home) == []
    assert len(hec.of("kassi:run")) == 1 and len(hec.of("kassi:access")) == REQUESTS


def test_run_publish_checks_the_hec_options_before_any_load(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = kassi("run", "--repo", str(tmp_path), "--publish", "--hec-url", "https://127.0.0.1:9", home=home,
                 token=None)
    assert done.returncode == 2 and "KASSI_HEC_TOKEN" in done.stderr
    both = kassi("demo", "run", "sqlite-write-lock", "--publish", "--hec-url", "https://127.0.0.1:9",
                 "--ca-file", str(tmp_path / "ca.pem"), "--insecure", home=home)
    assert both.returncode == 2 and "not both" in both.stderr
    assert not (home / "runs").exists() or not any((home / "runs").iterdir()), "no run was started"


def test_the_published_run_is_what_a_later_run_reads_as_its_history(
        hec: HecStub, certificate: tuple[Path, Path], finished_run: FinishedRun) -> None:
    """The kassi:run event as published, indexed and searched with the SPL of a route's p95 history
    (telemetry.history): the same keys on both sides. spl_eval stands in for Splunk's search."""
    with transport(hec, certificate[0]) as hec_transport:
        publish_run(finished_run.folder, hec_transport)
    run = hec.of("kassi:run")[0]
    indexed = {"_time": run["_time"], "index": "kassi", "sourcetype": "kassi:run", "_raw": json.dumps(run),
               "run_id": run["run_id"]}  # KV_MODE = json extracts the top-level keys at search time
    engine = SplEngine([indexed])
    for target, found in (("/src/shop", [30.0]), ("/src/other", [])):
        query = RouteP95HistoryQuery("/api/loans", variant="head", target=target)
        points = read_history(engine.run(query.to_spl(), "-90d", "now"))
        assert [(p.run_id, p.p95_ms) for p in points] == [(finished_run.run_id, p95) for p95 in found]
