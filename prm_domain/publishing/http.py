"""A small JSON-over-HTTP client on ``http.client`` that tells the scheduler what happened.

The line that matters is whether the request left: a failure to connect means the service
never saw it (retry safely), a timeout or reset after sending means it may have acted on it
(reconcile before any retry). ``urllib.request`` hides that line, so this drives
``http.client`` directly.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import json
import select
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from prm_domain import outbound
from prm_domain.publishing import OutcomeUnknown, Rejected, RetryLater


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def error_text(self) -> str:
        """The status only: the error is stored and shown to the partner, and a body (the
        service's or, through a webhook URL, some other server's) is not theirs to read."""
        return f"HTTP {self.status}"


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    json_body: Any = None,
    form: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    timeout: float = 20.0,
    allow_private: bool = False,
    keep_alive: bool = False,
) -> Response:
    """One exchange. Raises RetryLater when nothing was sent, OutcomeUnknown when the request
    went out and no complete answer came back. Any status is returned as is (redirects are
    not followed). The host must resolve to public addresses only (prm_domain.outbound)
    unless ``allow_private`` (the operator's own configured services, test stand-ins).

    ``keep_alive``: the connection is kept for the next request to the same origin from this
    thread (a publishing worker sends many posts to one API: a TCP and TLS handshake each
    would cost more than the post)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Rejected(f"Not an HTTP URL: {url[:100]}")
    out_headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        out_headers.setdefault("Content-Type", "application/json")
    elif form is not None:
        body = urlencode(form).encode()
        out_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    path = parts.path or "/"
    query = parts.query
    if params:
        query = "&".join(filter(None, [query, urlencode(params)]))
    if query:
        path = f"{path}?{query}"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise Rejected("Not an HTTP URL: bad port") from None
    origin = (parts.scheme, parts.hostname, parts.port, allow_private, timeout)
    conn = _take(origin) if keep_alive else None
    if conn is None:
        conn = outbound.http_connection(url, timeout, allow_private=allow_private)
        try:
            conn.connect()
        except outbound.Blocked:
            raise Rejected(f"{parts.hostname} is not on a public address") from None
        except outbound.Unresolved:
            raise RetryLater(f"Could not resolve {parts.hostname}") from None
        except (OSError, ssl.SSLError) as exc:
            conn.close()
            # Only the kind of failure: the text may quote what the other end said.
            why = "TLS failed" if isinstance(exc, ssl.SSLError) else "could not connect"
            raise RetryLater(f"Cannot reach {parts.hostname}: {why}") from None
    keep = False
    try:
        try:
            conn.request(method, path, body=body, headers=out_headers)
            reply = conn.getresponse()
            data = reply.read()
        except (OSError, http.client.HTTPException):
            # Sent, or partly sent: the service may have acted on it. (Also on a kept
            # connection: _take dropped any the server had closed, so a failure here is
            # not the idle-close race, and a POST is never resent blindly.)
            raise OutcomeUnknown(f"No complete answer from {parts.hostname}") from None
        keep = keep_alive and not reply.will_close
        return Response(
            status=reply.status,
            headers={k.lower(): v for k, v in reply.getheaders()},
            body=data,
        )
    finally:
        if keep:
            _give(origin, conn)
        else:
            conn.close()


# Kept connections, per thread (a prefork child has one; a threads pool one per thread):
# origin -> connection. Few origins are ever used (the configured APIs), but the count is
# bounded anyway.
_kept = threading.local()
MAX_KEPT = 8


def _take(origin: tuple[Any, ...]) -> http.client.HTTPConnection | None:
    kept: dict[tuple[Any, ...], http.client.HTTPConnection] = getattr(_kept, "conns", {})
    conn = kept.pop(origin, None)
    if conn is None:
        return None
    sock = conn.sock
    if sock is None or _dropped(sock):
        conn.close()
        return None
    return conn


def _dropped(sock: Any) -> bool:
    """An idle kept connection that is readable was closed by the server (or holds bytes
    nobody asked for): either way it is not reused."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _give(origin: tuple[Any, ...], conn: http.client.HTTPConnection) -> None:
    kept: dict[tuple[Any, ...], http.client.HTTPConnection] = getattr(_kept, "conns", None) or {}
    _kept.conns = kept
    old = kept.pop(origin, None)
    if old is not None and old is not conn:
        old.close()
    kept[origin] = conn
    while len(kept) > MAX_KEPT:
        kept.pop(next(iter(kept))).close()


def close_kept() -> None:
    """Close this thread's kept connections."""
    kept: dict[tuple[Any, ...], http.client.HTTPConnection] = getattr(_kept, "conns", None) or {}
    for conn in kept.values():
        conn.close()
    kept.clear()


def retry_after_seconds(response: Response, now: float | None = None) -> float | None:
    """Retry-After (seconds or an HTTP date), else X's ``x-rate-limit-reset`` (epoch seconds)."""
    now = time.time() if now is None else now
    value = response.headers.get("retry-after", "").strip()
    if value:
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            return max(0.0, when.timestamp() - now)
    reset = response.headers.get("x-rate-limit-reset", "").strip()
    if reset.isdigit():
        return max(0.0, float(reset) - now)
    return None


def raise_for_status(response: Response) -> None:
    """2xx passes; 429 and 5xx say try later; any other status refuses the post for good.
    (401 is handled by the publishers before this: refresh once, then NeedsReconnect.)"""
    if 200 <= response.status < 300:
        return
    if response.status == 429:
        raise RetryLater(response.error_text(), retry_after_seconds(response))
    if response.status == 504:
        # The gateway gave up waiting for the service, which may still have acted.
        raise OutcomeUnknown(response.error_text())
    if response.status >= 500:
        raise RetryLater(response.error_text(), retry_after_seconds(response))
    raise Rejected(response.error_text())
