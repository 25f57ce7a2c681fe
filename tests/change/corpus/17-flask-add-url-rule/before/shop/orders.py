from flask import Blueprint, abort, jsonify, request

from shop import pricing
from shop.storage import all_orders, load_order, save_order

orders_bp = Blueprint("orders", __name__, url_prefix="/orders")


@orders_bp.route("/", methods=["GET"])
def list_orders():
    status = request.args.get("status")
    return jsonify([o for o in all_orders() if status is None or o["status"] == status])


@orders_bp.route("/<int:order_id>")
def show_order(order_id: int):
    order = load_order(order_id)
    if order is None:
        abort(404)
    order["total"] = pricing.total(order["lines"])
    return jsonify(order)


@orders_bp.post("/")
def create_order():
    payload = request.get_json(force=True)
    order = {"lines": payload["lines"], "status": "new"}
    order["total"] = pricing.total(order["lines"])
    return jsonify(save_order(order)), 201
