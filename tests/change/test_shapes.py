"""Request shapes read from handler code, per framework, on small apps written the way their projects
write them: a FastAPI app with pydantic models, the Flask tutorial's register view, a Django catalog
(the MDN "local library" layout: function views with forms, generic views, ``<int:pk>`` details), an
Express JSON API and a Koa one. Static: nothing is imported or run (Django is not installed here)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from kassi_app.change.analyse import tree_of
from kassi_app.change.request_shapes import shapes_for
from kassi_app.change.shapes import RequestShape
from kassi_app.endpoint import Endpoint
from kassi_app.load.requests import SpecIndex, build_request, collection_for

FASTAPI_APP = '''
from typing import Annotated, Literal
from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, EmailStr, Field

app = FastAPI()

class Address(BaseModel):
    city: str
    zip: str = "10115"

class OrderIn(BaseModel):
    sku: str = Field(..., min_length=3, examples=["SKU-001"])
    quantity: int = Field(gt=0, le=50)
    email: EmailStr
    kind: Literal["retail", "wholesale"]
    address: Address
    note: str | None = None

def db():
    yield None

@app.post("/orders", status_code=201)
def create_order(order: OrderIn, session=Depends(db)):
    return order

@app.get("/orders/search")
def search(q: Annotated[str, Query(min_length=2, examples=["lamp"])], page: int = 1):
    return []

@app.get("/orders/{order_id}")
def get_order(order_id: int):
    return {}
'''

FLASK_TUTORIAL = '''
import functools
from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.security import generate_password_hash
from flaskr.db import get_db

bp = Blueprint("auth", __name__, url_prefix="/auth")

@bp.route("/register", methods=("GET", "POST"))
def register():
    if request.method == "POST":
        username = request.form["username"]
        password = request.form["password"]
        db = get_db()
        error = None
        if not username:
            error = "Username is required."
        if error is None:
            db.execute("INSERT INTO user (username, password) VALUES (?, ?)",
                       (username, generate_password_hash(password)))
            return redirect(url_for("auth.login"))
        flash(error)
    return render_template("auth/register.html")

@bp.route("/search")
def search():
    term = request.args.get("q", "lamp")
    page = request.args.get("page", 1, type=int)
    return term

@bp.post("/api/notes")
def add_note():
    data = request.get_json()
    return {"title": data["title"], "tags": data.get("tags")}
'''

DJANGO_URLS = '''
from django.urls import path
from . import views

urlpatterns = [
    path('', views.index, name='index'),
    path('authors/', views.AuthorListView.as_view(), name='authors'),
    path('author/<int:pk>', views.AuthorDetailView.as_view(), name='author-detail'),
    path('author/create/', views.author_create, name='author-create'),
    path('author/<int:pk>/renew/', views.renew_author, name='renew-author'),
    path('book/create/', views.BookCreate.as_view(), name='book-create'),
]
'''

DJANGO_VIEWS = '''
from django import forms
from django.core.validators import EmailValidator
from django.shortcuts import render
from django.views import generic
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from .models import Book

class AuthorForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    date_of_birth = forms.DateField(required=False)
    contact = forms.CharField(validators=[EmailValidator()])

class RenewForm(forms.Form):
    renewal_date = forms.DateField(help_text="Enter a date between now and 4 weeks (default 3).")

def index(request):
    return render(request, 'index.html')

@require_POST
def author_create(request):
    form = AuthorForm(request.POST)
    if form.is_valid():
        return render(request, 'ok.html')
    return render(request, 'form.html', {'form': form})

@csrf_exempt
@require_POST
def renew_author(request, pk):
    form = RenewForm(data=request.POST)
    return render(request, 'ok.html')

class AuthorListView(generic.ListView):
    paginate_by = 10

class AuthorDetailView(generic.DetailView):
    pass

class BookCreate(generic.edit.CreateView):
    model = Book
    fields = ['title', 'author', 'summary', 'isbn']

    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
'''

DJANGO_MODELS = '''
from django.db import models

class Book(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey('Author', on_delete=models.RESTRICT, null=True)
    summary = models.TextField(max_length=1000, blank=True)
    isbn = models.CharField('ISBN', max_length=13, unique=True)
    genre = models.ManyToManyField('Genre')
'''

EXPRESS_APP = '''
const express = require('express');
const app = express();
app.use(express.json());

app.post('/api/users', async (req, res) => {
  const { name, email } = req.body;
  const age = parseInt(req.body.age, 10);
  if (!name || !email) return res.status(400).json({ error: 'name and email are required' });
  res.status(201).json({ name, email, age });
});

app.get('/api/users', listUsers);

function listUsers(req, res) {
  const page = Number(req.query.page || 1);
  res.json({ page, users: [] });
}

app.listen(process.env.PORT || 3000);
'''

KOA_APP = '''
const Koa = require('koa');
const Router = require('@koa/router');
const router = new Router();
router.post('/items', async (ctx) => {
  ctx.body = { title: ctx.request.body.title, size: ctx.request.body['size'] };
});
const app = new Koa();
app.use(router.routes());
'''

FILES = {
    "shop/main.py": FASTAPI_APP,
    "flaskr/auth.py": FLASK_TUTORIAL,
    "catalog/urls.py": DJANGO_URLS,
    "catalog/views.py": DJANGO_VIEWS,
    "catalog/models.py": DJANGO_MODELS,
    "web/server.js": EXPRESS_APP,
    "koa/app.js": KOA_APP,
}


def _shapes() -> dict[Endpoint, RequestShape]:
    routes = [r.definition for r in tree_of(FILES).routes()]
    return shapes_for(routes, FILES)


def _request(endpoint: str, shapes: dict[Endpoint, RequestShape] | None = None) -> dict[str, object]:
    ep = Endpoint.parse(endpoint)
    spec = build_request(SpecIndex(None), ep, "changed", 1.0, (shapes or _shapes()).get(ep))
    return spec.to_json() | {"known": spec.body_known, "source": spec.shape_source}


def test_fastapi_pydantic_body_and_declared_query() -> None:
    order = _request("POST /orders")
    body = json.loads(str(order["body"]))
    assert order["contentType"] == "application/json" and order["known"] is True
    assert order["source"] == "create_order() signature, model OrderIn"
    assert body["sku"] == "SKU-001"  # the model's own example
    assert body["quantity"] == 1 and body["kind"] == "retail"  # within gt=0/le=50; a Literal's value
    assert "@" in body["email"] and body["address"]["city"].startswith("kassi")
    assert "session" not in body  # Depends(...) is not part of the request
    search = _request("GET /orders/search")
    assert search["query"] == {"q": "lamp"} and search["body"] is None  # required `q`, not the defaulted `page`
    assert _shapes()[Endpoint("GET", "/orders/{order_id}")].path == {"order_id": {"type": "integer", "minimum": 1}}


def test_flask_tutorial_register_form_and_json_and_args() -> None:
    register = _request("POST /auth/register")
    assert register["contentType"] == "application/x-www-form-urlencoded"
    form = parse_qs(str(register["body"]))
    assert set(form) == {"username", "password"}
    assert "__KASSI_SEQ__" in form["username"][0]  # unique per request: a new user every time
    assert register["known"] is True and register["source"] == "register() reads"
    assert _request("GET /auth/register")["body"] is None  # the form is only posted
    assert _request("GET /auth/search")["query"] == {"q": "lamp", "page": 1}  # `.get` defaults and type=int
    note = _request("POST /auth/api/notes")
    assert note["contentType"] == "application/json" and set(json.loads(str(note["body"]))) == {"title", "tags"}


def test_django_form_views_generic_edit_views_and_converters() -> None:
    shapes = _shapes()
    create = shapes[Endpoint("POST", "/author/create/")]
    assert create.encoding == "form" and create.csrf is True  # no csrf_exempt: the token is fetched
    assert create.body is not None and set(create.body["required"]) == {"first_name", "last_name", "contact"}
    assert create.body["properties"]["contact"]["format"] == "email"  # from its EmailValidator
    renew = shapes[Endpoint("POST", "/author/{pk}/renew/")]
    assert renew.csrf is False and renew.path == {"pk": {"type": "integer", "minimum": 1}}
    assert renew.body is not None and renew.body["properties"]["renewal_date"]["format"] == "date"
    book = shapes[Endpoint("POST", "/book/create/")]
    assert book.body is not None and set(book.body["properties"]) == {"title", "author", "summary", "isbn"}
    assert "summary" not in book.body["required"] and book.body["properties"]["author"]["type"] == "integer"
    assert shapes[Endpoint("GET", "/author/{pk}")].path == {"pk": {"type": "integer", "minimum": 1}}
    body = parse_qs(str(_request("POST /author/create/", shapes)["body"]))
    assert body["date_of_birth"] == ["2024-01-15"] and "@" in body["contact"][0]


def test_express_and_koa_bodies_and_queries() -> None:
    users = _request("POST /api/users")
    body = json.loads(str(users["body"]))
    assert set(body) == {"name", "email", "age"} and body["age"] == 1 and "@" in body["email"]
    assert _request("GET /api/users")["query"] == {"page": 1}
    items = json.loads(str(_request("POST /items")["body"]))
    assert set(items) == {"title", "size"}


def test_a_body_route_without_spec_or_readable_handler_is_reported_unknown() -> None:
    unknown = build_request(SpecIndex(None), Endpoint("POST", "/ingest"), "changed", 1.0, None)
    assert unknown.body_known is False and unknown.body == "{}"
    assert build_request(SpecIndex(None), Endpoint("GET", "/ingest"), "changed", 1.0, None).body_known is True


def test_ids_come_from_the_list_route_the_service_declares() -> None:
    declared = [Endpoint("GET", "/catalog/authors/"), Endpoint("GET", "/catalog/author/{pk}"),
                Endpoint("GET", "/catalog/books/"), Endpoint("GET", "/catalog/category")]
    index = SpecIndex(None)
    assert collection_for("/catalog/author", index, declared) == "/catalog/authors/"  # Django's list name
    assert collection_for("/catalog/category", index, declared) == "/catalog/category"
    assert collection_for("/catalog/genre", index, declared) is None  # not declared: never guessed
    assert collection_for("/catalog/genre", index, []) == "/catalog/genre"  # bare live endpoints: the only hint
    spec = {"paths": {"/owners": {"get": {}}, "/owners/{id}": {"get": {}}}}
    assert collection_for("/owner", SpecIndex(spec), []) == "/owners"
    assert collection_for("/vets", SpecIndex(spec), []) is None
