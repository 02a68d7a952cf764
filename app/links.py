"""Public short links ``/r/<code>``: count the click, go to the vendor's landing page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, redirect

from app import db
from prm_domain import rendering

bp = Blueprint("links", __name__)


@bp.get("/r/<code>")
def follow(code: str) -> Any:
    target = rendering.follow_link(db.session(), code)
    if target is None:
        abort(404)
    db.session().commit()
    response = redirect(target, code=302)
    # Every click should reach us to be counted; and the referrer stays ours, not the partner's.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
