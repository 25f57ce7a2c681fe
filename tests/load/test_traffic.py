"""Recorded traffic as the load: a combined access log and a HAR file read with their secrets dropped,
and a real k6 run that replays the recorded paths of the changed routes in the recorded mix."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from loadsvc import SPEC, Service

from kassi_app.endpoint import Endpoint
from kassi_app.errors import BadInput
from kassi_app.load import LoadPlan, LoadProfile, render_script, run_k6
from kassi_app.load.requests import SpecIndex, build_request
from kassi_app.load.traffic import read_traffic, replay_for

TINY = LoadProfile(low_vus=1, high_vus=2, low_duration_s=1, high_duration_s=1, graceful_stop_s=1)
OWNER = Endpoint("GET", "/api/owners/{ownerId}")
NEW_OWNER = Endpoint("POST", "/api/owners")

ACCESS_LOG = "\n".join([
    '10.0.0.5 - alice [29/Nov/2026:05:01:02 +0000] "GET /api/owners/7?include=pets&access_token=s3cr3t HTTP/1.1" '
    '200 512 "-" "Mozilla/5.0"',
    '10.0.0.5 - alice [29/Nov/2026:05:01:03 +0000] "GET /api/owners/7?include=pets HTTP/1.1" 200 512 "-" "curl"',
    '10.0.0.6 - - [29/Nov/2026:05:01:04 +0000] "GET /api/owners/9 HTTP/1.1" 200 300',
    '10.0.0.6 - - [29/Nov/2026:05:01:05 +0000] "GET /api/owners/9 HTTP/1.1" 200 300',
    '10.0.0.7 - - [29/Nov/2026:05:01:06 +0000] "POST /api/owners HTTP/1.1" 201 40 "-" "app"',
    '10.0.0.7 - - [29/Nov/2026:05:01:07 +0000] "GET /health HTTP/1.1" 200 2',
    'not a log line',
])


def _har(tmp_path: Path) -> Path:
    entry = {"request": {
        "method": "POST", "url": "https://shop.example.com/api/owners?api_key=k-123&ref=mail",
        "headers": [{"name": "Authorization", "value": "Bearer abc.def.ghi"}, {"name": "Cookie", "value": "sid=1"}],
        "cookies": [{"name": "sid", "value": "1"}],
        "postData": {"mimeType": "application/json; charset=utf-8",
                     "text": json.dumps({"firstName": "Ada", "email": "ada@example.com", "password": "hunter2",
                                         "address": {"city": "Tartu"}})},
    }}
    path = tmp_path / "session.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    return path


def test_access_log_is_read_with_query_secrets_dropped(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(ACCESS_LOG)
    replay = replay_for(read_traffic(log), [OWNER, NEW_OWNER])
    assert [r.target for r in replay[OWNER]] == [
        "/api/owners/7?include=pets", "/api/owners/7?include=pets", "/api/owners/9", "/api/owners/9"]
    assert [r.body for r in replay[NEW_OWNER]] == [None]  # an access log has no bodies
    built = build_request(SpecIndex(SPEC), NEW_OWNER, "changed", 1.0, recorded=replay[NEW_OWNER])
    assert built.replay[0].body == built.body  # ...so the body kassi builds for the route is sent


def test_har_keeps_no_header_cookie_token_or_password(tmp_path: Path) -> None:
    (recorded,) = read_traffic(_har(tmp_path))
    assert recorded.target == "/api/owners?ref=mail"
    assert recorded.content_type == "application/json" and recorded.dropped == ("password",)
    body = json.loads(str(recorded.body))
    assert body == {"firstName": "Ada", "email": "ada@example.com", "address": {"city": "Tartu"}}
    text = json.dumps(recorded.to_json())
    for secret in ("hunter2", "k-123", "abc.def.ghi", "sid", "Bearer"):
        assert secret not in text
    filled = recorded.filled(json.dumps({"password": "kassi-Passw0rd!", "firstName": "x"}), "application/json")
    assert json.loads(str(filled.body))["password"] == "kassi-Passw0rd!"  # kassi's value, never the recorded one
    assert json.loads(str(filled.body))["firstName"] == "Ada"


def test_unreadable_traffic_is_bad_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("nothing here\n")
    with pytest.raises(BadInput, match="holds no request"):
        read_traffic(empty)
    with pytest.raises(BadInput, match="cannot read"):
        read_traffic(tmp_path / "missing.har")


def test_k6_replays_the_recorded_paths_in_the_recorded_mix(tmp_path: Path, service: Service) -> None:
    log = tmp_path / "access.log"
    log.write_text(ACCESS_LOG)
    replay = replay_for(read_traffic(log), [OWNER, NEW_OWNER])
    script = tmp_path / "load.js"
    script.write_text(render_script(LoadPlan([OWNER, NEW_OWNER], [], TINY, SPEC, replay=replay)))
    run_k6(script, env={"BASE_URL": service.base_url, "KASSI_BLOCK": "0"}, workdir=tmp_path / "out", timeout_s=90)

    load = [s for s in service.recorder.snapshot() if "x-kassi-lookup" not in s.headers]
    owners = Counter(s.path for s in load if s.headers["x-kassi-route"] == OWNER.route)
    assert set(owners) == {"/api/owners/7?include=pets", "/api/owners/9"}  # the real values, nothing else
    posts = [s for s in load if s.method == "POST"]
    assert posts and all(json.loads(s.body)["address"]["city"] == "Tallinn" for s in posts)
    # 4 recorded lookups to 1 recorded create: the replay keeps that mix
    assert 2.5 < sum(owners.values()) / len(posts) < 6
    assert not any("authorization" in s.headers or "cookie" in s.headers or "token" in s.path for s in load)
