"""Asynchronous bounces: a mail service (the partner's ESP or relay) reports addresses that
bounced after it accepted the message. Each report is signed with the bounce secret the
partner set on its mail server channel, the way Cobrand signs its own webhooks:
``X-Cobrand-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``, within five
minutes of the signing time. Hard bounces are marked (never mailed again); soft ones are not.

Body: ``{"bounces": [{"email": "...", "type": "hard" | "soft"}, ...]}`` (at most 1,000).
An unknown channel, one without a bounce secret and a bad signature are one answer (401), so
the endpoint tells nobody which channels exist.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from prm_domain import validation
from prm_domain.campaigns.contacts import mark_bounced
from prm_domain.enums import ChannelKind
from prm_domain.errors import InvalidCredentials, ValidationError
from prm_domain.models.channel import Channel
from prm_domain.publishing.secrets import SecretUnreadable, unseal
from prm_domain.publishing.webhook import signature

MAX_BODY = 256 * 2**10
MAX_BOUNCES = 1000
TOLERANCE = 300  # seconds between the signing time and now, either way (replays, clock skew)
BOUNCE_TYPES = ("hard", "soft")


@dataclass
class BounceResult:
    marked: int = 0  # subscribed contacts now bounced
    ignored: int = 0  # soft bounces, unknown addresses, already unsubscribed or bounced
    invalid: list[dict[str, object]] = field(default_factory=list)


def _refused() -> InvalidCredentials:
    return InvalidCredentials("The bounce report's signature is not valid.")


def _verified_channel(
    session: Session, secret_key: str, channel_id: int, header: str, body: bytes, now: float
) -> Channel:
    channel = session.get(Channel, channel_id) if 0 < channel_id <= validation.MAX_ID else None
    if channel is None or channel.kind is not ChannelKind.SMTP:
        raise _refused()
    try:
        secret = str(unseal(secret_key, channel.secret).get("bounce_secret") or "")
    except SecretUnreadable:
        secret = ""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise _refused() from None
    if not secret or abs(now - timestamp) > TOLERANCE:
        raise _refused()
    # As bytes: compare_digest raises TypeError on non-ASCII text (a header is Latin-1).
    sent = header.strip().encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(), sent):
        raise _refused()
    return channel


def record_bounces(
    session: Session, secret_key: str, channel_id: int, header: str, body: bytes, now: float
) -> BounceResult:
    """Verify a signed bounce report for ``channel_id`` and mark its hard bounces among that
    channel's partner's contacts. Idempotent: a report delivered twice changes nothing more."""
    if len(body) > MAX_BODY:
        raise ValidationError.for_fields({"body": f"must be at most {MAX_BODY // 2**10} KB"})
    channel = _verified_channel(session, secret_key, channel_id, header, body, now)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ValidationError.for_fields({"body": "must be JSON"}) from None
    bounces = data.get("bounces") if isinstance(data, dict) else None
    if not isinstance(bounces, list) or len(bounces) > MAX_BOUNCES:
        raise ValidationError.for_fields(
            {"bounces": f"must be a list of at most {MAX_BOUNCES} bounces"}
        )
    result = BounceResult()
    for n, entry in enumerate(bounces):
        if not isinstance(entry, dict):
            result.invalid.append({"index": n, "errors": {"bounce": "must be an object"}})
            continue
        kind = entry.get("type", "hard")
        try:
            email = validation.email("email", entry.get("email"))
            if kind not in BOUNCE_TYPES:
                raise validation.fail("type", "must be hard or soft")
        except ValidationError as exc:
            result.invalid.append({"index": n, "errors": exc.fields})
            continue
        if kind == "hard" and mark_bounced(session, channel.partner_id, email):
            result.marked += 1
        else:
            result.ignored += 1
    return result
