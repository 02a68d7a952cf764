"""A generic signed webhook: the post as JSON, signed with HMAC-SHA256 over
``{timestamp}.{body}`` (``X-Cobrand-Signature: t=...,v1=...``) and carrying the post's key as
``Idempotency-Key``, so a receiver drops a retried delivery it already has."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import time

from prm_domain.enums import ChannelKind
from prm_domain.models.channel import Channel
from prm_domain.publishing import PUBLISHERS, OutgoingPost, Posted, PublishingConfig
from prm_domain.publishing.http import raise_for_status, request
from prm_domain.publishing.secrets import unseal

SIGNATURE_HEADER = "X-Cobrand-Signature"
# A receiver's id for the post, kept only when it looks like one (it is shown to the partner).
EXTERNAL_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: float = 300) -> bool:
    """What a receiver does (documented for partners, used by the tests)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    # As bytes: compare_digest raises TypeError on non-ASCII text.
    return hmac.compare_digest(
        signature(secret, timestamp, body).encode(), header.encode("utf-8", "surrogateescape")
    )


class WebhookPublisher:
    def __init__(self, config: PublishingConfig) -> None:
        self.config = config

    def publish(self, channel: Channel, post: OutgoingPost) -> Posted:
        creds = unseal(self.config.secret_key, channel.secret)
        payload = {
            "key": post.key,
            "text": post.text,
            "link": post.link,
            "subject": post.subject,
            "preheader": post.preheader,
            "html": post.html,
            "image": base64.b64encode(post.image).decode() if post.image else None,
            "image_type": post.image_type,
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = int(time.time())
        response = request(
            "POST",
            channel.account,
            body=body,
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": post.key,
                SIGNATURE_HEADER: signature(str(creds.get("secret", "")), timestamp, body),
            },
            timeout=self.config.timeout,
            # The partner chose this host: public addresses only (prm_domain.outbound).
            allow_private=self.config.allow_private_hosts,
        )
        raise_for_status(response)
        data = response.json()
        external_id = data.get("id") if isinstance(data, dict) else None
        if not (isinstance(external_id, str | int) and EXTERNAL_ID.fullmatch(str(external_id))):
            external_id = None
        # No external_url from the answer: a link shown in the portal is not the receiver's
        # (or, through a redirecting name, some internal server's) to choose.
        return Posted(external_id=str(external_id or f"webhook:{post.key}"))

    def find_published(
        self, channel: Channel, post: OutgoingPost, since: dt.datetime
    ) -> Posted | None:
        # Receivers deduplicate on Idempotency-Key, so sending again is the reconciliation.
        return None


PUBLISHERS[ChannelKind.WEBHOOK] = WebhookPublisher
