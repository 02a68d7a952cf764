from __future__ import annotations

import datetime as dt
import decimal

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from prm_domain.base import NO_ID_REUSE, Base, ExactDecimal, utcnow


class Tier(Base):
    """A partner programme level. Its benefits are data, so vendors change them without code."""

    __tablename__ = "tier"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # Lower rank is the entry level; ordering tiers by rank is how "Gold outranks Silver" is known.
    rank: Mapped[int] = mapped_column(unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    mdf_share_percent: Mapped[decimal.Decimal] = mapped_column(ExactDecimal(5, 2))
    discount_percent: Mapped[decimal.Decimal] = mapped_column(ExactDecimal(5, 2))
    # Content access levels this tier unlocks, e.g. ["standard", "premium"]; audiences match
    # on them.
    content_access: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Tier {self.name!r} rank={self.rank}>"
