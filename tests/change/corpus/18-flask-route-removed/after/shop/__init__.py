from flask import Flask

from shop.catalog import catalog_bp
from shop.orders import orders_bp


def create_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(orders_bp)
    app.register_blueprint(catalog_bp, url_prefix="/catalog")

    return app
