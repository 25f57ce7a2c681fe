"""Real apps, really served, loaded by real k6: today's load (an empty JSON object) answers 4xx and
never runs the handler; the load built from the handler's own code reaches it.

The apps are written the way their projects write them: the Flask tutorial's ``register`` view
(``request.form``, a password hash, an INSERT), and a FastAPI endpoint taking a pydantic model with
a nested model, an ``EmailStr``-free e-mail check and bounds (``Field(gt=0)``). Each counts the rows
its handler wrote, which is the proof the handler's code ran, not just the framework's validation.
"""

from __future__ import annotations

import socket
import sys
import threading
import types
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

import pytest
from asgi_server import serve_asgi

from kassi_app.change.analyse import tree_of
from kassi_app.change.request_shapes import shapes_for
from kassi_app.endpoint import Endpoint
from kassi_app.load import LoadPlan, LoadProfile, render_script, run_k6
from kassi_app.load.points import iter_points

TINY = LoadProfile(low_vus=1, high_vus=2, low_duration_s=1, high_duration_s=1, graceful_stop_s=1)

FLASK_REGISTER = '''
import sqlite3
import threading
from flask import Flask, request
from werkzeug.security import generate_password_hash

app = Flask(__name__)
db = sqlite3.connect(":memory:", check_same_thread=False)
db.execute("CREATE TABLE user (id INTEGER PRIMARY KEY, username TEXT UNIQUE NOT NULL, password TEXT NOT NULL)")
lock = threading.Lock()

@app.route("/auth/register", methods=("GET", "POST"))
def register():
    if request.method == "POST":
        username = request.form["username"]
        password = request.form["password"]
        error = None
        if not username:
            error = "Username is required."
        elif not password:
            error = "Password is required."
        if error is None:
            with lock:
                try:
                    db.execute("INSERT INTO user (username, password) VALUES (?, ?)",
                               (username, generate_password_hash(password, method="pbkdf2:sha256:1000")))
                except sqlite3.IntegrityError:
                    return f"User {username} is already registered.", 409
            return "registered", 201
        return error, 400
    return "<form method=post><input name=username><input name=password></form>"

def rows():
    with lock:
        return db.execute("SELECT count(*) FROM user").fetchone()[0]
'''

FASTAPI_ORDERS = '''
import threading
from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI()
orders = []
lock = threading.Lock()

class Address(BaseModel):
    city: str = Field(min_length=2)
    zip: str

class OrderIn(BaseModel):
    sku: str = Field(..., min_length=3, examples=["SKU-001"])
    quantity: int = Field(gt=0, le=50)
    address: Address
    gift: bool = False

@app.post("/orders", status_code=201)
def create_order(order: OrderIn):
    with lock:
        orders.append(order)
    return {"id": len(orders)}

def rows():
    with lock:
        return len(orders)
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _module(name: str, source: str) -> Iterator[types.ModuleType]:
    """The app's source as an importable module (pydantic resolves a model's types by module name)."""
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(source, f"{name}.py", "exec"), module.__dict__)
        yield module
    finally:
        del sys.modules[name]


@pytest.fixture
def flask_app() -> Iterator[tuple[str, types.ModuleType]]:
    from werkzeug.serving import make_server

    with _module("flaskr_app", FLASK_REGISTER) as module:
        server = make_server("127.0.0.1", 0, module.app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", module
        finally:
            server.shutdown()
            thread.join(timeout=5)


@pytest.fixture
def fastapi_app() -> Iterator[tuple[str, types.ModuleType]]:
    with _module("shop_app", FASTAPI_ORDERS) as module, serve_asgi(module.app) as url:
        yield url, module


def _statuses(tmp_path: Path, name: str, base_url: str, plan: LoadPlan) -> Counter[int]:
    script = tmp_path / f"{name}.js"
    script.write_text(render_script(plan))
    result = run_k6(script, env={"BASE_URL": base_url, "KASSI_BLOCK": "0"}, workdir=tmp_path / name, timeout_s=90)
    return Counter(int(p.tags["status"]) for p in iter_points(result.points_files[0], frozenset({"http_reqs"}))
                   if p.tags.get("kassi_group") == "changed")


def _reach(tmp_path: Path, source: str, endpoint: Endpoint, base_url: str,
           rows: Callable[[], Any]) -> tuple[Counter[int], Counter[int]]:
    return _reach_with(tmp_path, {"app.py": source}, endpoint, base_url, rows)


def _reach_with(tmp_path: Path, files: dict[str, str], endpoint: Endpoint, base_url: str,
                rows: Callable[[], Any]) -> tuple[Counter[int], Counter[int]]:
    shapes = shapes_for([r.definition for r in tree_of(files).routes()], files)
    assert endpoint in shapes
    before = _statuses(tmp_path, "today", base_url, LoadPlan([endpoint], [], TINY))
    assert rows() == 0  # today's load never got past the framework's validation
    after = _statuses(tmp_path, "shaped", base_url, LoadPlan([endpoint], [], TINY, shapes=shapes))
    assert rows() == after[201] > 0  # every 2xx is one row the handler wrote
    return before, after


def test_flask_register_form_is_reached(tmp_path: Path, flask_app: tuple[str, types.ModuleType]) -> None:
    url, module = flask_app
    before, after = _reach(tmp_path, FLASK_REGISTER, Endpoint("POST", "/auth/register"), url, module.rows)
    assert set(before) == {400}  # request.form["username"] on a JSON body: BadRequestKeyError
    assert set(after) == {201}  # a unique username per request: never a 409 storm


def test_fastapi_pydantic_body_is_reached(tmp_path: Path, fastapi_app: tuple[str, types.ModuleType]) -> None:
    url, module = fastapi_app
    before, after = _reach(tmp_path, FASTAPI_ORDERS, Endpoint("POST", "/orders"), url, module.rows)
    assert set(before) == {422}  # pydantic rejects the empty object
    assert set(after) == {201}


DJANGO_URLS = '''
from django.urls import path
from . import views

urlpatterns = [path('author/create/', views.author_create, name='author-create')]
'''

DJANGO_VIEWS = '''
from django import forms
from django.shortcuts import render

class AuthorForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    date_of_birth = forms.DateField(required=False)

def author_create(request):
    if request.method == 'POST':
        form = AuthorForm(request.POST)
        if form.is_valid():
            return render(request, 'created.html', status=201)
    return render(request, 'author_form.html', {'form': AuthorForm()})
'''


class _DjangoCsrfStandIn(BaseHTTPRequestHandler):
    """Stands in for Django's CsrfViewMiddleware in front of ``author_create`` (Django is not installed
    here): the form page sets the ``csrftoken`` cookie and the hidden ``csrfmiddlewaretoken`` input; a
    POST without a token matching the cookie is a 403, as Django documents; a valid form is a 201."""

    created: ClassVar[list[dict[str, list[str]]]] = []

    def log_message(self, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        page = b'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="tok123">' \
               b'<input name="first_name"></form>'
        self.send_response(200)
        self.send_header("Set-Cookie", "csrftoken=tok123; Path=/; SameSite=Lax")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        cookie = self.headers.get("Cookie") or ""
        token_ok = "csrftoken=tok123" in cookie and form.get("csrfmiddlewaretoken") == ["tok123"]
        valid = token_ok and form.get("first_name") and form.get("last_name")
        if valid:
            type(self).created.append(form)
        self.send_response(201 if valid else 403 if not token_ok else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_django_form_posts_with_the_csrf_token_its_page_hands_out(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DjangoCsrfStandIn)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        files = {"catalog/urls.py": DJANGO_URLS, "catalog/views.py": DJANGO_VIEWS}
        before, after = _reach_with(tmp_path, files, Endpoint("POST", "/author/create/"), url,
                                    lambda: len(_DjangoCsrfStandIn.created))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert set(before) == {403}  # no token: Django's CSRF failure
    assert set(after) == {201}
    assert all(f["date_of_birth"] == ["2024-01-15"] for f in _DjangoCsrfStandIn.created)
