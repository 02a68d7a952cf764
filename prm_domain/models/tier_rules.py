"""Tier requirements as data, the grace before a demotion, and every tier change kept.

A tier with a ``tier_requirement`` row is earned: the evaluation (prm_domain.tier_rules) puts
each partner on the highest such tier whose requirements it meets. The lowest-ranked tier is
the floor everybody meets. A tier without a row is assigned by hand: nobody is moved onto it
and a partner on it is left alone.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import Base, ExactDecimal, utcnow

DEFAULT_GRACE_DAYS = 30


class TierRequirement(Base):
    __tablename__ = "tier_requirement"

    tier_id: Mapped[int] = mapped_column(
        ForeignKey("tier.id", ondelete="CASCADE"), primary_key=True
    )
    # Closed-won deal revenue over the trailing twelve months (the deals' estimated values).
    min_revenue: Mapped[decimal.Decimal] = mapped_column(ExactDecimal(14, 2))
    min_deals_won: Mapped[int] = mapped_column(default=0)
    # TrainingRole value -> how many of the partner's active people hold a current
    # certification for that role ({"sales": 2, "technical": 1}).
    min_certified: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # How long a partner on this tier keeps it after it stops meeting the requirements.
    grace_days: Mapped[int] = mapped_column(default=DEFAULT_GRACE_DAYS)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class TierGrace(Base):
    """A partner that no longer meets its tier's requirements keeps the tier until ``ends_at``;
    meeting them again before then deletes the row (the grace is cancelled)."""

    __tablename__ = "tier_grace"

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True
    )
    from_tier_id: Mapped[int] = mapped_column(ForeignKey("tier.id", ondelete="CASCADE"))
    # The tier it qualifies for now (updated by each evaluation during the grace).
    to_tier_id: Mapped[int] = mapped_column(ForeignKey("tier.id", ondelete="CASCADE"))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[dt.datetime] = mapped_column(index=True)


class TierChange(Base):
    """One line of a partner's tier history: promoted, demoted, set by hand, grace started or
    cancelled. ``actor_id`` None: the evaluation (an event or the nightly job)."""

    __tablename__ = "tier_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # TierChangeKind
    from_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tier.id", ondelete="SET NULL"))
    to_tier_id: Mapped[int | None] = mapped_column(ForeignKey("tier.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(254), default="system")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
