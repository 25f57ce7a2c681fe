"""A whole A/B run through the real CLI on the FastAPI tutorial's heroes app (its "SQL (Relational)
Databases" chapter, with sqlite3 in place of SQLModel): no OpenAPI file in the repo, so the create
body comes from the pydantic model, the ids for ``/heroes/{hero_id}`` from the app's own list route
``/heroes/`` (checked at base), and the changed handlers answer 2xx; the 2xx share per changed route
is in the record and printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import git
from kassi_cli import SHORT_LOAD, Kassi
from rich.console import Console

from kassi_app.faces.cli.run import render_human

pytestmark = pytest.mark.e2e

APP = '''
import sqlite3
import threading
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

app = FastAPI()
db = sqlite3.connect(":memory:", check_same_thread=False)
db.execute("CREATE TABLE hero (id INTEGER PRIMARY KEY, name TEXT NOT NULL, secret_name TEXT NOT NULL, age INTEGER)")
db.executemany("INSERT INTO hero (name, secret_name, age) VALUES (?, ?, ?)",
               [("Deadpond", "Dive Wilson", 30), ("Spider-Boy", "Pedro Parqueador", 16),
                ("Rusty-Man", "Tommy Sharp", 48)])
lock = threading.Lock()


class HeroCreate(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    secret_name: str = Field(min_length=1, max_length=50)
    age: int | None = Field(default=None, ge=0, le=150)


def as_dict(row):
    return {"id": row[0], "name": row[1], "secret_name": row[2], "age": row[3]}


@app.get("/health")
def health():
    return {"ok": True}


@app.post("/heroes/", status_code=201)
def create_hero(hero: HeroCreate):
    with lock:
        cur = db.execute("INSERT INTO hero (name, secret_name, age) VALUES (?, ?, ?)",
                         (hero.name, hero.secret_name, hero.age))
        return {"id": cur.lastrowid, **hero.model_dump()}


@app.get("/heroes/")
def read_heroes(offset: int = 0, limit: int = Query(default=100, le=100)):
    with lock:
        rows = db.execute("SELECT * FROM hero ORDER BY id LIMIT ? OFFSET ?", (limit, offset)).fetchall()
    return [as_dict(r) for r in rows]


@app.get("/heroes/{hero_id}")
def read_hero(hero_id: int):
    with lock:
        row = db.execute("SELECT * FROM hero WHERE id = ?", (hero_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Hero not found")
    return as_dict(row)
'''

TOML = '''[target]
start = "{python} -m uvicorn app:app --host 127.0.0.1 --port {port} --log-level warning"
health = "/health"
ready_timeout_s = 20
'''


def _repo(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "app.py").write_text(APP)
    (path / "kassi.toml").write_text(TOML)
    git(path, "add", ".")
    git(path, "commit", "-qm", "heroes")
    head = APP.replace(
        '        return {"id": cur.lastrowid, **hero.model_dump()}',
        '        db.execute("UPDATE hero SET name = trim(name) WHERE id = ?", (cur.lastrowid,))\n'
        '        return {"id": cur.lastrowid, **hero.model_dump()}').replace(
        '    return as_dict(row)\n', '    return {**as_dict(row), "team": None}\n')
    (path / "app.py").write_text(head)
    git(path, "commit", "-qam", "Trim new heroes' names; a hero says its team")
    return path


def test_fastapi_tutorial_heroes_are_reached(kassi: Kassi, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "heroes")
    code, record, stderr = kassi.run_json("--repo", str(repo), *SHORT_LOAD)
    assert code in (0, 1, 3), stderr  # the class is not this test's subject; the reach is
    changed = {f"{e['method']} {e['route']}" for e in record["endpoints"]}
    assert changed == {"POST /heroes/", "GET /heroes/{hero_id}"}
    assert record["request_shapes"]["POST /heroes/"]["body"]["required"] == ["name", "secret_name"]
    for route in changed:
        assert record["reach"][route]["base"] > 0.9 and record["reach"][route]["head"] > 0.9, record["reach"]
    assert not any("not reached" in w for w in record["warnings"])

    console = Console(record=True, width=200)
    render_human(record, console)
    printed = console.export_text()
    assert "2xx share POST /heroes/: base 100 %, head 100 %" in printed
    assert "2xx share GET /heroes/{hero_id}: base 100 %, head 100 %" in printed
