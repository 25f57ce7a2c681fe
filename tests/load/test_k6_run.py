"""The real k6 binary against a real loopback service: validation, runs, segments, failures."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from loadsvc import SPEC, Service

from kassi_app.endpoint import Endpoint
from kassi_app.errors import InfrastructureError
from kassi_app.load import LoadPlan, LoadProfile, render_script, run_k6, run_segmented, validate_script
from kassi_app.load.points import iter_points
from kassi_app.load.runner import K6Process, Segment, resolve_k6, run_processes

CHANGED = [Endpoint("POST", "/api/owners"), Endpoint("GET", "/api/owners/{id}")]
BACKGROUND = [Endpoint("GET", "/api/owners/{ownerId}/pets/{petId}"), Endpoint("GET", "/api/vets")]
TINY = LoadProfile(low_vus=1, high_vus=2, low_duration_s=1, high_duration_s=1, graceful_stop_s=1)


def _script(tmp_path: Path, profile: LoadProfile = TINY) -> Path:
    path = tmp_path / "load.js"
    path.write_text(render_script(LoadPlan(CHANGED, BACKGROUND, profile, SPEC)))
    return path


def _gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_script_validates_runs_and_hits_every_endpoint_as_planned(tmp_path: Path, service: Service) -> None:
    script = _script(tmp_path)
    requirements = validate_script(script)
    assert requirements.scenarios == ("high", "low")
    assert requirements.max_vus == 3 and requirements.total_duration_s == 3.0

    result = run_k6(script, env={"BASE_URL": service.base_url, "KASSI_BLOCK": "4"},
                    workdir=tmp_path / "out", timeout_s=requirements.run_timeout_s)

    seen = service.recorder.snapshot()
    assert result.exit_code == 0 and not result.thresholds_crossed
    assert result.requests == len(seen)  # k6's count is what the service received
    load = [s for s in seen if "x-kassi-lookup" not in s.headers]
    lookups = [s for s in seen if "x-kassi-lookup" in s.headers]
    collections = {"/api/owners", "/api/owners/7/pets", "/api/owners/9/pets"}
    assert collections <= {s.path for s in lookups}
    # every id the load uses was first checked to answer 2xx (the probes), as a lookup too
    assert {"/api/owners/7", "/api/owners/9"} <= {s.path for s in lookups}
    assert all("x-kassi-block" not in s.headers for s in lookups)  # a lookup is never a block's load
    assert all(s.headers["x-kassi-block"] == "4" for s in load)
    hits = Counter((s.headers["x-kassi-route"], s.headers["x-kassi-stage"]) for s in load)
    for endpoint in CHANGED + BACKGROUND:
        assert hits[(endpoint.route, "low")] > 0 and hits[(endpoint.route, "high")] > 0, endpoint
    changed_routes = {e.route for e in CHANGED}
    changed_share = sum(1 for s in load if s.headers["x-kassi-route"] in changed_routes) / len(load)
    assert 0.5 < changed_share < 0.7

    # path parameters are ids the service has (read from the collections), never the spec's fallback
    owner_paths = {s.path for s in load if s.headers["x-kassi-route"] == "/api/owners/{id}"}
    assert owner_paths == {"/api/owners/7", "/api/owners/9"}
    pet_paths = {s.path for s in load if s.headers["x-kassi-route"] == "/api/owners/{ownerId}/pets/{petId}"}
    assert pet_paths <= {"/api/owners/7/pets/70", "/api/owners/7/pets/71", "/api/owners/9/pets/90"}
    assert len(pet_paths) >= 2
    vets = {s.path for s in load if s.headers["x-kassi-route"] == "/api/vets"}
    # the required query parameter takes each value of its enum in turn
    assert vets == {"/api/vets?specialty=radiology", "/api/vets?specialty=surgery"}

    posts = [s for s in load if s.method == "POST"]
    bodies = [json.loads(s.body) for s in posts]
    assert all(s.headers["content-type"] == "application/json" for s in posts)
    assert all(set(b) >= {"firstName", "email", "address"} and "id" not in b for b in bodies)
    assert all(b["address"]["city"] == "Tallinn" and b["kind"] in ("person", "company") for b in bodies)
    assert len({b["email"] for b in bodies}) == len(bodies)  # unique per request, no 409 storms
    assert all("__KASSI" not in s.body for s in posts)

    metrics = result.summary["metrics"]
    assert {"p(50)", "p(95)", "p(99)"} <= set(metrics["http_req_duration"])
    checks = result.summary["root_group"]["checks"]
    assert checks["GET /api/owners/{id} status < 500"]["fails"] == 0
    durations = [p for p in iter_points(result.points_file, frozenset({"http_req_duration"}))]
    assert {p.tags["name"] for p in durations} >= {e.route for e in CHANGED + BACKGROUND}
    assert {p.tags.get("scenario") for p in durations} >= {"low", "high"}
    assert {p.tags["kassi_group"] for p in durations} == {"changed", "background", "lookup"}


def test_two_segments_split_the_same_load_and_merge(tmp_path: Path, service: Service) -> None:
    profile = LoadProfile(low_vus=2, high_vus=4, low_duration_s=1, high_duration_s=1, graceful_stop_s=1,
                          thresholds={"http_req_duration": ["max<0"]})
    script = _script(tmp_path, profile)
    result = run_segmented(script, 2, env={"BASE_URL": service.base_url, "KASSI_BLOCK": "1"},
                           workdir=tmp_path / "out", timeout_s=validate_script(script).run_timeout_s)

    assert len(result.parts) == 2 and len(result.points_files) == 2
    assert [part.summary["metrics"]["vus_max"]["value"] for part in result.parts] == [3, 3]
    assert result.summary["metrics"]["vus_max"]["value"] == 6  # 2 low + 4 high, split in halves
    assert result.requests == sum(p.requests for p in result.parts) == len(service.recorder.snapshot())
    # a crossed threshold is a finding (exit 99), not a failure; the merge keeps it
    assert result.thresholds_crossed and all(p.exit_code == 99 for p in result.parts)
    assert result.summary["metrics"]["http_req_duration"]["thresholds"] == {"max<0": True}

    trend = result.summary["metrics"]["http_req_duration"]
    values = [p.value for f in result.points_files for p in iter_points(f, frozenset({"http_req_duration"}))]
    assert trend["count"] == len(values) == result.requests
    assert trend["p(95)"] == pytest.approx(float(np.percentile(values, 95)))
    assert trend["max"] == max(values)
    merged_checks = result.summary["root_group"]["checks"]
    for name, check in merged_checks.items():
        assert check["passes"] == sum(p.summary["root_group"]["checks"][name]["passes"] for p in result.parts)
    failed = result.summary["metrics"]["http_req_failed"]
    assert failed["passes"] + failed["fails"] == result.requests


def test_a_broken_script_is_rejected_with_k6s_message(tmp_path: Path) -> None:
    broken = tmp_path / "broken.js"
    broken.write_text("export default function( {\n")
    with pytest.raises(InfrastructureError, match=r"k6 rejected broken\.js: .*Unexpected"):
        validate_script(broken)


def test_a_script_that_throws_at_init_fails_clearly(tmp_path: Path) -> None:
    script = tmp_path / "throws.js"
    script.write_text("throw new Error('kaboom at init');\nexport default function () {}\n")
    with pytest.raises(InfrastructureError, match=r"exited with 107 .*kaboom at init"):
        run_k6(script, env={}, workdir=tmp_path / "out", timeout_s=30)


def test_missing_or_unstartable_k6_is_a_clear_error(tmp_path: Path) -> None:
    script = _script(tmp_path)
    with pytest.raises(InfrastructureError, match="does not exist"):
        run_k6(script, env={}, workdir=tmp_path, timeout_s=5, k6=tmp_path / "no-such-k6")
    bogus = tmp_path / "k6"
    bogus.write_bytes(b"\x00\x01 not a program")
    bogus.chmod(0o755)
    with pytest.raises(InfrastructureError, match="cannot start k6"):
        validate_script(script, k6=bogus)
    with pytest.raises(InfrastructureError, match="cannot start k6"):
        run_segmented(script, 2, env={}, workdir=tmp_path, timeout_s=5, k6=bogus)


def test_a_run_past_its_timeout_is_stopped_with_nothing_left(tmp_path: Path, service: Service) -> None:
    script = _script(tmp_path, LoadProfile(low_vus=1, high_vus=1, low_duration_s=60, high_duration_s=60))
    process = K6Process(resolve_k6(None), script, {"BASE_URL": service.base_url}, tmp_path / "out", None)
    started = time.monotonic()
    with pytest.raises(InfrastructureError, match=r"did not finish within 1\.5s and was stopped"):
        run_processes([process], timeout_s=1.5)
    assert time.monotonic() - started < 10
    assert process.poll() is not None and _gone(process.pid)


def test_one_segment_failing_stops_the_others(tmp_path: Path, service: Service) -> None:
    # Segment 0 is the real k6 with two minutes of load; segment 1 stands in for a k6 that crashes
    # (a panic), the way the e2e k6-crash test's wrapper does. The crash must end the run at once
    # and stop segment 0, not wait out its load.
    script = _script(tmp_path, LoadProfile(low_vus=1, high_vus=1, low_duration_s=60, high_duration_s=60))
    crashing = tmp_path / "k6-crashing"
    crashing.write_text('#!/bin/sh\necho "panic: segment exploded" >&2\nexit 2\n')
    crashing.chmod(0o755)
    env = {"BASE_URL": service.base_url}
    healthy = K6Process(resolve_k6(None), script, env, tmp_path / "out", Segment(0, 2))
    broken = K6Process(crashing, script, env, tmp_path / "out", Segment(1, 2))
    started = time.monotonic()
    with pytest.raises(InfrastructureError, match=r"k6-seg1of2 exited with 2: panic: segment exploded"):
        run_processes([healthy, broken], timeout_s=300)
    assert time.monotonic() - started < 60  # far short of the 120 s of load segment 0 had left
    assert healthy.poll() is not None and _gone(healthy.pid)
