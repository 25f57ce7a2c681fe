"""The demo services: their files, their kassi.toml and their OpenAPI operations.

Several demos share one service; each demo is that service plus a head change (catalogue.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Literal

from kassi_app.demos.openapi import Op

Framework = Literal["fastapi", "flask"]

_UVICORN = "{python} -m uvicorn %s:app --host 127.0.0.1 --port {port} --no-access-log --log-level warning"
_FLASK = "{python} -m flask --app %s run --host 127.0.0.1 --port {port} --with-threads"
_PASS_PYTHONPATH = 'pass_env = ["PYTHONPATH"]'
"""A demo's web framework may live on PYTHONPATH: Splunk's Python has none, and the search command
puts the app's vendored lib/ there (targets get a clean environment otherwise)."""


def template(name: str) -> str:
    """A template file shipped with kassi (``templates/<name>.txt``)."""
    return resources.files("kassi_app.demos").joinpath("templates", f"{name}.txt").read_text("utf-8")


def helper_source(module: str) -> str:
    """The source of a stdlib-only module of ``kassi_app.demos`` that demo apps import (``cpucost``):
    copied verbatim, so kassi and the demo apps run the same code."""
    return resources.files("kassi_app.demos").joinpath(f"{module}.py").read_text("utf-8")


def kassi_toml(
    start: str,
    env: dict[str, str],
    processes: str = "",
    p95_ms: int = 250,
    vus: tuple[int, int] = (2, 16),
    rounds: int = 2,
) -> str:
    """A demo's kassi.toml. The judge and the stage durations are kassi's defaults: what the demos are
    measured with (kassi-bench, the calibration) is what a user starts from."""
    env_lines = "\n".join(f'{key} = "{value}"' for key, value in env.items())
    return f"""# How kassi starts this service and loads it (see kassi's docs/kassi-toml.md).
[target]
start = "{start}"
{_PASS_PYTHONPATH}
health = "/health"
ready_timeout_s = 20
openapi_file = "openapi.json"

[target.env]
{env_lines}
{processes}
[load]
low_vus = {vus[0]}
high_vus = {vus[1]}
rounds = {rounds}
changed_share = 0.6

[slo]
p95_ms = {p95_ms}
error_rate = 0.01
"""


@dataclass(frozen=True)
class Service:
    """A demo service: repo path -> template name, its kassi.toml, and its OpenAPI operations."""

    title: str
    framework: Framework
    files: dict[str, str]
    toml: str
    ops: tuple[Op, ...]
    helpers: tuple[str, ...] = ()
    """Modules of ``kassi_app.demos`` written next to the app as ``<module>.py`` (see helper_source)."""


SHOP = Service(
    title="Shop",
    framework="fastapi",
    files={"app.py": "shop_app.py"},
    toml=kassi_toml(_UVICORN % "app", {"SHOP_DB": "{workdir}/shop.db", "SHOP_SQL_LOG": "1"}),
    ops=(
        Op("GET", "/api/products", "List products", {"limit": 20, "offset": 0}),
        Op("GET", "/api/products/{product_id}", "One product", {"product_id": 42}),
        Op("GET", "/api/customers/{customer_id}/orders", "A customer's orders with item counts and totals",
           {"customer_id": 7}),
        Op("POST", "/api/orders", "Place an order", body={
            "customer_id": 7, "items": [{"product_id": 42, "quantity": 2}, {"product_id": 5, "quantity": 1}]},
           status=201),
        Op("GET", "/api/search", "Search products by name; also returns trending words", {"q": "oak"}),
    ),
)

LIBRARY = Service(
    title="Library",
    framework="flask",
    files={"app.py": "library_app.py", "tools/export_loans.py": "export_loans.py"},
    toml=kassi_toml(_FLASK % "app", {"LIBRARY_DB": "{workdir}/library.db"}),
    helpers=("cpucost",),
    ops=(
        Op("GET", "/api/books", "List books with copies on the shelf", {"limit": 20}),
        Op("GET", "/api/books/{book_id}", "One book", {"book_id": 17}),
        Op("GET", "/api/members/{member_id}/loans", "A member's recent loans", {"member_id": 3}),
        Op("POST", "/api/loans", "Lend a book (signs a receipt)", body={"book_id": 17, "member_id": 3},
           status=201),
    ),
)

GATEWAY = Service(
    title="Checkout gateway",
    framework="fastapi",
    files={"app.py": "gateway_app.py", "pricing.py": "pricing_app.py"},
    toml=kassi_toml(
        _UVICORN % "app",
        {"PRICING_URL": "http://127.0.0.1:{pricing_port}"},
        processes=f'\n[[target.process]]\nname = "pricing"\nstart = "{_UVICORN % "pricing"}"\n'
                  f'{_PASS_PYTHONPATH}\nhealth = "/health"\n',
    ),
    ops=(
        Op("GET", "/api/catalog", "List SKUs", {"limit": 20}),
        Op("GET", "/api/skus/{sku}", "One SKU", {"sku": "SKU-0042"}),
        Op("GET", "/api/quote/{sku}", "Price a quantity of a SKU (asks the pricing service)",
           {"sku": "SKU-0042", "qty": 3}),
        Op("GET", "/api/stats", "Request counters"),
    ),
)

DIGEST = Service(
    title="Digest",
    framework="flask",
    files={"app.py": "digest_app.py"},
    # Light load and kassi's default judge: the sensitivity benchmark measures the smallest shift the
    # default settings find on a ~5 ms route, so the route must not queue behind a saturated CPU.
    # Four rounds (four block pairs): on this 2-vCPU VM the median of the same ~5 ms route moves by
    # 10-20 % between 8 s windows with nothing else running, the size of the shifts being measured.
    toml=kassi_toml(_FLASK % "app", {}, p95_ms=100, vus=(1, 2), rounds=4),
    ops=(
        Op("GET", "/api/ping", "Liveness with a body"),
        Op("POST", "/api/tokens", "Issue a token for a subject", body={"subject": "alice"}, status=201),
    ),
)
