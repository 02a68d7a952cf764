"""What people do, counted: each sign-in (the scorecards' engagement)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import Base, utcnow


class SignIn(Base):
    """One sign-in (portal or API token). ``User.last_sign_in_at`` keeps the latest only; this
    keeps each, so a partner's sign-ins can be counted per month. Not an audit event: nothing
    changed, and the audit log lists changes."""

    __tablename__ = "sign_in"
    __table_args__ = (Index("ix_sign_in_partner_id_at", "partner_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # None for vendor staff; kept with the partner when the person's account is removed.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
