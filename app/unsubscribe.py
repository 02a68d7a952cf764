"""Public unsubscribe links ``/unsubscribe/<token>`` from partners' campaign emails.

They work without signing in: the token is an unguessable per-recipient secret. GET shows a
confirmation page (mail scanners fetch links, so a GET never unsubscribes anyone); POST
unsubscribes, both from the page's button and as RFC 8058's one-click POST that mail clients
send for ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``. That POST comes from the mail
provider, with no session and no CSRF token: the token in the URL is the authority, and the
route touches no session (app/security.py exempts this path).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, render_template, request

from app import db
from prm_domain import NotFound
from prm_domain.campaigns import contacts
from prm_domain.models import Partner

bp = Blueprint("unsubscribe", __name__)


def _page(token: str, done: bool) -> Any:
    try:
        contact = (
            contacts.unsubscribe(db.session(), token)
            if done
            else contacts.contact_by_token(db.session(), token)
        )
    except NotFound:
        abort(404)
    partner = db.session().get(Partner, contact.partner_id)
    if done:
        db.session().commit()
    return render_template(
        "campaigns/unsubscribe.html",
        contact=contact,
        partner_name=partner.name if partner else "",
        done=done or contact.status.value != "subscribed",
        token=token,
    )


@bp.get("/unsubscribe/<token>")
def page(token: str) -> Any:
    return _page(token, done=False)


@bp.post("/unsubscribe/<token>")
def confirm(token: str) -> Any:
    # The body is "List-Unsubscribe=One-Click" (RFC 8058) or the page's button: either way
    # the answer is the same. Reading it holds it to the request size limit.
    request.form.get("List-Unsubscribe")
    return _page(token, done=True)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
