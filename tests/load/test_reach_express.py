"""A real Express app (``npm ci`` from tests/load/node's lock file, into its gitignored node_modules)
loaded by real k6: today's empty JSON body answers 400, the body read from ``req.body.x`` and the
destructuring in the handler reaches it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from kassi_app.change.analyse import tree_of
from kassi_app.change.request_shapes import shapes_for
from kassi_app.endpoint import Endpoint
from kassi_app.load import LoadPlan, LoadProfile, render_script, run_k6
from kassi_app.load.points import iter_points

NODE_DIR = Path(__file__).parent / "node"
TINY = LoadProfile(low_vus=1, high_vus=2, low_duration_s=1, high_duration_s=1, graceful_stop_s=1)
USERS = Endpoint("POST", "/api/users")

EXPRESS_APP = '''
const express = require('express');
const app = express();
app.use(express.json());
const users = [];

app.post('/api/users', (req, res) => {
  const { name, email } = req.body;
  const age = parseInt(req.body.age, 10);
  if (!name || !email || Number.isNaN(age)) {
    return res.status(400).json({ error: 'name, email and age are required' });
  }
  users.push({ name, email, age });
  res.status(201).json({ id: users.length });
});

app.get('/count', (req, res) => res.json({ users: users.length }));

app.listen(Number(process.env.PORT), '127.0.0.1');
'''


@pytest.fixture(scope="session")
def express_modules() -> Path:
    """Express, installed from the committed lock file on first use."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed to serve the Express app")
    if not (NODE_DIR / "node_modules" / "express").is_dir():
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR,
                              capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"npm ci failed:\n{done.stderr[-4000:]}"
    return NODE_DIR / "node_modules"


@pytest.fixture
def express_app(tmp_path: Path, express_modules: Path) -> Iterator[str]:
    (tmp_path / "server.js").write_text(EXPRESS_APP)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["node", str(tmp_path / "server.js")],
                            env={**os.environ, "PORT": str(port), "NODE_PATH": str(express_modules)},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/count", timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the Express app did not start"
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _users(url: str) -> int:
    with urllib.request.urlopen(f"{url}/count", timeout=5) as response:
        return int(json.loads(response.read())["users"])


def _statuses(tmp_path: Path, name: str, url: str, plan: LoadPlan) -> Counter[int]:
    script = tmp_path / f"{name}.js"
    script.write_text(render_script(plan))
    result = run_k6(script, env={"BASE_URL": url, "KASSI_BLOCK": "0"}, workdir=tmp_path / name, timeout_s=90)
    return Counter(int(p.tags["status"]) for p in iter_points(result.points_files[0], frozenset({"http_reqs"}))
                   if p.tags.get("kassi_group") == "changed")


def test_express_json_body_is_reached(tmp_path: Path, express_app: str) -> None:
    files = {"server.js": EXPRESS_APP}
    shapes = shapes_for([r.definition for r in tree_of(files).routes()], files)
    before = _statuses(tmp_path, "today", express_app, LoadPlan([USERS], [], TINY))
    assert set(before) == {400} and _users(express_app) == 0
    after = _statuses(tmp_path, "shaped", express_app, LoadPlan([USERS], [], TINY, shapes=shapes))
    assert set(after) == {201} and _users(express_app) == after[201]
