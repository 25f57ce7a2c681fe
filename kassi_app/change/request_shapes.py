"""The request shapes of a tree's routes: each route's handler read by its language's shape reader."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from kassi_app.change.analyse import SKIP_DIRS, SOURCE_SUFFIXES, tree_of
from kassi_app.change.shapes import RequestShape, RouteLike
from kassi_app.change.shapes_js import js_shape
from kassi_app.change.shapes_python import PythonProject
from kassi_app.endpoint import Endpoint
from kassi_app.git import check_repo, read_tree, resolve_ref

_JS = (".js", ".mjs", ".cjs", ".ts")


def shapes_for(routes: Iterable[RouteLike], files: Mapping[str, str]) -> dict[Endpoint, RequestShape]:
    """The shape of every route whose handler kassi can read in ``files`` (path -> source text)."""
    python: PythonProject | None = None
    out: dict[Endpoint, RequestShape] = {}
    for route in routes:
        suffix = Path(route.file).suffix
        shape: RequestShape | None = None
        if suffix == ".py":
            python = python or PythonProject({p: t for p, t in files.items() if p.endswith(".py")})
            shape = python.shape(route)
        elif suffix in _JS and route.file in files:
            shape = js_shape(route, files[route.file])
        if shape is not None:
            out[route.endpoint] = shape
    return out


def route_shapes(repo: Path | str, ref: str = "HEAD") -> dict[Endpoint, RequestShape]:
    """The shape of every route the service declares at ``ref`` whose handler kassi can read."""
    root = check_repo(Path(repo))
    files = read_tree(root, resolve_ref(root, ref), SOURCE_SUFFIXES, SKIP_DIRS)
    return shapes_for([r.definition for r in tree_of(files).routes()], files)
