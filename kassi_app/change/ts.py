"""Small helpers over tree-sitter (JavaScript, Go, Java grammars): parsers, node text, string literals."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import tree_sitter_go
import tree_sitter_java
import tree_sitter_javascript
from tree_sitter import Language, Node, Parser

from kassi_app.change.model import Span

_GRAMMARS = {"js": tree_sitter_javascript, "go": tree_sitter_go, "java": tree_sitter_java}


@cache
def _parser(lang: str) -> Parser:
    return Parser(Language(_GRAMMARS[lang].language()))


def parse(lang: str, text: str) -> Node:
    """Root node; tree-sitter is error tolerant, so diff fragments parse too."""
    return _parser(lang).parse(text.encode()).root_node


def text(node: Node | None) -> str:
    return node.text.decode(errors="replace") if node is not None and node.text is not None else ""


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node``, depth first, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def string_value(node: Node | None) -> str | None:
    """The value of a plain string literal (no interpolation), else None."""
    if node is None:
        return None
    if node.type in ("string", "interpreted_string_literal", "raw_string_literal", "string_literal"):
        return text(node)[1:-1]
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.children):
        return text(node)[1:-1]
    return None


def span(node: Node, first_line: int) -> Span:
    """1-based inclusive line span of a node in a text that starts at ``first_line``."""
    return node.start_point.row + first_line, node.end_point.row + first_line


def line(node: Node, first_line: int) -> int:
    return node.start_point.row + first_line
