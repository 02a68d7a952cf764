"""Outbound signed webhooks on every deal change, so the vendor's CRM stays in sync.

A change writes one ``WebhookDelivery`` per active webhook in the same transaction (its body
fixed then); a task sends the undelivered ones. Each request carries the event id (the same on
every retry: receivers de-duplicate on it), a timestamp, and
``X-Cobrand-Signature: t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``.
Delivery is at least once: a failed send is tried again on the next run, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import access, audit, validation
from prm_domain.base import utcnow
from prm_domain.models import DealRegistration, DealWebhook, User, WebhookDelivery

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
    return hmac.compare_digest(sign(secret, body, timestamp), header)


def add_webhook(session: Session, actor: User, url: str) -> DealWebhook:
    access.ensure_can_review_deals(actor)
    hook = DealWebhook(url=validation.http_url("url", url), secret=secrets.token_hex(32))
    session.add(hook)
    session.flush()
    audit.record(session, actor, "deal_webhook.created", hook, {"url": hook.url})
    return hook


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


def http_send(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - the vendor's own configured http(s) URL
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def deliver_pending(session: Session, send: Sender = http_send, *, limit: int = 100) -> int:
    """Send undelivered events, oldest first; returns how many were delivered. Each is marked
    as it goes, so a crash part-way resends only the unmarked ones."""
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
        except (OSError, ValueError) as exc:
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
            continue
        if 200 <= status < 300:
            delivery.delivered_at = dt.datetime.now(dt.UTC)
            delivery.last_error = ""
            delivered += 1
        else:
            delivery.last_error = f"HTTP {status}"
        session.flush()
    return delivered
