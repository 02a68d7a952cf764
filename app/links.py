"""Public short links ``/r/<code>``: count the click, go to the vendor's landing page; and
``/r/<code>/logo``, the partner's logo that their co-branded emails show."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template

from app import db
from app.auth import client_address
from app.ratelimit import limiter
from app.storage import storage
from prm_domain import RateLimited, rendering

bp = Blueprint("links", __name__)


@bp.get("/r/<code>")
def follow(code: str) -> Any:
    address = client_address()
    try:
        # Anyone may follow a link, so one address is held to what people clicking do (an
        # office behind one address included); a script looping over it is not.
        limiter().consume(current_app.config["LINK_LIMIT_PER_ADDRESS"], "link-addr", address)
    except RateLimited as exc:
        page = current_app.make_response(
            (render_template("error.html", status=429, message=exc.message), 429)
        )
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    # A click counts once per address and link within the window: reloads, double clicks
    # and a mail scanner fetching it again are one visit, not many.
    first = limiter().first(current_app.config["LINK_REPEAT_WINDOW"], "link-click", code, address)
    target = rendering.follow_link(db.session(), code, count=first)
    if target is None:
        abort(404)
    db.session().commit()
    response = redirect(target, code=302)
    # Every click should reach us to be counted; and the referrer stays ours, not the partner's.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/r/<code>/logo")
def logo(code: str) -> Any:
    """The partner's logo for emails (mail clients load images by URL). Not counted as a click."""
    data = rendering.link_logo(db.session(), storage(), code)
    if data is None:
        abort(404)
    response = Response(data, content_type="image/png")
    # Mail clients and their image proxies may keep it a while; a new logo gets new renders.
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
