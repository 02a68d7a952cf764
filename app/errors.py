"""Map domain and HTTP errors to responses: JSON under /api and /syndication, else pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, flash, g, jsonify, redirect, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from app.form_errors import flash_error
from prm_domain import (
    Conflict,
    DomainError,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
)
from prm_domain.database import is_locked

STATUS: dict[type[DomainError], int] = {
    ValidationError: 422,
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
    InvalidCredentials: 401,
    RateLimited: 429,
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_fields",
    429: "rate_limited",
}


class ApiError(Exception):
    """An adapter-level error with a status (bad JSON, no token) that is not a domain rule."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/syndication/"))


def json_error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


def same_site_referrer() -> str:
    """Where to send the user back to: the referring page if it is ours, else the dashboard."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url) and not any(c in referrer for c in "\r\n\\"):
        return referrer
    return "/"


def status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _rollback() -> None:
    """Undo the failed request's work before the error page is drawn: the page reads the
    signed-in user and notifications, which a session with a failed flush would refuse
    (PendingRollbackError), turning a clear 4xx into a 500."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        _rollback()
        status = status_of(exc)
        if wants_json():
            response = json_error(status, exc.code, exc.api_message, exc.fields)
            if isinstance(exc, RateLimited):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        if status in (403, 404):
            return render_template("error.html", status=status, message=exc.message), status
        flash_error(exc)
        return redirect(same_site_referrer())

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        return json_error(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        _rollback()
        status = exc.code or 500
        if wants_json():
            # A body too large is refused as a whole: the field is the body itself.
            fields = {"body": exc.description or exc.name} if status == 413 else None
            response = json_error(
                status, HTTP_CODES.get(status, "http_error"), exc.description or exc.name, fields
            )
            if status == 405 and exc.get_response().headers.get("Allow"):
                response.headers["Allow"] = exc.get_response().headers["Allow"]
            return response
        return render_template("error.html", status=status, message=exc.description), status

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError) -> Any:
        # The services check uniqueness first; this is the race where two requests pass that
        # check together and the database's constraint refuses the second.
        _rollback()
        app.logger.info("integrity error on %s %s: %s", request.method, request.path, exc.orig)
        message = "This collides with a change made at the same moment. Reload and try again."
        if wants_json():
            return json_error(409, "conflict", message)
        flash(message, "error")
        return redirect(same_site_referrer())

    @app.errorhandler(OperationalError)
    def database_busy(exc: OperationalError) -> Any:
        if not is_locked(exc):
            return unexpected(exc)
        # SQLite (the embedded default) kept its one write lock busy past busy_timeout: the
        # server is saturated, the request did nothing. Not a bug: ask the client to come back.
        _rollback()
        app.logger.warning("database busy on %s %s", request.method, request.path)
        message = "The server is busy. Try again in a moment."
        if wants_json():
            response = json_error(503, "busy", message)
        else:
            response = app.make_response(
                (render_template("error.html", status=503, message=message), 503)
            )
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        # A real bug: log it with its traceback, answer without leaking internals.
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        _rollback()
        if wants_json():
            return json_error(500, "internal_error", "Something went wrong on our side.")
        return render_template(
            "error.html", status=500, message="Something went wrong on our side."
        ), 500
