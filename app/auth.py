"""Who is asking: a portal session cookie or an API bearer token, and sign-in with rate limits."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, redirect, request, session, url_for
from sqlalchemy.orm import Session

from app import db
from app.errors import ApiError
from app.ratelimit import limiter
from prm_domain import access, auth
from prm_domain.models import ApiToken, User

F = TypeVar("F", bound=Callable[..., Any])


def client_address() -> str:
    return request.remote_addr or "unknown"


def sign_in(dbs: Session, email: Any, password: Any) -> User:
    """Authenticate with per-account and per-address limits on failed attempts."""
    account = email.strip().lower() if isinstance(email, str) else ""
    per_account = current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]
    per_address = current_app.config["LOGIN_LIMIT_PER_ADDRESS"]
    limits = limiter()
    # Every attempt is counted before the password is checked; a success clears the account's
    # count. Counting first is atomic, so parallel guesses cannot slip past the limit.
    limits.consume(per_address, "login-addr", client_address())
    limits.consume(per_account, "login-acct", account)
    user = auth.authenticate(dbs, account, password)
    limits.clear(per_account, "login-acct", account)
    return user


def issue_api_token(dbs: Session, user: User) -> tuple[str, ApiToken]:
    ttl = dt.timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"])
    return auth.issue_token(dbs, user, ttl)


def _load_user() -> None:
    g.user = None
    g.token = None
    if request.path.startswith("/syndication/") or request.path == "/embed.js":
        # Public, for partner websites: no user, and reading the session would add
        # "Vary: Cookie" to answers every shared cache should keep once.
        return
    header = request.headers.get("Authorization", "")
    if request.path.startswith("/api/") and header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(401, "unauthorized", "Use 'Authorization: Bearer <token>'.")
        token = auth.resolve_token(db.session(), value.strip())
        if token is None:
            raise ApiError(401, "unauthorized", "The token is unknown, expired or revoked.")
        g.user, g.token = token.user, token
        return
    uid = session.get("uid")
    if uid is None:
        return
    # The cookie alone is not trusted for state changes on the API (no CSRF token there);
    # it serves the portal, and GETs from its pages (progress bars) to the API.
    if request.path.startswith("/api/") and request.method not in ("GET", "HEAD"):
        return
    user = db.session().get(User, uid)
    if user is None or not access.may_sign_in(user) or session.get("pw") != _password_stamp(user):
        session.clear()  # deactivated, partner exited, or password changed: sign out everywhere
        return
    g.user = user


def _password_stamp(user: User) -> str:
    """Ties a session to the password it was opened with: a new password ends old sessions.

    An HMAC under the secret key, not a piece of the hash itself: the cookie is signed but
    readable, and part of an argon2 hash would let a cookie thief test guesses offline.
    """
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def start_session(user: User) -> None:
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["pw"] = _password_stamp(user)


# What a signed-in user whose organisation's status opens only the notice (suspended) may
# still reach: signing in and out, the notice itself, their own account, revoking their token.
# Public endpoints (no user) are not gated at all. tests/app/test_status_walker.py holds every
# other route to a refusal.
NOTICE_ENDPOINTS = frozenset(
    {
        "portal.sign_in_page",
        "portal.sign_in_submit",
        "portal.sign_out",
        "portal.partner_notice",
        "api.me",
        "api.delete_current_token",
    }
)
PUBLIC_ENDPOINTS = frozenset({"static", "links.follow", "api.create_token", "api_docs.openapi"})


def _status_gate() -> Any:
    """Every route but the notice's needs more than the notice (``access.Area.ORGANISATION``);
    the domain then asks for the finer areas (content, embeds) itself."""
    user = g.get("user")
    if user is None or request.endpoint in NOTICE_ENDPOINTS | PUBLIC_ENDPOINTS:
        return None
    try:
        access.ensure_status(user, access.Area.ORGANISATION)
    except access.PartnerInactive:
        if request.path.startswith("/api/") or request.method not in ("GET", "HEAD"):
            raise  # JSON 403 naming the status on the API, the error page in the portal
        return redirect(url_for("portal.partner_notice"))
    return None


def login_required(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("portal.sign_in_page", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def init_app(app: Flask) -> None:
    app.before_request(_load_user)
    app.before_request(_status_gate)

    @app.context_processor
    def inject_user() -> dict[str, Any]:
        return {"current_user": g.get("user")}
