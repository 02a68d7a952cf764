from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import NO_ID_REUSE, Base, str_enum, utcnow
from prm_domain.enums import EmbedKind, ItemKind, LeadState


class SyndicatedItem(Base):
    """Vendor content shown on partner websites: a banner, a product card, a resource, a form.

    Shown while ``starts_at <= now < ends_at`` (either open) and ``active``, to partners in the
    audience. ``content`` holds the kind's fields (headline, text, link, features, form fields,
    consent wording...), checked by ``prm_domain.syndication``.
    """

    __tablename__ = "syndicated_item"
    # An embed's newest items of each kind: read backwards and stopped after a few.
    __table_args__ = (Index("ix_syndicated_item_kind_id", "kind", "id"), NO_ID_REUSE)

    __audience_target__ = "item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(str_enum(ItemKind))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    image_key: Mapped[str | None] = mapped_column(String(64))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id", ondelete="SET NULL"))
    audience_tier_ids: Mapped[list[int]] = mapped_column(default=list)
    audience_regions: Mapped[list[str]] = mapped_column(default=list)
    audience_partner_types: Mapped[list[str]] = mapped_column(default=list)
    audience_verticals: Mapped[list[str]] = mapped_column(default=list)
    # How many of the four lists are non-empty; kept by prm_domain.models.audience.
    audience_dims: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[dt.datetime | None]
    ends_at: Mapped[dt.datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)


class Embed(Base):
    """A partner's widget: what it shows, where it may be shown, and its public key."""

    __tablename__ = "embed"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[EmbedKind] = mapped_column(str_enum(EmbedKind))
    # None: "everything my audience gets", now and later; else the chosen item ids.
    item_ids: Mapped[list[int] | None] = mapped_column()
    allowed_domains: Mapped[list[str]] = mapped_column(default=list)
    theme: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Lead(Base):
    """A lead: from a partner's website (that partner's at once), or the vendor's (CSV, API),
    routed to a partner by the routing rules or left in the pool (``partner_id`` None)."""

    __tablename__ = "lead"
    # A partner's leads of a period, their state read from the index (the scorecards), and an
    # organisation's leads newest first (the leads list and its export).
    __table_args__ = (
        Index("ix_lead_partner_id_created_at_state", "partner_id", "created_at", "state"),
        Index("ix_lead_partner_id_id", "partner_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None while the lead is in the pool: only vendor staff see it whole; partners see it
    # through ``access.can_claim_lead``, without contact details.
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    embed_id: Mapped[int | None] = mapped_column(
        ForeignKey("embed.id", ondelete="SET NULL"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("syndicated_item.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(32), default="embed")
    name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(254))
    company: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    country: Mapped[str] = mapped_column(String(80), default="")
    message: Mapped[str] = mapped_column(String(4000), default="")
    page_url: Mapped[str] = mapped_column(String(2000), default="")
    referrer: Mapped[str] = mapped_column(String(2000), default="")
    utm: Mapped[dict[str, Any]] = mapped_column(default=dict)
    consent_text: Mapped[str] = mapped_column(String(2000), default="")
    consent_given_at: Mapped[dt.datetime | None]
    # SHA-256 of (embed, email, message): a resubmission within a day is recognised, not stored.
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    # The fingerprint and the UTC day it came in, unique: identical submissions sent at once
    # store one lead, which a look for an earlier one cannot promise (none sees the others).
    # Empty on leads stored before it existed.
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    # The partner user who follows the lead up; partner users see only leads assigned to them.
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # Website leads are the partner's own, so they start accepted (as do those stored before
    # routing existed); vendor leads start assigned (offered) or in the pool.
    state: Mapped[LeadState] = mapped_column(
        str_enum(LeadState), default=LeadState.ACCEPTED, server_default="accepted", index=True
    )
    region: Mapped[str] = mapped_column(String(8), default="", server_default="")
    vertical: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # An offered lead moves on to the next eligible partner when this passes.
    accept_by: Mapped[dt.datetime | None] = mapped_column(index=True)
    state_changed_at: Mapped[dt.datetime | None]
    lost_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The deal registration it became. No foreign key on purpose: the deal table belongs to
    # the deals feature, wired at merge.
    converted_deal_id: Mapped[int | None]


class EmbedDailyStat(Base):
    """Impressions and clicks per day, embed and item (item 0: the embed as a whole)."""

    __tablename__ = "embed_daily_stat"
    __table_args__ = (UniqueConstraint("embed_id", "item_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    embed_id: Mapped[int] = mapped_column(ForeignKey("embed.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(default=0)
    day: Mapped[dt.date]
    impressions: Mapped[int] = mapped_column(default=0)
    clicks: Mapped[int] = mapped_column(default=0)
    leads: Mapped[int] = mapped_column(default=0)


class EmbedViewEvent(Base):
    """What one page view of an embed has counted: an item's impression, and then its click.

    A page view is the nonce of a page-view token the server issued (syndication.page_views),
    never an id the page makes up. Unique per (embed, page view, item, kind), so however often
    or however many at once an event is sent, a page view counts an item's impression once and
    its click once (and a click only after its impression). Rows are needed only while a page
    can still send events; a periodic task deletes old ones.
    """

    __tablename__ = "embed_view_event"
    __table_args__ = (UniqueConstraint("embed_id", "page_view", "item_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    embed_id: Mapped[int] = mapped_column(ForeignKey("embed.id", ondelete="CASCADE"))
    page_view: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Notification(Base):
    """Something a partner's people should see (a new lead): shown in the portal."""

    __tablename__ = "notification"
    # One notification per event and partner, however often the event is reported (NULLs
    # never collide: leads carry none).
    __table_args__ = (UniqueConstraint("partner_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    # For one person only (a lead assigned to them); None: the organisation, as far as each
    # member's rights admit (a new lead's notification carries lead data: admins only).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
