"""Who is asking: a portal session cookie or an API bearer token, and sign-in with rate limits."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import (
    Flask,
    current_app,
    g,
    redirect,
    request,
    session,
    url_for,
)
from sqlalchemy.orm import Session

from app import db
from app.errors import ApiError
from app.ratelimit import limiter
from prm_domain import InvalidCredentials, RateLimited, ValidationError, access, auth, users
from prm_domain.models import ApiToken, User

F = TypeVar("F", bound=Callable[..., Any])


def client_address() -> str:
    return request.remote_addr or "unknown"


def _counters(account: str) -> list[tuple[str, tuple[str, ...]]]:
    """The failure counters one sign-in attempt is held to: (limit, key)."""
    config = current_app.config
    address = client_address()
    # No account-wide counter: one that refuses the right password lets any stranger lock the
    # owner out by failing from enough addresses (issue 8). A spread-out guesser is held to
    # 5 guesses per address per account every 15 minutes, and to 20 per address over all.
    return [
        (config["LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"], ("login-acct-addr", account, address)),
        (config["LOGIN_LIMIT_PER_ADDRESS"], ("login-addr", address)),
    ]


def sign_in(dbs: Session, email: Any, password: Any) -> User:
    """Authenticate, counting failures only, per (account, address) and per address; nothing a
    stranger does elsewhere refuses the owner's right password.

    Every counter is checked before the password is: a caller over a limit learns nothing.
    A failure is counted atomically; one past a limit answers 429 like a refused attempt,
    and a right password that finishes after parallel wrong ones used a limit up is refused
    too, so a burst of guesses gets no more informative answers than the limit allows.
    """
    account = email.strip().lower() if isinstance(email, str) else ""
    limits = limiter()
    counters = _counters(account)
    for limit, key in counters:
        limits.check(limit, *key)
    try:
        user = auth.authenticate(dbs, account, password)
    except InvalidCredentials:
        refused: RateLimited | None = None
        for limit, key in counters:
            try:
                limits.consume(limit, *key)
            except RateLimited as exc:
                refused = refused or exc
        if refused is not None:
            raise refused from None
        raise
    try:
        for limit, key in counters:
            limits.check(limit, *key)
    except RateLimited:
        dbs.rollback()  # no "last sign-in" for a refused attempt
        raise
    limits.clear(counters[0][0], *counters[0][1])  # the owner's own typos from here are forgiven
    return user


def change_password(dbs: Session, user: User, current: Any, new: Any) -> None:
    """The domain's password change, with wrong current passwords limited like sign-ins: a
    stolen session must not become a way to guess the password behind it."""
    limit = current_app.config["LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"]
    key = ("password-change", str(user.id))
    limits = limiter()
    limits.check(limit, *key)
    try:
        users.change_password(dbs, user, current, new)
    except ValidationError as exc:
        if "current_password" in exc.fields:
            limits.consume(limit, *key)
        raise
    # As in sign_in: guesses sent in parallel all passed the first check; if the limit filled
    # meanwhile, the right one among them does not get through either.
    try:
        limits.check(limit, *key)
    except RateLimited:
        dbs.rollback()
        raise


def add_partner_user(dbs: Session, actor: User, partner_id: int, values: Mapping[str, Any]) -> User:
    """The domain's add-user, with the neutral "address cannot be used" answers limited per
    organisation: each one still says "some account has it", so trying a list of addresses is
    slow. Per organisation, not per actor: an admin who adds more admins gets no more tries."""
    limit = current_app.config["USER_ADD_REFUSAL_LIMIT"]
    # Vendor staff see every account anyway; each is held to its own count.
    who = f"partner:{actor.partner_id}" if actor.partner_id is not None else f"user:{actor.id}"
    key = ("user-add-refused", who)
    limits = limiter()
    limits.check(limit, *key)
    try:
        return users.create_partner_user(dbs, actor, partner_id, values)
    except ValidationError as exc:
        if exc.fields.get("email") == users.EMAIL_UNAVAILABLE:
            limits.consume(limit, *key)
        raise


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
    dbs = db.session()
    idle = dt.timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    row = auth.resolve_session(dbs, session.get("sid", ""), idle=idle)
    if row is None or row.user_id != uid or session.get("pw") != _password_stamp(row.user):
        # Signed out, timed out, ended by a new password or deactivation: the cookie is dead.
        session.clear()
        return
    if row in dbs.dirty:
        dbs.commit()  # the idle clock, at most once a minute
    g.user = row.user


def _password_stamp(user: User) -> str:
    """Ties a session to the password it was opened with, as a second line behind the session
    row (a hash changed outside the product, by an operator, ends sessions too).

    An HMAC under the secret key, not a piece of the hash itself: the cookie is signed but
    readable, and part of an argon2 hash would let a cookie thief test guesses offline.
    """
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def start_session(dbs: Session, user: User) -> None:
    """A fresh server-side session for ``user`` in this browser; the caller commits."""
    lifetime = current_app.permanent_session_lifetime
    plain, _row = auth.open_session(dbs, user, lifetime=lifetime)
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["sid"] = plain
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
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "favicon",
        "links.follow",
        "links.logo",
        "api.create_token",
        "api_docs.openapi",
        "unsubscribe.page",
        "unsubscribe.confirm",
        # A mail service's signed bounce report: the channel's bounce secret is the authority.
        "api.report_channel_bounces",
        # The public partner application form: for companies without an account.
        "portal_training.apply_page",
        "portal_training.apply_submit",
        # The invited person's own link to set a first password (no account to sign in with).
        "portal_training.invitation_page",
        "portal_training.invitation_submit",
    }
)


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


def end_session(dbs: Session) -> None:
    """Sign-out: the server forgets the session, so a copy of the cookie is worth nothing."""
    auth.end_session(dbs, session.get("sid", ""))
    session.clear()


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
