"""A small SPL evaluator for the query shapes kassi sends: it stands in for Splunk's search engine.

There is no Splunk here, so the loopback splunkd stub and the MCP stub run kassi's SPL against
recorded raw events with this evaluator. It implements, as the Search Reference documents them,
only what kassi's searches use: ``search index=.. sourcetype=..`` (plus the ``kassi_index`` macro),
``eval``, ``where``, ``stats`` (count, ``count(eval(..))``, ``exactpercN``; groups sorted by the
by-fields, events with a null by-field dropped), ``sort 0``, ``streamstats count``, ``head`` and
``table``; eval functions case, if, match (PCRE via ``re``), tonumber, tostring, coalesce, null,
isnotnull, floor, true, json_extract_exact; null propagates through arithmetic and comparisons.
Anything else raises, so a new shape in kassi's SPL fails the test until the stub learns it.
Rows come back as Splunk's JSON output renders them: every value a string, ``_time`` as ISO text.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<field>'[^']*')
    | (?P<num>\d+(?:\.\d+)?)
    | (?P<op>>=|<=|!=|[=<>*/+\-.(),])
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


def unquote(literal: str) -> str:
    """An SPL double-quoted literal's text: ``\\\\`` is a backslash and ``\\"`` a quote."""
    assert literal[0] == literal[-1] == '"', literal
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"stub cannot tokenise SPL at {text[pos:pos + 30]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quotes, backticks and parentheses."""
    parts, depth, quote, cur = [], 0, "", []
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            cur.append(ch)
            if ch == "\\" and quote == '"':
                cur.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
            cur.append(ch)
        elif ch == "(":
            depth += 1
            cur.append(ch)
        elif ch == ")":
            depth -= 1
            cur.append(ch)
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def num(value: Any) -> float | int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        f = float(str(value))
    except ValueError:
        return None
    return int(f) if f.is_integer() and "." not in str(value) else f


class Expr:
    """Recursive-descent parser over eval/where expressions; ``compile`` returns event -> value."""

    def __init__(self, text: str) -> None:
        self.toks = tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise ValueError(f"stub expected {value!r}, got {tok!r}")
        self.i += 1
        return tok

    def done(self) -> bool:
        return self.i >= len(self.toks)

    def expr(self) -> Callable[[Event], Any]:
        left = self.and_()
        while (t := self.peek()) and t[1] == "OR":
            self.take()
            a, b = left, self.and_()
            left = lambda e, a=a, b=b: bool(a(e)) or bool(b(e))  # noqa: E731
        return left

    def and_(self) -> Callable[[Event], Any]:
        left = self.not_()
        while (t := self.peek()) and t[1] == "AND":
            self.take()
            a, b = left, self.not_()
            left = lambda e, a=a, b=b: bool(a(e)) and bool(b(e))  # noqa: E731
        return left

    def not_(self) -> Callable[[Event], Any]:
        if (t := self.peek()) and t[1] == "NOT":
            self.take()
            inner = self.not_()
            return lambda e: not inner(e)
        return self.cmp()

    def cmp(self) -> Callable[[Event], Any]:
        left = self.concat()
        t = self.peek()
        if t and t[0] == "op" and t[1] in ("=", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            right = self.concat()

            def compare(e: Event, a: Any = left, b: Any = right, op: str = op) -> bool | None:
                x, y = a(e), b(e)
                if x is None or y is None:
                    return None
                nx, ny = num(x), num(y)
                if nx is not None and ny is not None:
                    x, y = nx, ny
                else:
                    x, y = str(x), str(y)
                return {"=": x == y, "!=": x != y, "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]

            return compare
        return left

    def concat(self) -> Callable[[Event], Any]:
        left = self.add()
        while (t := self.peek()) and t == ("op", "."):
            self.take()
            a, b = left, self.add()
            left = lambda e, a=a, b=b: None if a(e) is None or b(e) is None else f"{a(e)}{b(e)}"  # noqa: E731
        return left

    def add(self) -> Callable[[Event], Any]:
        left = self.mul()
        while (t := self.peek()) and t[0] == "op" and t[1] in "+-":
            op = self.take()[1]
            a, b = left, self.mul()
            left = lambda e, a=a, b=b, op=op: _arith(op, a(e), b(e))  # noqa: E731
        return left

    def mul(self) -> Callable[[Event], Any]:
        left = self.primary()
        while (t := self.peek()) and t[0] == "op" and t[1] in "*/":
            op = self.take()[1]
            a, b = left, self.primary()
            left = lambda e, a=a, b=b, op=op: _arith(op, a(e), b(e))  # noqa: E731
        return left

    def primary(self) -> Callable[[Event], Any]:
        kind, text = self.take()
        if kind == "str":
            value = unquote(text)
            return lambda e: value
        if kind == "num":
            n = num(text)
            return lambda e: n
        if kind == "field":
            name = text[1:-1]
            return lambda e: e.get(name)
        if kind == "op" and text == "(":
            inner = self.expr()
            self.take(")")
            return inner
        if kind == "op" and text == "-":
            inner = self.primary()
            return lambda e: _arith("-", 0, inner(e))
        if kind == "name":
            if (t := self.peek()) and t == ("op", "("):
                self.take("(")
                args: list[Callable[[Event], Any]] = []
                while self.peek() != ("op", ")"):
                    args.append(self.expr())
                    if self.peek() == ("op", ","):
                        self.take(",")
                self.take(")")
                return _function(text, args)
            return lambda e: e.get(text)
        raise ValueError(f"stub cannot parse {text!r}")


def _arith(op: str, x: Any, y: Any) -> Any:
    a, b = num(x), num(y)
    if a is None or b is None:
        return None
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[op]


def _function(name: str, args: list[Callable[[Event], Any]]) -> Callable[[Event], Any]:
    def case(e: Event) -> Any:
        for cond, value in zip(args[0::2], args[1::2], strict=True):
            if cond(e):
                return value(e)
        return None

    def json_exact(e: Event) -> Any:
        doc, key = args[0](e), args[1](e)
        if doc is None or key is None:
            return None
        value = (json.loads(doc) if isinstance(doc, str) else doc).get(key)
        return json.dumps(value) if isinstance(value, dict | list) else value

    table: dict[str, Callable[[Event], Any]] = {
        "case": case,
        "if": lambda e: args[1](e) if args[0](e) else args[2](e),
        "match": lambda e: None if args[0](e) is None else re.search(args[1](e), str(args[0](e))) is not None,
        "tonumber": lambda e: num(args[0](e)),
        "tostring": lambda e: None if args[0](e) is None else str(args[0](e)),
        "coalesce": lambda e: next((v for a in args if (v := a(e)) is not None), None),
        "null": lambda e: None,
        "true": lambda e: True,
        "isnotnull": lambda e: args[0](e) is not None,
        "floor": lambda e: None if num(args[0](e)) is None else math.floor(num(args[0](e)) or 0),
        "json_extract_exact": json_exact,
    }
    if name not in table:
        raise ValueError(f"stub knows no eval function {name}")
    return table[name]


def _sort_key(value: Any) -> tuple[int, Any]:
    n = num(value)
    return (0, n) if n is not None else (1, "" if value is None else str(value))


def _stats(rows: list[Event], args: str) -> list[Event]:
    aggs_text, _, by_text = args.partition(" by ")
    by = by_text.split()
    aggs: list[tuple[str, Callable[[list[Event]], Any]]] = []
    for agg in split_top(aggs_text, ","):
        m = re.fullmatch(r"count(?:\(eval\((?P<cond>.*)\)\))?(?: AS (?P<name>\w+))?", agg)
        if m:
            cond = Expr(m["cond"]).expr() if m["cond"] else None
            aggs.append((m["name"] or "count", lambda g, c=cond: sum(1 for e in g if c is None or c(e))))
            continue
        m = re.fullmatch(r"exactperc(?P<q>\d+)\((?P<f>\w+)\) AS (?P<name>\w+)", agg)
        if not m:
            raise ValueError(f"stub knows no stats function {agg!r}")
        aggs.append((m["name"], lambda g, q=int(m["q"]), f=m["f"]: _perc([num(e.get(f)) for e in g], q)))
    groups: dict[tuple[Any, ...], list[Event]] = {}
    for e in rows:
        key = tuple(e.get(f) for f in by)
        if None not in key:
            groups.setdefault(key, []).append(e)
    if not by and not groups:
        groups[()] = []  # a plain `stats count` over nothing still answers one row: count 0
    out = []
    for key in sorted(groups, key=lambda k: tuple(_sort_key(v) for v in k)):
        out.append({**dict(zip(by, key, strict=True)), **{name: fn(groups[key]) for name, fn in aggs}})
    return out


def _perc(values: Iterable[float | int | None], q: int) -> float | None:
    """Exact percentile, linearly interpolated between closest ranks (the R7 / numpy default)."""
    data = sorted(v for v in values if v is not None)
    if not data:
        return None
    if len(data) == 1:
        return float(data[0])
    return statistics.quantiles(data, n=100, method="inclusive")[q - 1] if 0 < q < 100 else float(data[-1])


def _render(value: Any, field: str) -> str:
    if field == "_time":
        return datetime.fromtimestamp(float(value), UTC).isoformat(timespec="milliseconds")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and field in ("count",):
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


class SplEngine:
    """Runs one SPL pipeline over recorded raw events (``_time`` epoch seconds, other fields text)."""

    def __init__(self, events: Sequence[Event]) -> None:
        self.events = list(events)
        self.seen: list[str] = []

    def run(self, spl: str, earliest: str = "", latest: str = "") -> list[dict[str, str]]:
        self.seen.append(spl)
        low, high = _bound(earliest, -math.inf), _bound(latest, math.inf)
        rows: list[Event] = []
        for n, command in enumerate(split_top(spl, "|")):
            name, _, args = command.partition(" ")
            if n == 0:
                if name != "search":
                    raise ValueError(f"stub: a search starts with 'search', not {name!r}")
                rows = [dict(e) for e in self.events if low <= e["_time"] < high and _matches(e, args)]
            elif name == "eval":
                for part in split_top(args, ","):
                    field, _, text = part.partition("=")
                    fn = Expr(text).expr()
                    for e in rows:
                        e[field.strip()] = fn(e)
            elif name == "where":
                cond = Expr(args).expr()
                rows = [e for e in rows if cond(e)]
            elif name == "stats":
                rows = _stats(rows, args)
            elif name == "sort":
                rows = _sort(rows, args)
            elif name == "streamstats":
                m = re.fullmatch(r"count AS (\w+) by (.+)", args)
                if not m:
                    raise ValueError(f"stub knows no streamstats {args!r}")
                seen: dict[tuple[Any, ...], int] = {}
                for e in rows:
                    key = tuple(e.get(f) for f in m[2].split())
                    seen[key] = seen.get(key, 0) + 1
                    e[m[1]] = seen[key]
            elif name == "head":
                rows = rows[: int(args)]
            elif name == "table":
                fields = args.split()
                rows = [{f: e[f] for f in fields if e.get(f) is not None} for e in rows]
            else:
                raise ValueError(f"stub knows no command {name!r}")
        return [{k: _render(v, k) for k, v in e.items() if v is not None} for e in rows]


def _bound(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default  # relative times (-90d, now): the recorded events are all recent enough


def _matches(event: Event, terms: str) -> bool:
    for term in filter(None, split_top(terms.replace("`kassi_index`", 'index="kassi"'), " ")):
        key, _, value = term.partition("=")
        if not value:
            raise ValueError(f"stub knows no search term {term!r}")
        if event.get(key) != (unquote(value) if value.startswith('"') else value):
            return False
    return True


def _sort(rows: list[Event], args: str) -> list[Event]:
    words = args.split()
    if words[0] != "0":
        raise ValueError("kassi sorts with 'sort 0' (no 10,000-row cut)")
    keys: list[tuple[str, bool]] = []
    descending = False
    for word in words[1:]:
        if word == "-":
            descending = True
            continue
        if word.startswith("-"):
            descending, word = True, word[1:]
        keys.append((word, descending))
        descending = False
    for field, desc in reversed(keys):
        rows = sorted(rows, key=lambda e, f=field: _sort_key(e.get(f)), reverse=desc)
    return rows
