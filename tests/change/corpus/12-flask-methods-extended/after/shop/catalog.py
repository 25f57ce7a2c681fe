from flask import Blueprint, jsonify, request

from shop.storage import PRODUCTS

catalog_bp = Blueprint("catalog", __name__)


@catalog_bp.get("/products")
def products():
    return jsonify(sorted(PRODUCTS.values(), key=lambda p: p["name"]))


@catalog_bp.route("/products/<slug>", methods=["GET", "DELETE"])
def product(slug: str):
    if request.method == "DELETE":
        PRODUCTS.pop(slug, None)
        return "", 204
    return jsonify(PRODUCTS[slug])
