"""A whole A/B run through the real CLI on a Flask tutorial-style app with no OpenAPI spec: the
changed register form is loaded with form data its handler accepts (2xx share per route in the
record and the printed output), and a changed POST route whose body kassi cannot build is reported
as such, before the load and in the verdict, instead of a quiet HEALTHY.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git
from kassi_cli import SHORT_LOAD, Kassi
from rich.console import Console

from kassi_app.demos import init_demo
from kassi_app.faces.cli.run import render_human

pytestmark = pytest.mark.e2e

APP = '''
import sqlite3
import sys
import threading
from flask import Flask, request
from werkzeug.security import generate_password_hash

app = Flask(__name__)
db = sqlite3.connect(":memory:", check_same_thread=False)
db.execute("CREATE TABLE user (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, password TEXT NOT NULL)")
lock = threading.Lock()
ROUNDS = 1000


def parse_record(raw):
    """A private wire format: ``key=value;key=value`` with a mandatory ``kind``."""
    fields = dict(part.split("=", 1) for part in raw.decode().split(";") if "=" in part)
    if "kind" not in fields:
        raise ValueError("no kind")
    return fields


@app.get("/health")
def health():
    return "ok"


@app.route("/auth/register", methods=("GET", "POST"))
def register():
    if request.method == "POST":
        username = request.form["username"]
        password = request.form["password"]
        if not username or not password:
            return "Username and password are required.", 400
        with lock:
            try:
                db.execute("INSERT INTO user (username, password) VALUES (?, ?)",
                           (username, generate_password_hash(password, method=f"pbkdf2:sha256:{ROUNDS}")))
            except sqlite3.IntegrityError:
                return f"User {username} is already registered.", 409
        return "registered", 201
    return "<form method=post><input name=username><input name=password></form>"


@app.post("/ingest")
def ingest():
    try:
        record = parse_record(request.get_data())
    except ValueError:
        return "bad record", 400
    return {"kind": record["kind"]}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
'''

TOML = '''[target]
start = "{python} app.py {port}"
health = "/health"
ready_timeout_s = 20
'''


def _repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "app.py").write_text(APP)
    (path / "kassi.toml").write_text(TOML)
    git(path, "add", ".")
    git(path, "commit", "-qm", "register and ingest")
    head = APP.replace("ROUNDS = 1000", "ROUNDS = 1200").replace(
        '    return {"kind": record["kind"]}', '    return {"kind": record["kind"], "fields": len(record)}')
    (path / "app.py").write_text(head)
    git(path, "commit", "-qam", "Stronger password hashes; ingest says how many fields it read")
    return path


def test_form_route_is_reached_and_unbuildable_body_is_said(kassi: Kassi, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "flaskr")
    code, record, stderr = kassi.run_json("--repo", str(repo), *SHORT_LOAD)
    # The class is not this test's subject: a short run may also end INCONCLUSIVE (3) when it cannot
    # resolve the judge's threshold; the reach figures and warnings below hold either way.
    assert code in (0, 1, 3), stderr
    assert {e["route"] for e in record["endpoints"]} == {"/auth/register", "/ingest"}
    assert record["request_shapes"]["POST /auth/register"]["encoding"] == "form"
    reach = record["reach"]
    assert reach["POST /auth/register"]["base"] > 0.9 and reach["POST /auth/register"]["head"] > 0.9
    assert reach["POST /ingest"] == {"base": 0.0, "head": 0.0}
    warnings = "\n".join(record["warnings"])
    assert "POST /ingest: no valid body known, 400s only" in warnings
    assert "POST /ingest: 2xx share base 0 %, head 0 %: the route's own code was not reached" in warnings
    routes = {(r["method"], r["route"]): r for r in record["verdict"]["routes"]}
    signals = {s["name"] for s in routes[("POST", "/ingest")]["signals"]}
    assert "not_reached" in signals
    assert "not_reached" not in {s["name"] for s in routes[("POST", "/auth/register")]["signals"]}
    if record["verdict"]["class"] == "HEALTHY":
        assert "POST /ingest were not reached" in record["verdict"]["reason"]

    console = Console(record=True, width=200)
    render_human(record, console)
    printed = console.export_text()
    assert "2xx share POST /auth/register: base 100 %, head 100 %" in printed
    assert "2xx share POST /ingest: base 0 %, head 0 %" in printed


def test_line_coverage_says_which_changed_lines_ran(kassi: Kassi, tmp_path: Path) -> None:
    """``--line-coverage`` on the same change: the head target's own interpreter records, in one warm-up
    block, that the ROUNDS line ran (at import) and that the changed ``ingest`` return never did (every
    ingest request answered 400 before it); the record has it per hunk and the verdict's reason names it."""
    repo = _repo(tmp_path / "flaskr")
    code, record, stderr = kassi.run_json("--repo", str(repo), "--line-coverage", *SHORT_LOAD)
    assert code in (0, 1, 3), stderr
    coverage = record["line_coverage"]
    assert coverage["how"] == "sys.monitoring"
    assert [(h["ran"], h["lines"]) for h in coverage["hunks"]] == [(1, 1), (0, 1)], coverage
    ingest_hunk = coverage["hunks"][1]["hunk"]
    reason = record["verdict"]["reason"]
    assert f"changed lines that never ran under kassi's load: {ingest_hunk} (1 of 1 lines)" in reason
    assert f"changed lines never ran: {ingest_hunk} (1 of 1 lines)" in record["warnings"]
    # The warm-up block is not measured: the judged blocks are the run's own, numbered from 0.
    blocks = sorted(b["block"] for v in ("base", "head") for b in record["load"][v]["blocks"])
    assert blocks == list(range(len(blocks)))

    console = Console(record=True, width=200)
    render_human(record, console)
    assert f"changed lines run {coverage['hunks'][0]['hunk']}: 1 of 1" in console.export_text()


def test_line_coverage_on_the_n_plus_one_demo(kassi: Kassi, tmp_path: Path) -> None:
    """The bundled demo's change (per-row queries in the orders handler) is reached line by line: every
    changed line ran in the warm-up block, and the reason names none as never run."""
    repo = init_demo("n-plus-one", tmp_path / "demo").path
    code, record, stderr = kassi.run_json("--repo", str(repo), "--base", "base", "--head", "head",
                                          "--line-coverage", *SHORT_LOAD)
    assert code in (0, 1, 3), stderr
    coverage = record["line_coverage"]
    assert coverage["how"] == "sys.monitoring" and coverage["hunks"], coverage
    assert all(h["ran"] == h["lines"] > 0 for h in coverage["hunks"]), coverage
    assert "never ran" not in record["verdict"]["reason"]
