"""Secrets stay out of everything a run writes: two real runs (A/B with a target that logs and
answers tokens, live with a password in the URL), then every file under the kassi home (run.json,
analysis.md, the ledger, state.sqlite, the k6 script and k6 output, kassi.db and its WAL) is
searched for the secrets, byte for byte."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from gitrepo import git_repo
from kassi_cli import SHORT_LOAD, Kassi

from kassi_app.redact import redact_text

pytestmark = pytest.mark.e2e

BEARER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA"
API_KEY = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
PASSWORD = "hunter2-Zq8rT4"
COOKIE = "sessionid-7b1e4c2a9d"
AWS = "AKIAIOSFODNN7EXAMPLE"
SPEC_TOKEN = "spec-example-token-5566778899"
SECRETS = (BEARER, API_KEY, PASSWORD, COOKIE, AWS, SPEC_TOKEN)

LEAKY_APP = textwrap.dedent(f'''
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            print("incoming Authorization: Bearer {BEARER} api_key={API_KEY}", file=sys.stderr, flush=True)
            print("db connect postgres://app:{PASSWORD}@db/app key {AWS}", flush=True)
            status = 500 if self.path.startswith("/api/fail") else 200
            body = (f"upstream said Cookie: sid={COOKIE} token={API_KEY}" if status == 500 else "[]").encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
''')
SPEC = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
    "/api/items": {"get": {"parameters": [
        {"name": "X-Api-Token", "in": "header", "required": True, "example": SPEC_TOKEN}]}},
    "/api/fail": {"get": {"responses": {"500": {"description": "fails"}}}},
}}
TOML = '[target]\nstart = "{python} app.py {port}"\nhealth = "/api/items"\nopenapi_file = "openapi.json"\n'


def _leaks(home: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for secret in SECRETS:
            if secret.encode() in data:
                found.setdefault(str(path.relative_to(home)), []).append(secret)
    return found


@pytest.fixture
def live_service(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "app.py").write_text(LEAKY_APP)
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "app.py", str(port)], cwd=tmp_path / "live",
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                httpx2.get(f"http://127.0.0.1:{port}/api/items", timeout=1)
                break
            except httpx2.HTTPError:
                __import__("time").sleep(0.05)
        yield f"http://alice:{PASSWORD}@127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_no_secret_reaches_any_file_a_run_writes(kassi: Kassi, tmp_path: Path, live_service: str) -> None:
    repo = git_repo(tmp_path / "repo", [
        {"app.py": LEAKY_APP, "openapi.json": json.dumps(SPEC), "kassi.toml": TOML},
        {"app.py": LEAKY_APP + "# head\n"},
    ])
    ab = kassi("run", "--repo", str(repo), *SHORT_LOAD, timeout=240)
    assert ab.returncode in (0, 1, 3), ab.stderr
    live = kassi("run", "--url", live_service, "--endpoint", "GET /api/fail", *SHORT_LOAD, timeout=240)
    assert live.returncode in (0, 1, 3), live.stderr

    # the secrets did reach kassi (so their absence below means something) ...
    db = sqlite3.connect(kassi.home / "kassi.db")
    logs = [m for (m,) in db.execute("SELECT message FROM log_events")]
    errors = [e for (e,) in db.execute("SELECT error FROM access_events WHERE status = 500")]
    db.close()
    assert any("Authorization: Bearer ***" in m and "api_key=***" in m for m in logs), logs[:3]
    assert any("postgres://***@db/app" in m for m in logs)
    assert errors and all("Cookie: ***" in e for e in errors), errors[:3]
    runs = sorted((kassi.home / "runs").iterdir())
    assert len(runs) == 2
    records = [json.loads((r / "run.json").read_text()) for r in runs]
    assert any(rec["request"]["url"] == live_service.replace(f"alice:{PASSWORD}", "***") for rec in records)
    scripts = [r / "load.js" for r in runs if (r / "load.js").exists()]
    assert scripts and any("X-Api-Token" in s.read_text() for s in scripts)

    # ... and no file under the kassi home holds any of them, in any form kassi wrote
    assert _leaks(kassi.home) == {}, "secrets found"
    assert "Traceback" not in ab.stderr + live.stderr
    for text in (ab.stdout, live.stdout):
        assert not any(secret in text for secret in SECRETS)

    # the home and every run folder are private to the user
    for folder in (kassi.home, *runs):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


@pytest.mark.parametrize(("text", "kept"), [
    ("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer ***"),
    ("Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==", "Proxy-Authorization: Basic ***"),
    ("Cookie: sid=abc; theme=dark", "Cookie: ***"),
    ("Set-Cookie: sid=abc; HttpOnly", "Set-Cookie: ***"),
    ("GET /x?access_token=abc123&page=2", "GET /x?access_token=***&page=2"),
    ('{"password": "hunter22", "user": "bob"}', '{"password": "***", "user": "bob"}'),
    ("http://alice:s3cret@127.0.0.1:80/x", "http://***@127.0.0.1:80/x"),
    ("key=0123456789abcdef0123456789abcdef", "key=***"),
    ("aws AKIAIOSFODNN7EXAMPLE in a log", "aws *** in a log"),
    ("two lines run together: AKIAIOSFODNN7EXAMPLEdb connect", "two lines run together: ***db connect"),
    ("sort_key=5 route_key=/x author=bob", "sort_key=5 route_key=/x author=bob"),
])
def test_redaction_by_name_and_shape(text: str, kept: str) -> None:
    assert redact_text(text) == kept
