"""The import contract, read from the source: faces import the engine and never the reverse, the
judge does no I/O, the benchmarks and tests never reach the shipped app, and no import cycles.

Imports under ``if TYPE_CHECKING:`` are left out (they never run); imports inside functions count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "kassi_app"
JUDGE_MAY_IMPORT = {
    "__future__", "collections", "dataclasses", "enum", "functools", "itertools", "math", "statistics",
    "typing", "numpy", "scipy", "pydantic", "kassi_app.judge", "kassi_app.endpoint", "kassi_app.events",
    "kassi_app.errors",
}
"""The judge is pure: samples in, verdict out. Anything that touches files, processes or the network
(os, pathlib, subprocess, socket, sqlite3, httpx ...) or another engine package is not on this list."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(tree: ast.AST, package: str) -> Iterator[str]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (name for child in node.orelse for name in _imports(ast.Module([child], []), package))
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                assert node.module is not None
                module = node.module
            # `from package import submodule` imports the submodule; `from module import name` the module
            yield from (f"{module}.{a.name}" if _is_module(f"{module}.{a.name}") else module for a in node.names)
        yield from _imports(node, package)


def import_graph() -> dict[str, set[str]]:
    """Every kassi_app module -> the modules it imports."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = set(_imports(ast.parse(path.read_text(encoding="utf-8")), package))
    return graph


GRAPH = import_graph()


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_the_graph_was_read() -> None:
    assert "kassi_app.workflow.actions" in GRAPH and "kassi_app.judge.judge" in GRAPH
    assert "kassi_app.explain" in GRAPH["kassi_app.workflow.actions"]


def test_the_engine_never_imports_a_face() -> None:
    wrong = [(m, i) for m, imps in GRAPH.items() if not _within(m, "kassi_app.faces")
             for i in imps if _within(i, "kassi_app.faces")]
    assert wrong == []


def test_the_shipped_app_never_imports_benchmarks_or_tests() -> None:
    wrong = [(m, i) for m, imps in GRAPH.items() for i in imps
             if _within(i, "kassi_bench") or _within(i, "tests") or _within(i, "bench")]
    assert wrong == []


def test_the_judge_does_no_io() -> None:
    wrong = [
        (m, i) for m, imps in GRAPH.items() if _within(m, "kassi_app.judge") for i in imps
        if not any(_within(i, allowed) for allowed in JUDGE_MAY_IMPORT)
    ]
    assert wrong == []


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (nodes in order), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_itself_in_a_cycle() -> None:
    modules = {m: {i for i in imps if i in GRAPH and i != m} for m, imps in GRAPH.items()}
    assert _cycle(modules) is None


def _package_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return module
    return ".".join(parts[:3]) if parts[1] == "faces" and len(parts) > 2 else ".".join(parts[:2])


def test_no_engine_package_imports_another_in_a_cycle() -> None:
    packages: dict[str, set[str]] = {}
    for module, imps in GRAPH.items():
        own = _package_of(module)
        deps = {_package_of(i) for i in imps if _within(i, "kassi_app") and i != "kassi_app"}
        packages.setdefault(own, set()).update(deps - {own})
    assert _cycle(packages) is None


@pytest.mark.parametrize("cycle", [{"a": {"b"}, "b": {"c"}, "c": {"a"}}])
def test_the_cycle_finder_finds_cycles(cycle: dict[str, set[str]]) -> None:
    found = _cycle(cycle)
    assert found is not None and found[0] == found[-1]
