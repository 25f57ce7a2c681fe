"""A route's parameters are loaded over their range, not at one point: a real FastAPI handler whose
cost grows with its ``depth`` query parameter (declared ``Query(ge=1, le=40)``) receives values from
one end of the range to the other, and several of the ids its own list route holds. The values come
from the declared bounds and the list, with no randomness: two renderings of the plan are the same."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgi_server import serve_asgi

from kassi_app.change.analyse import tree_of
from kassi_app.change.request_shapes import shapes_for
from kassi_app.endpoint import Endpoint
from kassi_app.load import LoadPlan, LoadProfile, render_script, run_k6
from kassi_app.load.samples import SchemaResolver

TINY = LoadProfile(low_vus=1, high_vus=2, low_duration_s=1, high_duration_s=1, graceful_stop_s=1)

APP = '''
import threading
from fastapi import FastAPI, Query

app = FastAPI()
seen = []
lock = threading.Lock()

@app.get("/items")
def list_items():
    return [{"id": i} for i in (3, 8, 15, 21)]

@app.get("/items/{item_id}")
def item(item_id: int, depth: int = Query(..., ge=1, le=40)):
    total = sum(range(depth * 500))  # the cost depends on the input
    with lock:
        seen.append((item_id, depth))
    return {"id": item_id, "total": total}
'''


@pytest.fixture
def app() -> Iterator[tuple[str, types.ModuleType]]:
    module = types.ModuleType("spread_app")
    sys.modules["spread_app"] = module
    exec(compile(APP, "spread_app.py", "exec"), module.__dict__)
    try:
        with serve_asgi(module.app) as url:
            yield url, module
    finally:
        del sys.modules["spread_app"]


def test_a_handler_whose_cost_depends_on_input_gets_values_over_its_range(
        tmp_path: Path, app: tuple[str, types.ModuleType]) -> None:
    url, module = app
    files = {"app.py": APP}
    routes = [r.definition for r in tree_of(files).routes()]
    endpoint = Endpoint("GET", "/items/{item_id}")
    plan = LoadPlan([endpoint], [Endpoint("GET", "/items")], TINY, shapes=shapes_for(routes, files))
    script = render_script(plan)
    assert script == render_script(plan)  # deterministic: the same values every time
    (tmp_path / "load.js").write_text(script)
    run_k6(tmp_path / "load.js", env={"BASE_URL": url, "KASSI_BLOCK": "0"}, workdir=tmp_path / "k6", timeout_s=90)
    depths = {depth for _, depth in module.seen}
    ids = {item_id for item_id, _ in module.seen}
    assert depths == {1, 14, 27, 40}  # both ends of the declared range and evenly between
    assert ids == {3, 8, 15, 21}  # every id the list route holds, none guessed


@pytest.mark.parametrize(("schema", "values"), [
    ({"type": "integer", "minimum": 1, "maximum": 500, "default": 20}, [20, 1, 167, 334, 500]),
    ({"type": "integer", "minimum": 1}, [1, 2, 3, 4]),  # no upper bound: a small range above the typical
    ({"type": "integer", "minimum": 1, "maximum": 2}, [1, 2]),
    ({"type": "number", "exclusiveMinimum": 0, "maximum": 1}, [1.0, 0.001, 0.334, 0.667]),
    ({"type": "string", "enum": ["asc", "desc"]}, ["asc", "desc"]),
    ({"type": "boolean"}, [True, False]),
    ({"type": "integer", "enum": [1, True]}, [1, True]),  # JSON tells them apart
    ({"type": "string", "maxLength": 10}, ["kassi"]),  # free text: one value
])
def test_spread_covers_the_declared_range(schema: dict[str, object], values: list[object]) -> None:
    assert SchemaResolver({}).spread(schema) == values
