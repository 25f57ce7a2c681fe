"""The demo catalogue: each entry is a service, a head change with one known fault (or none), and
what kassi should conclude about it (the benchmark's ground truth)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kassi_app.demos.openapi import Op
from kassi_app.demos.services import GATEWAY, LIBRARY, SHOP, Service
from kassi_app.endpoint import Endpoint

ExpectedClass = Literal["REGRESSION", "DEGRADING", "THROTTLED", "HEALTHY"]


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (which must occur exactly once) with ``new`` in ``path``."""

    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Demo:
    name: str
    service: Service
    summary: str
    change: str
    """The head commit's message: what the change claims to do."""
    edits: tuple[Edit, ...]
    expected: ExpectedClass
    flagged: tuple[Endpoint, ...] = ()
    root_cause: str | None = None
    """Text the root cause must contain (faults with an error)."""
    cause_kind: str | None = None
    """The mechanism kassi should name (``RootCause.kind``); kassi-bench reports it, it does not gate."""
    added_ops: tuple[Op, ...] = field(default_factory=tuple)


def _ep(text: str) -> Endpoint:
    return Endpoint.parse(text)


LOCK_WRITE = Demo(
    name="sqlite-write-lock",
    service=LIBRARY,
    summary="Receipt signing moved inside the write transaction: concurrent loans fail 'database is locked'",
    change="Sign loan receipts over the loan id",
    edits=(Edit("app.py", '''    receipt = _sign_receipt(book_id, member_id)
    with closing(_connect()) as conn:
        cur = conn.execute(
            "INSERT INTO loans (book_id, member_id, receipt) VALUES (?, ?, ?)", (book_id, member_id, receipt)
        )
''', '''    with closing(_connect()) as conn:
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute(
            "INSERT INTO loans (book_id, member_id, receipt) VALUES (?, ?, '')", (book_id, member_id)
        )
        # Sign over the loan id too, so a receipt cannot be replayed for another loan.
        receipt = _sign_receipt(book_id, member_id, cur.lastrowid)
        conn.execute("UPDATE loans SET receipt = ? WHERE id = ?", (receipt, cur.lastrowid))
        conn.execute("COMMIT")
'''),),
    expected="REGRESSION",
    cause_kind="database_locked",
    flagged=(_ep("POST /api/loans"),),
    root_cause="database is locked",
)

N_PLUS_ONE = Demo(
    name="n-plus-one",
    service=SHOP,
    summary="Order totals computed with one query per order and per line instead of one join",
    change="Load order lines through small per-row queries",
    edits=(Edit("app.py", '''    with closing(connect()) as conn:
        rows = conn.execute(
            """
            SELECT o.id, o.status, COUNT(*) AS items, SUM(l.quantity * p.price_cents) AS total_cents
            FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN products p ON p.id = l.product_id
            WHERE o.customer_id = ? GROUP BY o.id ORDER BY o.id
            """,
            (customer_id,),
        ).fetchall()
    return [dict(r) for r in rows]
''', '''    result = []
    with closing(connect()) as conn:
        orders = conn.execute(
            "SELECT id, status FROM orders WHERE customer_id = ? ORDER BY id", (customer_id,)
        ).fetchall()
        for order in orders:
            items, total = 0, 0
            for line in conn.execute(
                "SELECT product_id, quantity FROM order_lines WHERE order_id = ?", (order["id"],)
            ).fetchall():
                product = conn.execute(
                    "SELECT price_cents FROM products WHERE id = ?", (line["product_id"],)
                ).fetchone()
                items += 1
                total += line["quantity"] * product["price_cents"]
            result.append({"id": order["id"], "status": order["status"],
                           "items": items, "total_cents": total})
    return result
'''),),
    expected="DEGRADING",
    cause_kind="n_plus_one",
    flagged=(_ep("GET /api/customers/{customer_id}/orders"),),
)

UNBOUNDED = Demo(
    name="unbounded-history",
    service=SHOP,
    summary="Trending is recomputed per search over a history that is no longer bounded",
    change="Keep the full search history for better trending results",
    edits=(
        Edit("app.py", "from collections import deque\n", ""),
        Edit("app.py", "_recent_results: deque[list[str]] = deque(maxlen=200)\n",
             "_recent_results: list[list[str]] = []\n"),
    ),
    expected="DEGRADING",
    cause_kind="growth",
    flagged=(_ep("GET /api/search"),),
)

RATE_LIMIT = Demo(
    name="tight-rate-limit",
    service=SHOP,
    summary="A global token bucket of 20 requests/s on product lookups: clients get 429s",
    change="Protect product lookups with a rate limit",
    edits=(
        Edit("app.py", "import sqlite3\n", "import sqlite3\nimport threading\nimport time\n"),
        Edit("app.py", '''@app.get("/api/products/{product_id}")
def get_product(product_id: int) -> dict:
''', '''PRODUCT_RATE_PER_S = 20.0
_bucket_lock = threading.Lock()
_bucket = {"tokens": PRODUCT_RATE_PER_S, "at": time.monotonic()}


def _take_token() -> bool:
    """One bucket for all clients: PRODUCT_RATE_PER_S per second, bursts of the same size."""
    with _bucket_lock:
        now = time.monotonic()
        refill = (now - _bucket["at"]) * PRODUCT_RATE_PER_S
        _bucket["tokens"], _bucket["at"] = min(PRODUCT_RATE_PER_S, _bucket["tokens"] + refill), now
        if _bucket["tokens"] < 1:
            return False
        _bucket["tokens"] -= 1
        return True


@app.get("/api/products/{product_id}")
def get_product(product_id: int) -> dict:
    if not _take_token():
        raise HTTPException(429, "rate limit exceeded", headers={"Retry-After": "1"})
'''),
    ),
    expected="THROTTLED",
    cause_kind="rate_limit",
    flagged=(_ep("GET /api/products/{product_id}"),),
)

DOWNSTREAM = Demo(
    name="downstream-timeout",
    service=GATEWAY,
    summary="Pricing timeout cut to 60 ms: once pricing queues under load, quotes fail with 504",
    change="Fail fast when pricing is slow",
    edits=(Edit("app.py", "TIMEOUT_S = 2.0\n", "TIMEOUT_S = 0.06  # fail fast\n"),),
    expected="REGRESSION",
    cause_kind="downstream_timeout",
    flagged=(_ep("GET /api/quote/{sku}"),),
    root_cause="pricing timed out",
)

GLOBAL_LOCK = Demo(
    name="global-lock",
    service=GATEWAY,
    summary="The stats lock is now held across the pricing call: every endpoint queues behind quotes",
    change="Time pricing calls on the stats page",
    edits=(
        Edit("app.py", "import threading\n", "import threading\nimport time\n"),
        Edit("app.py", '''    _count("quote")
    unit = _price(sku)
''', '''    with _stats_lock:
        started = time.perf_counter()
        unit = _price(sku)
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        _stats["quote"] = _stats.get("quote", 0) + 1
        _stats["pricing_ms"] = _stats.get("pricing_ms", 0) + elapsed_ms
'''),
    ),
    expected="DEGRADING",
    cause_kind="lock_contention",
    flagged=tuple(_ep(e) for e in ("GET /api/catalog", "GET /api/skus/{sku}", "GET /api/quote/{sku}",
                                   "GET /api/stats")),
)

HEALTHY_REFACTOR = Demo(
    name="healthy-refactor",
    service=SHOP,
    summary="Control: product serialisation extracted into a helper, same work",
    change="Extract product serialisation",
    edits=(
        Edit("app.py", '''@app.get("/api/products")
def list_products(''', '''def _product_summary(row: sqlite3.Row) -> dict:
    return {"id": row["id"], "name": row["name"], "price_cents": row["price_cents"]}


@app.get("/api/products")
def list_products('''),
        Edit("app.py", '[{"id": r["id"], "name": r["name"], "price_cents": r["price_cents"]} for r in rows]',
             "[_product_summary(r) for r in rows]"),
        Edit("app.py", '{"id": row["id"], "name": row["name"], "price_cents": row["price_cents"], "stock"',
             '{**_product_summary(row), "stock"'),
    ),
    expected="HEALTHY",
)

HEALTHY_NEW_GET = Demo(
    name="healthy-new-endpoint",
    service=SHOP,
    summary="Control: a new, cheap GET /api/categories",
    change="Add product categories",
    edits=(Edit("app.py", '''@app.get("/api/search")
''', '''CATEGORIES = ("home", "garden", "kitchen", "outdoor")


@app.get("/api/categories")
def categories() -> list[str]:
    return list(CATEGORIES)


@app.get("/api/search")
'''),),
    expected="HEALTHY",
    added_ops=(Op("GET", "/api/categories", "List product categories"),),
)

HEALTHY_OUTSIDE = Demo(
    name="healthy-outside-endpoint",
    service=LIBRARY,
    summary="Control: the offline CSV export tool changes, no endpoint does",
    change="Export: include the receipt column",
    edits=(
        Edit("tools/export_loans.py", '"member_id"]', '"member_id", "receipt"]'),
        Edit("tools/export_loans.py", "member_id FROM", "member_id, receipt FROM"),
    ),
    expected="HEALTHY",
)

CATALOGUE: dict[str, Demo] = {d.name: d for d in (
    LOCK_WRITE, N_PLUS_ONE, UNBOUNDED, RATE_LIMIT, DOWNSTREAM, GLOBAL_LOCK,
    HEALTHY_REFACTOR, HEALTHY_NEW_GET, HEALTHY_OUTSIDE,
)}
