"""Outbound signed webhooks on every deal change, so the vendor's CRM stays in sync.

A change writes one ``WebhookDelivery`` per active webhook in the same transaction (its body
fixed then); a task sends the undelivered ones. Each request carries the event id (the same on
every retry: receivers de-duplicate on it), a timestamp, and
``X-Cobrand-Signature: t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``.
Delivery is at least once: a failed send is tried again on the next run, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import http.client
import json
import secrets
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from prm_domain import access, audit, outbound, validation
from prm_domain.base import utcnow
from prm_domain.errors import NotFound
from prm_domain.models import DealRegistration, DealWebhook, User, WebhookDelivery
from prm_domain.pagination import Page, paginate

MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10.0
Sender = Callable[[str, bytes, dict[str, str]], int]


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, now: float, tolerance: int = 300) -> bool:
    """What a receiver does (and the tests): the signature matches and is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    # As bytes: compare_digest raises TypeError on non-ASCII text.
    return hmac.compare_digest(
        sign(secret, body, timestamp).encode(), header.encode("utf-8", "surrogateescape")
    )


def add_webhook(
    session: Session, actor: User, url: str, *, allow_private_hosts: bool = False
) -> DealWebhook:
    """``allow_private_hosts``: the app's PUBLISH_ALLOW_PRIVATE_HOSTS (loopback test
    receivers); otherwise a public domain name only, as for a partner's webhook (SSRF)."""
    access.ensure_can_manage_webhooks(actor)
    if allow_private_hosts:
        clean = validation.http_url("url", url)
    else:
        clean = outbound.check_url("url", url)
    hook = DealWebhook(url=clean, secret=secrets.token_hex(32))
    session.add(hook)
    session.flush()
    audit.record(session, actor, "deal_webhook.created", hook, {"url": hook.url})
    return hook


@dataclass
class WebhookState:
    """A webhook as its page lists it: how its latest delivery went and what waits."""

    webhook: DealWebhook
    last: WebhookDelivery | None
    pending: int
    failed: int


def delivery_status(delivery: WebhookDelivery) -> str:
    """delivered, pending (will be tried again) or failed (gave up after MAX_ATTEMPTS)."""
    if delivery.delivered_at is not None:
        return "delivered"
    return "failed" if delivery.attempts >= MAX_ATTEMPTS else "pending"


def list_webhooks(session: Session, actor: User) -> list[WebhookState]:
    access.ensure_can_manage_webhooks(actor)
    hooks = list(session.scalars(select(DealWebhook).order_by(DealWebhook.id)))
    out = []
    for hook in hooks:
        last = session.scalar(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == hook.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(1)
        )
        undelivered = select(func.count()).where(
            WebhookDelivery.webhook_id == hook.id, WebhookDelivery.delivered_at.is_(None)
        )
        pending = session.scalar(undelivered.where(WebhookDelivery.attempts < MAX_ATTEMPTS))
        failed = session.scalar(undelivered.where(WebhookDelivery.attempts >= MAX_ATTEMPTS))
        out.append(WebhookState(hook, last, pending or 0, failed or 0))
    return out


def get_webhook(session: Session, actor: User, webhook_id: int) -> DealWebhook:
    access.ensure_can_manage_webhooks(actor)
    hook = session.get(DealWebhook, webhook_id)
    if hook is None:
        raise NotFound("Webhook not found.")
    return hook


def list_deliveries(
    session: Session, actor: User, webhook_id: int, *, page: int = 1, per_page: int = 50
) -> Page[WebhookDelivery]:
    """The webhook's delivery log, newest first."""
    hook = get_webhook(session, actor, webhook_id)
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == hook.id)
        .order_by(WebhookDelivery.id.desc())
    )
    return paginate(session, stmt, page=page, per_page=per_page)


def delete_webhook(session: Session, actor: User, webhook_id: int) -> None:
    """Nothing more goes to it; its undelivered events and its log go with it."""
    hook = get_webhook(session, actor, webhook_id)
    audit.record(session, actor, "deal_webhook.deleted", hook, {"url": hook.url})
    session.delete(hook)
    session.flush()


def event_type(delivery: WebhookDelivery) -> str:
    """The event's type, read back from the fixed body (``deal.created`` ...)."""
    try:
        return str(json.loads(delivery.body).get("type", ""))
    except ValueError:
        return ""


def deal_payload(deal: DealRegistration) -> dict[str, Any]:
    return {
        "id": deal.id,
        "partner_id": deal.partner_id,
        "company": deal.company,
        "contact_email": deal.contact_email,
        "country": deal.country,
        "products": list(deal.products),
        "estimated_value": str(deal.estimated_value),
        "expected_close": deal.expected_close.isoformat(),
        "status": deal.status.value,
        "stage": deal.stage,
        "protected_until": deal.protected_until.isoformat() if deal.protected_until else None,
        "extension_status": deal.extension_status,
        "flagged": deal.flagged,
    }


def record_event(session: Session, event: str, deal: DealRegistration) -> int:
    """Queue ``event`` about ``deal`` for every active webhook; returns how many."""
    hooks = list(session.scalars(select(DealWebhook).where(DealWebhook.active.is_(True))))
    event_id = uuid.uuid4().hex
    body = json.dumps(
        {
            "id": event_id,
            "type": event,
            "created_at": utcnow().isoformat(),
            "deal": deal_payload(deal),
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    session.add_all(WebhookDelivery(webhook_id=h.id, event_id=event_id, body=body) for h in hooks)
    return len(hooks)


def http_send(
    url: str, body: bytes, headers: dict[str, str], *, allow_private_hosts: bool = False
) -> int:
    """POST once; the status as is (a redirect is not followed: it is a failed delivery). The
    host must resolve to public addresses only, connected to as checked (prm_domain.outbound)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http(s) URL")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = outbound.http_connection(url, TIMEOUT_SECONDS, allow_private=allow_private_hosts)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(65536)  # never stored: only the status counts
        return int(response.status)
    finally:
        conn.close()


def deliver_pending(
    session: Session,
    send: Sender | None = None,
    *,
    limit: int = 100,
    allow_private_hosts: bool = False,
) -> int:
    """Send undelivered events, oldest first; returns how many were delivered. Each is marked
    as it goes, so a crash part-way resends only the unmarked ones. ``send`` defaults to
    ``http_send`` (``allow_private_hosts`` as the app's PUBLISH_ALLOW_PRIVATE_HOSTS)."""
    if send is None:
        send = functools.partial(http_send, allow_private_hosts=allow_private_hosts)
    stmt = (
        select(WebhookDelivery, DealWebhook)
        .join(DealWebhook, DealWebhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.delivered_at.is_(None),
            WebhookDelivery.attempts < MAX_ATTEMPTS,
            DealWebhook.active.is_(True),
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    delivered = 0
    for delivery, hook in session.execute(stmt).all():
        body = delivery.body.encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "X-Cobrand-Event-Id": delivery.event_id,
            "X-Cobrand-Timestamp": str(timestamp),
            "X-Cobrand-Signature": sign(hook.secret, body, timestamp),
        }
        delivery.attempts += 1
        try:
            status = send(hook.url, body, headers)
        except outbound.Blocked:
            delivery.last_error = "The host is not on a public address."
            continue
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # The kind of failure only: an exception's text may quote the other end.
            delivery.last_error = f"Could not deliver ({type(exc).__name__})."
            continue
        if 200 <= status < 300:
            delivery.delivered_at = dt.datetime.now(dt.UTC)
            delivery.last_error = ""
            delivered += 1
        else:
            delivery.last_error = f"HTTP {status}"
        session.flush()
    return delivered
