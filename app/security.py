"""Security headers on every response and CSRF protection on every portal form."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import Flask, Response, abort, request, session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Everything is served by the app itself (no CDN), and no page has inline script or style.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def _check_csrf() -> None:
    # The API authenticates state changes with bearer tokens, which a browser never attaches on
    # its own; syndication endpoints are public and carry no session. Everything else is a page.
    # Unsubscribe links are public one-click POSTs from mail clients (RFC 8058): the secret
    # token in the URL is their authority, not a session (app/unsubscribe.py).
    public = ("/api/", "/syndication/", "/unsubscribe/")
    if request.method in SAFE_METHODS or request.path.startswith(public):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf")
    # compare_digest raises TypeError on non-ASCII text; a real token is always ASCII.
    if (
        not isinstance(expected, str)
        or not expected
        or not sent.isascii()
        or not hmac.compare_digest(sent.encode(), expected.encode())
    ):
        abort(
            400, "The form expired or did not come from this site. Reload the page and try again."
        )


def _headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if not request.path.startswith("/syndication/") and request.path != "/embed.js":
        h.setdefault("Content-Security-Policy", PAGE_CSP)
        h.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    # Secure cookies whenever the public URL is HTTPS, also when it came in create_app's config
    # mapping rather than the environment (config.from_env only sees the environment).
    if str(app.config.get("PUBLIC_BASE_URL") or "").lower().startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.before_request(_check_csrf)
    app.after_request(_headers)

    @app.context_processor
    def inject_csrf() -> dict[str, Any]:
        return {"csrf_token": csrf_token}
