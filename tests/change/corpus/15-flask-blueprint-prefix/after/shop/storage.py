import json
from pathlib import Path

DATA = Path(__file__).with_name("data")
PRODUCTS: dict[str, dict] = {}


def all_orders() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(DATA.glob("order-*.json"))]


def load_order(order_id: int) -> dict | None:
    path = DATA / f"order-{order_id}.json"
    return json.loads(path.read_text()) if path.exists() else None


def save_order(order: dict) -> dict:
    order_id = len(list(DATA.glob("order-*.json"))) + 1
    order["id"] = order_id
    (DATA / f"order-{order_id}.json").write_text(json.dumps(order))
    return order
