"""Page-view tokens: the server, not the page, names each view of an embed.

Impressions and clicks count once per page view. When the widget chose its own page-view id,
anyone could count a fresh "view" with every request. Now each content answer carries a token
made here (a random nonce, the time, and an HMAC of both with the embed key), and events count
only under a token issued for that embed within ``TTL``: a script must fetch the content for
every view it makes up, and is then held to the events endpoint's limits per address.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import time
from typing import Any

from prm_domain.errors import ValidationError

# Shorter than events.VIEW_MEMORY (what the page views counted are remembered for): a token can
# never outlive the rows that make it count once (tests/syndication/test_endpoints.py checks).
TTL = dt.timedelta(hours=24)
# Web processes' clocks differ a little; a token from a process a few seconds ahead is fine.
CLOCK_SKEW = 60
_NONCE = re.compile(r"[A-Za-z0-9_-]{16}")


class PageViewRefused(ValidationError):
    """The events name a page view the server did not issue for this embed, or an old one."""

    code = "page_view_refused"


def _mac(secret: str, key: str, nonce: str, issued: int) -> str:
    # "page-view" keeps these apart from every other HMAC made with the same secret.
    message = f"page-view\x00{key}\x00{nonce}\x00{issued}".encode()
    return hmac.digest(secret.encode(), message, "sha256").hex()[:32]


def issue(secret: str, key: str, *, issued: int | None = None, nonce: str | None = None) -> str:
    """A new page-view token for the embed ``key``: ``<issued>.<nonce>.<mac>``."""
    issued = int(time.time()) if issued is None else issued
    nonce = secrets.token_urlsafe(12) if nonce is None else nonce
    return f"{issued}.{nonce}.{_mac(secret, key, nonce, issued)}"


def verify(secret: str, key: str, token: Any, *, now: float | None = None) -> str:
    """The page view's id (the token's nonce) if the token is ours, for ``key`` and fresh."""
    refused = PageViewRefused(
        "This page view was not issued for this embed, or has expired: reload the page.",
        {"page_view": "must be the page-view token of this embed's content, at most a day old"},
    )
    # ASCII first: compare_digest raises on other text, and isdigit() accepts "²".
    if not isinstance(token, str) or len(token) > 80 or not token.isascii():
        raise refused
    parts = token.split(".")
    if len(parts) != 3:
        raise refused
    issued_text, nonce, mac = parts
    if not issued_text.isdigit() or len(issued_text) > 12 or not _NONCE.fullmatch(nonce):
        raise refused
    issued = int(issued_text)
    if not hmac.compare_digest(_mac(secret, key, nonce, issued), mac):
        raise refused
    age = (time.time() if now is None else now) - issued
    if not -CLOCK_SKEW <= age <= TTL.total_seconds():
        raise refused
    return nonce
