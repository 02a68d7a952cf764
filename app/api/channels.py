"""Partner publishing channels (issue 9): connect with tokens or settings, list, remove.
Credentials go in and never come back out."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from flask import g, request
from pydantic import Field

from app import db
from app.api import bp
from app.api.framework import operation
from app.api.schemas import In, Out, PageOut, PageQuery, page_out
from app.publishing import publishing_config
from prm_domain import channels
from prm_domain.campaigns import bounces
from prm_domain.enums import ChannelKind, ChannelStatus
from prm_domain.publishing.webhook import SIGNATURE_HEADER


class ChannelIn(In):
    kind: ChannelKind
    name: str | None = Field(None, max_length=120)
    # LinkedIn and X (OAuth 2 tokens, stored encrypted)
    access_token: str | None = Field(None, max_length=4000)
    refresh_token: str | None = Field(None, max_length=4000)
    author: str | None = Field(
        None, max_length=200, description="LinkedIn: urn:li:organization:<id> or urn:li:person:<id>"
    )
    user_id: str | None = Field(None, max_length=25, description="X: the account's numeric id")
    # SMTP
    host: str | None = Field(None, max_length=253)
    port: int | None = Field(None, ge=1, le=65535)
    security: str | None = Field(None, description="starttls (default), ssl or none")
    sender: str | None = Field(None, alias="from", max_length=254)
    username: str | None = Field(None, max_length=254)
    password: str | None = Field(None, max_length=1000)
    bounce_secret: str | None = Field(
        None,
        max_length=500,
        description="SMTP, optional: the key your mail service signs bounce reports with "
        "(POST /api/v1/channels/{id}/bounces), at least 16 characters",
    )
    # Webhook
    url: str | None = Field(None, max_length=500)
    secret: str | None = Field(None, max_length=500, description="Webhook: HMAC-SHA256 key")


class ChannelOut(Out):
    id: int
    kind: ChannelKind
    name: str
    status: ChannelStatus
    account: str = Field(description="the LinkedIn author, X user id, sender or webhook URL")
    token_expires_at: dt.datetime | None
    last_error: str
    created_at: dt.datetime


@operation(
    bp,
    "/channels",
    "GET",
    summary="Your organisation's publishing channels (credentials are never returned)",
    tag="channels",
    query=PageQuery,
    response=PageOut[ChannelOut],
    errors=(403,),
)
def list_channels(query: PageQuery) -> PageOut[ChannelOut]:
    page = channels.list_channels(db.session(), g.user, **query.model_dump())
    return page_out(page, ChannelOut.model_validate)


@operation(
    bp,
    "/channels",
    "POST",
    summary="Connect a channel: LinkedIn, X, SMTP, a signed webhook or the outbox",
    tag="channels",
    body=ChannelIn,
    response=ChannelOut,
    status=201,
    errors=(403,),
)
def create_channel(body: ChannelIn) -> ChannelOut:
    data = body.model_dump(by_alias=True, exclude_none=True)
    channel = channels.connect_channel(db.session(), g.user, publishing_config().secret_key, data)
    db.session().commit()
    return ChannelOut.model_validate(channel)


@operation(
    bp,
    "/channels/<id:channel_id>",
    "GET",
    summary="One channel",
    tag="channels",
    response=ChannelOut,
    errors=(403,),
)
def get_channel(channel_id: int) -> ChannelOut:
    return ChannelOut.model_validate(channels.get_channel(db.session(), g.user, channel_id))


@operation(
    bp,
    "/channels/<id:channel_id>",
    "DELETE",
    summary="Remove a channel; its posts not yet out are skipped",
    tag="channels",
    status=204,
    errors=(403,),
)
def delete_channel(channel_id: int) -> None:
    channels.delete_channel(db.session(), g.user, channel_id)
    db.session().commit()


class BouncesOut(Out):
    marked: int = Field(description="Contacts now marked bounced (never mailed again)")
    ignored: int = Field(description="Soft bounces, unknown or already excluded addresses")
    invalid: list[dict[str, Any]]


@operation(
    bp,
    "/channels/<id:channel_id>/bounces",
    "POST",
    summary="Bounce report from a mail service, signed with the channel's bounce secret "
    "(X-Cobrand-Signature: t=<unix time>,v1=<HMAC-SHA256 hex of '<t>.<body>'>); body "
    '{"bounces": [{"email", "type": "hard" | "soft"}]}: hard bounces are never mailed again',
    tag="channels",
    upload=True,
    response=BouncesOut,
    auth=False,
    errors=(401,),
)
def report_channel_bounces(channel_id: int, data: bytes) -> BouncesOut:
    result = bounces.record_bounces(
        db.session(),
        publishing_config().secret_key,
        channel_id,
        request.headers.get(SIGNATURE_HEADER, "")[:300],
        data,
        time.time(),
    )
    db.session().commit()
    return BouncesOut(marked=result.marked, ignored=result.ignored, invalid=result.invalid)
