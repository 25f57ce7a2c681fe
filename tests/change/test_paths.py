"""Route templates: every framework's parameter spelling becomes ``{name}``."""

from __future__ import annotations

import pytest

from kassi_app.change.paths import join, normalise


@pytest.mark.parametrize(
    ("raw", "template"),
    [
        ("/api/owners/<int:id>", "/api/owners/{id}"),  # Flask / Django path converters
        ("/api/owners/<id>", "/api/owners/{id}"),
        ("/api/owners/:id", "/api/owners/{id}"),  # Express, gin, echo
        ("/api/owners/:id(\\d+)", "/api/owners/{id}"),
        ("/api/owners/{id}", "/api/owners/{id}"),  # FastAPI, Go 1.22, Spring
        ("/api/owners/{id:[0-9]+}", "/api/owners/{id}"),  # chi, gorilla, Spring regex
        ("/files/{path...}", "/files/{path}"),  # Go wildcard
        ("/items/{$}", "/items/"),  # Go exact-match marker
        ("/static/*filepath", "/static/{filepath}"),  # gin catch-all
    ],
)
def test_normalise(raw: str, template: str) -> None:
    assert normalise(raw) == template


def test_django_regex_routes() -> None:
    assert normalise(r"^articles/(?P<year>[0-9]{4})/(?P<slug>[\w-]+)/$", regex=True) == "articles/{year}/{slug}/"


def test_join_keeps_trailing_slashes_and_collapses_doubles() -> None:
    assert join("/api/", "/owners/") == "/api/owners/"
    assert join("", "owners/<int:id>/") == "/owners/<int:id>/"
    assert join("/items", "") == "/items"
    assert join("", "") == "/"
