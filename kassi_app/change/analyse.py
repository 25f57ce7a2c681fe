"""Changed endpoints: compare the endpoints and call graphs of the base and head trees of a change.

Repo mode reads whole trees at both commits (``git cat-file``, no checkout): endpoints only at head
are *added*, only at base *removed*; endpoints at both are *modified* when a changed line falls in
their declaration or in a function their handler reaches through in-repo calls.

Diff-only mode sees just what the diff shows: the post-image of each hunk stands in for head, the
pre-image for base. A route whose declaration or handler lies outside the hunks' context cannot be
seen, prefixes declared elsewhere are unknown, and a helper change is followed only when the
calling handler is itself in the diff. ``git diff -W`` (whole-function context) helps a lot.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kassi_app.change.diffs import FileDiff, parse_diff
from kassi_app.change.lang_go import extract as go_extract
from kassi_app.change.lang_java import extract as java_extract
from kassi_app.change.lang_js import extract as js_extract
from kassi_app.change.lang_python import extract as py_extract
from kassi_app.change.lang_python import extract_fragment as py_fragment
from kassi_app.change.model import ChangedEndpoint, ChangeKind, ChangeSet, FileFacts, Hunk, RouteDef
from kassi_app.change.tree import Route, Tree
from kassi_app.errors import BadInput
from kassi_app.git import check_repo, diff_text, read_tree, resolve_ref

Extractor = Callable[[str, str, int], FileFacts]

_EXTRACTORS: dict[str, tuple[Extractor, Extractor]] = {
    ".py": (lambda p, t, _n: py_extract(p, t), py_fragment),
    ".js": (js_extract, js_extract),
    ".mjs": (js_extract, js_extract),
    ".cjs": (js_extract, js_extract),
    ".ts": (js_extract, js_extract),
    ".go": (go_extract, go_extract),
    ".java": (java_extract, java_extract),
}
SOURCE_SUFFIXES: tuple[str, ...] = tuple(_EXTRACTORS)
SKIP_DIRS = frozenset({"node_modules", "vendor", ".venv", "venv", "site-packages", "dist", "build", ".git"})


def _extractor(path: str, fragment: bool) -> Extractor | None:
    suffix = Path(path).suffix
    pair = _EXTRACTORS.get(suffix)
    if pair is None or path.endswith(".d.ts"):
        return None
    return pair[1] if fragment else pair[0]


def tree_of(files: dict[str, str]) -> Tree:
    """The endpoint/call model of a set of whole source files."""
    facts: list[FileFacts] = []
    for path, text in files.items():
        extract = _extractor(path, fragment=False)
        if extract:
            facts.append(extract(path, text, 1))
    return Tree(facts)


def _read(repo: Path, sha: str) -> dict[str, str]:
    return read_tree(repo, sha, SOURCE_SUFFIXES, SKIP_DIRS)


def all_endpoints(repo: Path | str, ref: str = "HEAD") -> list[RouteDef]:
    """Every endpoint the service declares at ``ref`` (the load's background mix)."""
    root = check_repo(Path(repo))
    routes = tree_of(_read(root, resolve_ref(root, ref))).routes()
    return sorted((r.definition for r in routes), key=lambda d: (d.route, d.method))


def _changed_lines(files: list[FileDiff]) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    new = {f.new_path: f.added for f in files if f.new_path}
    old = {f.old_path: f.removed for f in files if f.old_path}
    return new, old


def _entry(route: Route, change: ChangeKind) -> ChangedEndpoint:
    d = route.definition
    return ChangedEndpoint(d.method, d.route, change, d.file, d.line, d.framework, d.handler)


def compare(base: Tree, head: Tree, files: list[FileDiff]) -> ChangeSet:
    """Added, removed and modified endpoints between two trees, given the diff's changed lines."""
    new_lines, old_lines = _changed_lines(files)
    base_routes = {r.definition.endpoint: r for r in base.routes()}
    head_routes = {r.definition.endpoint: r for r in head.routes()}
    head_touched, base_touched = head.touched(new_lines), base.touched(old_lines)
    out: list[ChangedEndpoint] = []
    for ep, route in head_routes.items():
        if ep not in base_routes:
            out.append(_entry(route, "added"))
        elif Tree.route_touched(route, new_lines, head_touched) or Tree.route_touched(
            base_routes[ep], old_lines, base_touched
        ):
            out.append(_entry(route, "modified"))
    out += [_entry(route, "removed") for ep, route in base_routes.items() if ep not in head_routes]
    out.sort(key=lambda e: (e.file, e.line, e.route, e.method))
    hunks: list[Hunk] = [h for f in files for h in f.hunks]
    return ChangeSet(out, hunks, sorted({f.path for f in files}))


def changed_endpoints(repo: Path | str, base: str = "HEAD~1", head: str = "HEAD") -> ChangeSet:
    """Endpoints the change ``base..head`` of a git repo adds, modifies or removes."""
    root = check_repo(Path(repo))
    base_sha, head_sha = resolve_ref(root, base), resolve_ref(root, head)
    text = diff_text(root, base_sha, head_sha)
    if not text.strip():
        raise BadInput(f"no changes between {base} and {head}")
    files = parse_diff(text)
    return compare(tree_of(_read(root, base_sha)), tree_of(_read(root, head_sha)), files)


def _fragments(files: list[FileDiff], new_side: bool) -> Tree:
    facts: list[FileFacts] = []
    for fd in files:
        path = fd.new_path if new_side else fd.old_path
        extract = _extractor(path, fragment=True) if path else None
        if fd.patched is None or path is None or extract is None:
            continue
        for hunk in fd.patched:
            lines = [ln for ln in hunk if (not ln.is_removed if new_side else not ln.is_added)]
            text = "".join(ln.value if ln.value.endswith("\n") else ln.value + "\n" for ln in lines)
            start = hunk.target_start if new_side else hunk.source_start
            facts.append(extract(path, text, start))
    return Tree(facts)


def changed_endpoints_from_diff(text: str) -> ChangeSet:
    """Endpoints a unified diff touches, from the diff text alone (see the module notes for limits)."""
    files = parse_diff(text)
    return compare(_fragments(files, new_side=False), _fragments(files, new_side=True), files)
