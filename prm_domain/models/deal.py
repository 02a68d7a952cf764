"""The vendor's direct pipeline (accounts, opportunities) and partners' deal registrations."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from prm_domain.base import NO_ID_REUSE, Base, ExactDecimal, str_enum, utcnow
from prm_domain.enums import DealStatus


class CrmAccount(Base):
    """A company the vendor sells to directly (imported by CSV or the API from its CRM).
    Not a sign-in account: those are ``user_account``."""

    __tablename__ = "crm_account"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Normalised name (prm_domain.deals.names): one account per company.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    domain: Mapped[str] = mapped_column(String(253), default="", index=True)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    owner: Mapped[str] = mapped_column(String(120), default="")
    stage: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    opportunities: Mapped[list[Opportunity]] = relationship(
        back_populates="account", order_by="Opportunity.id", cascade="all, delete-orphan"
    )


class Opportunity(Base):
    """An open (or closed) direct sales opportunity of the vendor on an account."""

    __tablename__ = "opportunity"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("crm_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(40))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    account: Mapped[CrmAccount] = relationship(back_populates="opportunities")


class DealMatchKey(Base):
    """The conflict check's shortlist index: one row per lookup key of an account or a
    registration (names.shortlist_keys), so a check reads a few rows, not every account."""

    __tablename__ = "deal_match_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # "account" | "registration"
    ref_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(260), index=True)


class DealRegistration(Base):
    """A partner's claim to a customer deal, protected for a period once approved."""

    __tablename__ = "deal_registration"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    company: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254))
    country: Mapped[str] = mapped_column(String(2))
    products: Mapped[list[str]] = mapped_column(default=list)
    estimated_value: Mapped[decimal.Decimal] = mapped_column(ExactDecimal(14, 2))
    expected_close: Mapped[dt.date]
    notes: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[DealStatus] = mapped_column(
        str_enum(DealStatus), default=DealStatus.PENDING, index=True
    )
    # The vendor CRM's stage name ("Proposal"), set through the API.
    stage: Mapped[str] = mapped_column(String(40), default="")
    # What the check found at submission, in full (the vendor's view; partners get it redacted).
    conflicts: Mapped[list[Any]] = mapped_column(default=list)
    # Whether the check found anything: the review queue filters on it.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    decision_reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None]
    protected_until: Mapped[dt.date | None]
    # Days into protection whose reminder went out (30, 60, 90): the periodic job is idempotent.
    reminders_sent: Mapped[list[int]] = mapped_column(default=list)
    extension_status: Mapped[str] = mapped_column(String(16), default="")  # pending/approved/denied
    extension_reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DealTierPolicy(Base):
    """Per tier: whether clean registrations are approved without review, and how long an
    approved deal is protected. A tier without a row: reviewed by hand, 90 days."""

    __tablename__ = "deal_tier_policy"

    tier_id: Mapped[int] = mapped_column(
        ForeignKey("tier.id", ondelete="CASCADE"), primary_key=True
    )
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=False)
    protection_days: Mapped[int] = mapped_column(Integer, default=90)


class DealWebhook(Base):
    """A CRM endpoint that receives every deal change, signed with its secret."""

    __tablename__ = "deal_webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one webhook: the body is fixed when the change happens, so a retry sends
    the same bytes and the same event id (receivers de-duplicate on it)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("webhook_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("deal_webhook.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(String(20000))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
