"""A partner's publishing channels: connect (API tokens, SMTP settings, a webhook, or the OAuth
flow's tokens), list, remove. Credentials are sealed into ``Channel.secret`` at once and never
come back out of this module except to the publishers."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prm_domain import access, outbound, validation
from prm_domain.base import utcnow
from prm_domain.enums import ChannelKind, ChannelStatus
from prm_domain.errors import NotFound, ValidationError
from prm_domain.models import User
from prm_domain.models.channel import Channel
from prm_domain.pagination import Page, paginate
from prm_domain.publishing.secrets import seal
from prm_domain.publishing.smtp import SECURITY

LINKEDIN_AUTHOR = re.compile(r"urn:li:(organization|person):[A-Za-z0-9_-]{1,64}")
X_USER_ID = re.compile(r"[0-9]{1,25}")
TOKEN_MAX = 4000


def _ensure(actor: User) -> int:
    access.require(
        actor, access.Right.MANAGE_OWN_CHANNELS, "Only a partner's admins manage its channels."
    )
    assert actor.partner_id is not None  # the right is a partner role's
    return actor.partner_id


def list_channels(
    session: Session, actor: User, *, page: int = 1, per_page: int = 50
) -> Page[Channel]:
    partner_id = _ensure(actor)
    stmt = select(Channel).where(Channel.partner_id == partner_id).order_by(Channel.id)
    return paginate(session, stmt, page=page, per_page=per_page)


def get_channel(session: Session, actor: User, channel_id: int) -> Channel:
    """The actor's own channel; another tenant's (or none) is a 404 before any role check, so
    the answer never tells one from the other."""
    channel = session.get(Channel, channel_id)
    if channel is None or actor.partner_id is None or channel.partner_id != actor.partner_id:
        raise NotFound("No such channel.")
    _ensure(actor)
    return channel


def _text(
    data: dict[str, Any],
    name: str,
    problems: dict[str, str],
    *,
    required: bool = True,
    max_len: int = TOKEN_MAX,
) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            problems[name] = "is required"
        return ""
    if not isinstance(value, str) or len(value) > max_len or value != value.strip():
        problems[name] = f"must be text of at most {max_len} characters, without outer spaces"
        return ""
    return value


def credentials(kind: ChannelKind, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(account, secret values) for a channel of ``kind`` from the fields given, or a
    ValidationError naming each bad field."""
    problems: dict[str, str] = {}
    secret: dict[str, Any] = {}
    account = ""
    if kind in (ChannelKind.LINKEDIN, ChannelKind.X):
        secret["access_token"] = _text(data, "access_token", problems)
        if refresh := _text(data, "refresh_token", problems, required=False):
            secret["refresh_token"] = refresh
        if kind is ChannelKind.LINKEDIN:
            account = _text(data, "author", problems, max_len=200)
            if account and not LINKEDIN_AUTHOR.fullmatch(account):
                problems["author"] = "must be urn:li:organization:<id> or urn:li:person:<id>"
        else:
            account = _text(data, "user_id", problems, max_len=25)
            if account and not X_USER_ID.fullmatch(account):
                problems["user_id"] = "must be the X account's numeric id"
    elif kind is ChannelKind.SMTP:
        host = _text(data, "host", problems, max_len=253)
        if host:
            try:
                # The worker connects there: a public DNS name only (SSRF), and the address
                # it resolves to is checked again on every connection.
                host = outbound.check_host("host", host)
            except ValidationError as exc:
                problems.update(exc.fields or {})
        port = data.get("port", 587)
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            problems["port"] = "must be a port number"
        security = data.get("security", "starttls")
        if security not in SECURITY:
            problems["security"] = f"must be one of {', '.join(SECURITY)}"
        sender = _text(data, "from", problems, max_len=254)
        if sender:
            try:
                validation.email("from", sender)
            except ValidationError as exc:
                problems.update(exc.fields or {})
        username = _text(data, "username", problems, required=False, max_len=254)
        password = _text(data, "password", problems, required=False, max_len=1000)
        # Optional: the key a mail service signs its bounce reports with
        # (prm_domain.campaigns.bounces, POST /api/v1/channels/{id}/bounces).
        bounce_secret = _text(data, "bounce_secret", problems, required=False, max_len=500)
        if bounce_secret and len(bounce_secret) < 16:
            problems["bounce_secret"] = "must be at least 16 characters"  # noqa: S105 (a message)
        secret = {
            "host": host,
            "port": port,
            "security": security,
            "from": sender,
            "username": username,
            "password": password,
        }
        if bounce_secret:
            secret["bounce_secret"] = bounce_secret
        account = sender
    elif kind is ChannelKind.WEBHOOK:
        account = _text(data, "url", problems, max_len=500)
        if account:
            try:
                # A partner's webhook must not reach this server's own network (SSRF): a
                # public domain name, no IP addresses, no loopback or internal names (the
                # resolved address is checked again on every delivery).
                outbound.check_url("url", account)
            except ValidationError as exc:
                problems.update(exc.fields or {})
        secret["secret"] = _text(data, "secret", problems, max_len=500)
        if secret["secret"] and len(secret["secret"]) < 16:
            problems["secret"] = "must be at least 16 characters"  # noqa: S105 (a message)
    if problems:
        raise ValidationError.for_fields(problems)
    return account, secret


def connect_channel(
    session: Session, actor: User, secret_key: str, data: dict[str, Any]
) -> Channel:
    """Add a channel for the actor's organisation; the credentials are sealed at once."""
    partner_id = _ensure(actor)
    try:
        kind = ChannelKind(str(data.get("kind")))
    except ValueError:
        raise ValidationError.for_fields(
            {"kind": "must be linkedin, x, smtp, webhook or outbox"}
        ) from None
    # Shown on pages and stored as is: the text rules (no NUL, which Postgres refuses, no
    # control or bidi characters), and a bad name is said, not silently replaced.
    name_problems: dict[str, str] = {}
    try:
        name = validation.text("name", data.get("name") or "", max_len=120, required=False)
    except ValidationError as exc:
        name_problems, name = dict(exc.fields), ""
    if kind is ChannelKind.OUTBOX:
        if name_problems:
            raise ValidationError.for_fields(name_problems)
        channel = Channel(partner_id=partner_id, kind=kind, name=name or "Outbox", account="outbox")
    else:
        try:
            account, values = credentials(kind, data)
        except ValidationError as exc:
            raise ValidationError.for_fields({**name_problems, **exc.fields}) from None
        if name_problems:
            raise ValidationError.for_fields(name_problems)
        channel = Channel(
            partner_id=partner_id,
            kind=kind,
            name=name or account[:120],
            account=account,
            secret=seal(secret_key, values),
        )
    session.add(channel)
    session.flush()
    return channel


def reconnect_channel(
    session: Session,
    actor: User,
    secret_key: str,
    channel_id: int,
    values: dict[str, Any],
    expires_at: Any = None,
) -> Channel:
    """New tokens for a channel that needed reconnecting (the OAuth flow's callback)."""
    channel = get_channel(session, actor, channel_id)
    channel.secret = seal(secret_key, values)
    channel.token_expires_at = expires_at
    channel.status = ChannelStatus.CONNECTED
    channel.last_error = ""
    channel.updated_at = utcnow()
    session.flush()
    return channel


def delete_channel(session: Session, actor: User, channel_id: int) -> None:
    """Remove a channel; its publications not yet out are skipped (their channel is gone)."""
    session.delete(get_channel(session, actor, channel_id))
    session.flush()


def needing_reconnect(session: Session, actor: User) -> list[Channel]:
    """For the portal's banner: the actor's channels whose credentials were refused."""
    if actor.partner_id is None or not access.has(actor, access.Right.MANAGE_OWN_CHANNELS):
        return []
    return list(
        session.scalars(
            select(Channel).where(
                Channel.partner_id == actor.partner_id,
                Channel.status == ChannelStatus.NEEDS_RECONNECT,
            )
        )
    )
