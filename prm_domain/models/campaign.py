from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from prm_domain.base import NO_ID_REUSE, Base, str_enum, utcnow
from prm_domain.enums import (
    CampaignItemKind,
    CampaignStatus,
    ContactStatus,
    EnrolmentStatus,
)


class Campaign(Base):
    """A vendor's packaged campaign: items on a schedule, for an audience of partners."""

    __tablename__ = "campaign"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(String(1000), default="")
    audience_tier_ids: Mapped[list[int]] = mapped_column(default=list)
    audience_regions: Mapped[list[str]] = mapped_column(default=list)
    audience_partner_types: Mapped[list[str]] = mapped_column(default=list)
    audience_verticals: Mapped[list[str]] = mapped_column(default=list)
    starts_on: Mapped[dt.date | None]
    # The MDF fund it may draw on; the MDF feature owns the table (no FK here on purpose:
    # the fund table arrives with that feature's migration).
    mdf_fund_id: Mapped[int | None]
    status: Mapped[CampaignStatus] = mapped_column(
        str_enum(CampaignStatus), default=CampaignStatus.DRAFT, index=True
    )
    launched_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list[CampaignItem]] = relationship(
        back_populates="campaign",
        order_by="(CampaignItem.position, CampaignItem.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.name!r} {self.status}>"


class CampaignItem(Base):
    """One piece of a campaign: a social post, an email or a library asset, at a time relative
    to each partner's approval (``day`` and ``time``, in the partner's time zone) or at a fixed
    moment (``at``)."""

    __tablename__ = "campaign_item"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[CampaignItemKind] = mapped_column(str_enum(CampaignItemKind))
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    preheader: Mapped[str] = mapped_column(String(200), default="")
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id", ondelete="SET NULL"))
    # The text fields a partner may change ("text", "subject", "preheader"), and the longest
    # text a partner's edit may have.
    editable: Mapped[list[str]] = mapped_column(default=list)
    max_length: Mapped[int | None]
    day: Mapped[int | None]
    time: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", the partner's local time
    at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"<CampaignItem {self.id} {self.kind} campaign={self.campaign_id}>"


class Enrolment(Base):
    """A partner's participation in a launched campaign: invited, approved (with its channels
    and edits), opted out or paused."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("campaign_id", "partner_id"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[EnrolmentStatus] = mapped_column(
        str_enum(EnrolmentStatus), default=EnrolmentStatus.INVITED
    )
    channel_ids: Mapped[list[int]] = mapped_column(default=list)
    # The items approved (None: every item) and the partner's edits {item id: {field: text}}.
    item_ids: Mapped[list[int] | None] = mapped_column(default=None)
    edits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    invited_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[dt.datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<Enrolment {self.id} campaign={self.campaign_id} partner={self.partner_id}>"


class Contact(Base):
    """A person on a partner's own mailing list, with where their consent came from.

    ``token`` is the secret of their unsubscribe link: unguessable, per recipient, usable
    without signing in.
    """

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("partner_id", "email"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))  # lower-cased: the dedup key
    name: Mapped[str] = mapped_column(String(200), default="")
    consent_source: Mapped[str] = mapped_column(String(200))
    status: Mapped[ContactStatus] = mapped_column(
        str_enum(ContactStatus), default=ContactStatus.SUBSCRIBED
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    unsubscribed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Contact {self.id} partner={self.partner_id} {self.status}>"
