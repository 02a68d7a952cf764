"""The JSON API under /api/v1, and its OpenAPI document at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify

from app.api.framework import IdConverter, openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
docs = Blueprint("api_docs", __name__)


@docs.get("/api/openapi.json")
def openapi() -> Any:
    doc = current_app.extensions.get("cobrand.openapi")
    if doc is None:
        doc = current_app.extensions["cobrand.openapi"] = openapi_document(current_app)
    return jsonify(doc)


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    # Imported for their effect: each registers its operations on bp.
    from app.api import (  # noqa: F401
        campaigns,
        channels,
        core,
        deals,
        leads,
        library,
        mdf,
        scorecards,
        syndication,
        tier_rules,
        training,
        webhooks,
    )

    app.register_blueprint(bp)
    app.register_blueprint(docs)
