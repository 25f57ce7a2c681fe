from flask import Blueprint, jsonify

from shop.storage import PRODUCTS

catalog_bp = Blueprint("catalog", __name__)


@catalog_bp.get("/products")
def products():
    return jsonify(sorted(PRODUCTS.values(), key=lambda p: p["name"]))


@catalog_bp.get("/products/<slug>")
def product(slug: str):
    return jsonify(PRODUCTS[slug])
